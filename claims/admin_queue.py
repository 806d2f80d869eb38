"""The reviewers' claim queue: a purpose-built page in the admin site (R32, R101; issue 10).

It replaces the changelist's GET (the URL, the filter parameters and the search stay the same,
so bookmarks keep working); a POST (bulk approve or reject) still goes through the
changelist's action machinery. What it saves: the ChangeList's filter specs (a query for the
distinct shops of 100,000 claims and 200 shop links on every page), the COUNT(*) of every
matching claim (a join to the refund requests for the reason filter), and the generic
per-cell rendering (display functions and lookups for 500 cells).

- Filters: state, overdue, shop (by id, set from a row's shop link or by the shop's platform
  id), reason, kind, fast-tracked. Invalid values are ignored, as the merchant lists do.
- Order: overdue reviews first (claims.selectors.claim_queue, read from "claim_queue_idx").
- Search: exact refund, order or buyer id (ClaimAdmin.get_search_results).
- Pages of 50 by page number, with a count (in queue order) that stops at 200 ("200+");
  with a filter no index serves (reason, kind, fast-tracked), the page says "50+" instead.
"""

import datetime as dt
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from claims import sla
from claims.models import COVERED_REASONS, Claim, ClaimState, RefundKind, RefundReason
from enrollment.models import Shop

PER_PAGE = 50
COUNT_CAP = 200  # "200+": the count reads at most a few pages' worth of the queue
SEARCH_VAR = "q"
PAGE_VAR = "p"
SHOP_VAR = "shop__id__exact"
SHOP_SEARCH_VAR = "shop"
# What a row shows (and the tests read: the claims as `cl.result_list`).
QUEUE_FIELDS = [
    "kind",
    "state",
    "amount",
    "review_due_at",
    "fast_tracked",
    "shop__name",
    "shop__platform_shop_id",
    "buyer__platform_buyer_id",
    "refund__platform_refund_id",
    "refund__reason",
    "refund__order__platform_order_id",
]


@dataclass(frozen=True)
class Choice:
    label: str
    href: str
    selected: bool


@dataclass(frozen=True)
class Filter:
    title: str
    choices: list[Choice]


@dataclass
class Queue:
    """What the template shows; `result_list` as the changelist calls it (the claims)."""

    result_list: list
    rows: str
    page: int
    has_next: bool
    count: int
    count_capped: bool
    filters: list[Filter]
    params: dict
    query: str
    shop: Shop | None
    links: dict = field(default_factory=dict)


def _choices():
    reasons = [(r.value, r.label) for r in RefundReason if r in COVERED_REASONS]
    return [
        ("state__exact", Claim._meta.get_field("state").verbose_name, list(ClaimState.choices)),
        ("overdue", _("review overdue"), [("yes", _("Overdue")), ("no", _("Not overdue"))]),
        ("reason", _("reason"), reasons),
        ("kind__exact", Claim._meta.get_field("kind").verbose_name, list(RefundKind.choices)),
        (
            "fast_tracked__exact",
            Claim._meta.get_field("fast_tracked").verbose_name,
            [("1", _("Yes")), ("0", _("No"))],
        ),
    ]


def _href(params: dict, **change) -> str:
    """The query string of `params` changed by `change` (None removes a key)."""
    merged = {k: v for k, v in {**params, **change}.items() if v is not None}
    return "?" + urlencode(merged)


def _params(request) -> dict:
    """The filters of the URL that hold a valid value (others are ignored)."""
    valid = {name: {v for v, _label in choices} for name, _title, choices in _choices()}
    params = {}
    for name, values in valid.items():
        value = request.GET.get(name, "")
        if value in values:
            params[name] = value
    shop = request.GET.get(SHOP_VAR, "")
    if shop.isdigit():
        params[SHOP_VAR] = shop
    term = request.GET.get(SEARCH_VAR, "").strip()
    if term:
        params[SEARCH_VAR] = term
    return params


# A row's columns, read with values_list: 50 rows as model instances are 250 objects (claim,
# refund, order, shop, buyer) built and initialised field by field.
ROW_COLUMNS = ["pk", "shop_id", *QUEUE_FIELDS]


@dataclass(frozen=True, slots=True)
class Ref:
    """A related object as a row shows it (claim.refund, claim.shop, claim.buyer)."""

    platform_refund_id: str = ""
    reason: str = ""
    order: "Ref | None" = None
    platform_order_id: str = ""
    name: str = ""
    platform_shop_id: str = ""
    platform_buyer_id: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    """One claim of the queue: the fields the page shows, named as on the model."""

    pk: int
    shop_id: int
    kind: str
    state: str
    amount: object
    review_due_at: dt.datetime
    fast_tracked: bool
    shop: Ref
    buyer: Ref
    refund: Ref

    @property
    def id(self):
        return self.pk


def _row(values) -> Row:
    (pk, shop_id, kind, state, amount, due, fast, shop_name, shop_platform_id, buyer_id,
     refund_id, reason, order_id) = values  # fmt: skip
    return Row(
        pk=pk,
        shop_id=shop_id,
        kind=kind,
        state=state,
        amount=amount,
        review_due_at=due,
        fast_tracked=fast,
        shop=Ref(name=shop_name, platform_shop_id=shop_platform_id),
        buyer=Ref(platform_buyer_id=buyer_id),
        refund=Ref(
            platform_refund_id=refund_id,
            reason=reason,
            order=Ref(platform_order_id=order_id),
        ),
    )


def _filtered(model_admin, request, params: dict, now: dt.datetime):
    claims = model_admin.get_queryset(request)
    if "state__exact" in params:
        # One state has one queue rank: ordered by deadline, the (state, review_due_at) and
        # (shop, state, review_due_at) indexes give the page in order (same order as R32's).
        claims = claims.filter(state=params["state__exact"]).order_by("review_due_at", "id")
    overdue = {"state": ClaimState.SUBMITTED, "review_due_at__lt": now}
    if params.get("overdue") == "yes":
        claims = claims.filter(**overdue)
    elif params.get("overdue") == "no":
        claims = claims.exclude(**overdue)
    if SHOP_VAR in params:
        claims = claims.filter(shop_id=int(params[SHOP_VAR]))
    if "reason" in params:
        claims = claims.filter(refund__reason=params["reason"])
    if "kind__exact" in params:
        claims = claims.filter(kind=params["kind__exact"])
    if "fast_tracked__exact" in params:
        claims = claims.filter(fast_tracked=params["fast_tracked__exact"] == "1")
    if SEARCH_VAR in params:
        claims, _distinct = model_admin.get_search_results(request, claims, params[SEARCH_VAR])
    return claims


def _residual(params: dict) -> bool:
    """Is a filter on that no claims index starts with (the reason is the refund's; kind and
    fast-tracked have two values)? Then a count, even capped, reads rows in proportion to how
    few match (a shop's claims one by one for a reason it rarely has): none is made."""
    return any(name in params for name in ("reason", "kind__exact", "fast_tracked__exact"))


def _labels() -> dict:
    """The choices' labels in the request's language, translated once per page (a model's
    get_FOO_display() hashes every lazy label of the field on each call)."""
    return {
        "state": {v: str(label) for v, label in ClaimState.choices},
        "kind": {v: str(label) for v, label in RefundKind.choices},
        "reason": {v: str(label) for v, label in RefundReason.choices},
        "overdue": str(_("OVERDUE")),
    }


# Seven columns fit a 1366 px screen beside the filters (issue 11): the ids, the shop and its
# buyer, and the kind and reason share a cell each; amount, state and deadline stay in view.
_ROW = (
    '<tr>{}<th><a href="{}">{}</a><br><span class="quiet">{}</span></th>'
    '<td><a href="{}">{}</a><br><span class="quiet">{}</span></td>'
    '<td>{}<br><span class="quiet">{}</span></td><td class="nowrap amount">¥{}</td>'
    '<td class="nowrap">{}</td><td class="nowrap due">{}</td><td>{}</td></tr>'
)
_CHECKBOX = (
    '<td class="action-checkbox"><input type="checkbox" name="{}" value="{}" '
    'class="action-select" aria-label="{}"></td>'
)
_OVERDUE = '<strong class="overdue" style="color:#b91c1c">⚠ {}</strong> {}'
_COUNTDOWN = '<br><span class="countdown{}">{}</span>'
_ICON = '<img src="{}" alt="{}">'


def _due_cell(claim, now, overdue_label) -> str:
    """The deadline in Asia/Shanghai time; a review still to do gets its countdown (R32)."""
    due = timezone.localtime(claim.review_due_at).strftime("%Y-%m-%d %H:%M")
    if claim.state != ClaimState.SUBMITTED:
        return due
    late = claim.review_due_at < now
    if late:
        due = _OVERDUE.format(escape(overdue_label), due)
    return due + _COUNTDOWN.format(
        " late" if late else "",
        escape(str(sla.countdown(claim.review_due_at, now))),
    )


def _rows_html(claims, *, now, params, change_prefix, checkboxes: bool, icons) -> str:
    """The table body, formatted in Python: 50 rows of 11 values. Every value goes through
    html.escape (quotes too), which is what django.utils.html.escape does to a str, without
    format_html's lazy-string checks on every argument (a fifth of the view in a profile)."""
    labels = _labels()
    shop_hrefs = {}
    icon = {flag: _ICON.format(*map(escape, attrs)) for flag, attrs in icons.items()}
    html = []
    for claim in claims:
        if claim.shop_id not in shop_hrefs:
            shop_hrefs[claim.shop_id] = escape(_href(params, **{SHOP_VAR: str(claim.shop_id)}))
        refund = claim.refund
        refund_id = escape(refund.platform_refund_id)
        html.append(
            _ROW.format(
                _CHECKBOX.format(ACTION_CHECKBOX_NAME, claim.pk, refund_id) if checkboxes else "",
                escape(f"{change_prefix}{claim.pk}/change/"),
                refund_id,
                escape(refund.order.platform_order_id),
                shop_hrefs[claim.shop_id],
                escape(claim.shop.name),
                escape(claim.buyer.platform_buyer_id),
                escape(labels["reason"].get(refund.reason, refund.reason)),
                escape(labels["kind"].get(claim.kind, claim.kind)),
                claim.amount,  # a Decimal
                escape(labels["state"].get(claim.state, claim.state)),
                _due_cell(claim, now, labels["overdue"]),
                icon[claim.fast_tracked],
            )
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value above is escaped


def queue_view(model_admin, request, extra_context=None):
    """GET of the claim changelist (ClaimAdmin.changelist_view)."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    params = _params(request)
    # A shop chosen by its platform id (the toolbar's field) becomes the shop filter.
    shop_term = request.GET.get(SHOP_SEARCH_VAR, "").strip()
    shop = None
    if shop_term:
        shop = Shop.objects.filter(platform_shop_id=shop_term).first()
        params[SHOP_VAR] = str(shop.pk) if shop is not None else "0"  # unknown: no claims
    now = timezone.now()
    try:
        page = max(1, int(request.GET.get(PAGE_VAR, "1")))
    except ValueError:
        page = 1
    claims = _filtered(model_admin, request, params, now)
    offset = (page - 1) * PER_PAGE
    found = [_row(v) for v in claims.values_list(*ROW_COLUMNS)[offset : offset + PER_PAGE + 1]]
    has_next = len(found) > PER_PAGE
    found = found[:PER_PAGE]
    if shop is None and SHOP_VAR in params:  # the rows' shop, or its own query if none
        if found:
            first = found[0]
            shop = Shop(
                pk=first.shop_id,
                name=first.shop.name,
                platform_shop_id=first.shop.platform_shop_id,
            )
        else:
            shop = Shop.objects.filter(pk=int(params[SHOP_VAR])).first()
    if page == 1 and not has_next:
        count = len(found)
    elif _residual(params):
        count = None  # shown as "more than the rows so far"
    else:
        # In queue order, so the index that gives the page gives the count: without an order
        # the planner may count with a Seq Scan under the LIMIT, which reads the whole table
        # when fewer than 201 claims match.
        count = claims.values("pk")[: COUNT_CAP + 1].count()
    filters = []
    for name, title, choices in _choices():
        current = params.get(name)
        filters.append(
            Filter(
                title=title,
                choices=[Choice(_("All"), _href(params, **{name: None}), current is None)]
                + [
                    Choice(label, _href(params, **{name: value}), current == value)
                    for value, label in choices
                ],
            )
        )
    actions = model_admin.get_action_choices(request, default_choices=[])
    icons = {
        True: (static("admin/img/icon-yes.svg"), str(_("Yes"))),
        False: (static("admin/img/icon-no.svg"), str(_("No"))),
    }
    rows = _rows_html(
        found,
        now=now,
        params=params,
        change_prefix=changelist_url,
        checkboxes=bool(actions),
        icons=icons,
    )
    queue = Queue(
        result_list=found,
        rows=rows,
        page=page,
        has_next=has_next,
        count=offset + len(found) if count is None else min(count, COUNT_CAP),
        count_capped=count is None or count > COUNT_CAP,
        filters=filters,
        params=params,
        query=params.get(SEARCH_VAR, ""),
        shop=shop,
        links={
            "previous": _href(params, **{PAGE_VAR: page - 1}) if page > 1 else None,
            "next": _href(params, **{PAGE_VAR: page + 1}) if has_next else None,
            "clear_shop": _href(params, **{SHOP_VAR: None}),
            "clear_all": changelist_url,
        },
    )
    site = model_admin.admin_site
    context = {
        # The admin's common context without the navigation sidebar: building its app list
        # checks four permissions of every registered model on each page.
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": site.site_url,
        "has_permission": site.has_permission(request),
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
        "title": opts.verbose_name_plural,
        "opts": opts,
        "cl": queue,
        "first": offset + 1,
        "last": offset + len(found),
        "actions": actions,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        # The bulk actions post to the changelist with the filters as it knows them (a shop
        # chosen by its platform id is the shop__id__exact filter there).
        "action_url": _href(params),
        "sla_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_sla"),
        "search_help_text": model_admin.search_help_text,
        "search_var": SEARCH_VAR,
        "shop_search_var": SHOP_SEARCH_VAR,
        "shop_term": shop_term or (shop.platform_shop_id if shop else ""),
        "hidden_params": {k: v for k, v in params.items() if k not in (SEARCH_VAR, SHOP_VAR)},
        **(extra_context or {}),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/claims/claim/queue.html", context)
