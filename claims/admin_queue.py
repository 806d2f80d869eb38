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
- Search: exact refund, order or buyer id (ClaimAdmin's, portal.admin_kit.ExactIdSearch).
- Pages of 50 by page number, with a count (in queue order) that stops at 200 ("200+"):
  the first page reads those 201 claims' own columns and shows the first 50 (no COUNT query),
  a later page counts with a query of its own; with a filter no index serves (reason, kind,
  fast-tracked), the page says "50+" instead.
- A row's shop, buyer, refund and order: one statement for the page (admin_queue_rows).
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlencode

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from claims.admin_queue_rows import ROW_COLUMNS, queue_rows, rows_html
from claims.models import COVERED_REASONS, Claim, ClaimState, RefundKind, RefundReason
from enrollment.models import Shop

PER_PAGE = 50
COUNT_CAP = 200  # "200+": the count reads at most a few pages' worth of the queue
SEARCH_VAR = "q"
PAGE_VAR = "p"
SHOP_VAR = "shop__id__exact"
SHOP_SEARCH_VAR = "shop"


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


def _shop_searched(request, params: dict) -> tuple[str, Shop | None]:
    """A shop chosen by its platform id (the toolbar's field) becomes the shop filter."""
    shop_term = request.GET.get(SHOP_SEARCH_VAR, "").strip()
    shop = None
    if shop_term:
        shop = Shop.objects.filter(platform_shop_id=shop_term).first()
        params[SHOP_VAR] = str(shop.pk) if shop is not None else "0"  # unknown: no claims
    return shop_term, shop


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get(PAGE_VAR, "1")))
    except ValueError:
        return 1


def _filtered_shop(found: list, params: dict) -> Shop | None:
    """The shop filtered by id: the rows' shop, or its own query if none."""
    if found:
        first = found[0]
        return Shop(
            pk=first.shop_id,
            name=first.shop.name,
            platform_shop_id=first.shop.platform_shop_id,
        )
    return Shop.objects.filter(pk=int(params[SHOP_VAR])).first()


def _read_for_count(page: int, params: dict) -> bool:
    """Does the page read the count's claims itself? The first page, when the count is
    made (`_residual`): up to COUNT_CAP + 1 claims' own columns, the first 50 shown, and no
    COUNT query."""
    return page == 1 and not _residual(params)


def _count(claims, params: dict, *, page: int, read: list) -> int | None:
    """The claims that match, up to COUNT_CAP + 1, from the rows `read` (the page's, or the
    count's on the first page) or a query; None: not counted (`_residual`), shown as "more
    than the rows so far"."""
    if _read_for_count(page, params) or (page == 1 and len(read) <= PER_PAGE):
        return len(read)
    if _residual(params):
        return None
    # In queue order, so the index that gives the page gives the count: without an order
    # the planner may count with a Seq Scan under the LIMIT, which reads the whole table
    # when fewer than 201 claims match.
    return claims.values("pk")[: COUNT_CAP + 1].count()


def _filters(params: dict) -> list[Filter]:
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
    return filters


def queue_view(model_admin, request, extra_context=None):
    """GET of the claim changelist (ClaimAdmin.changelist_view)."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    params = _params(request)
    shop_term, shop = _shop_searched(request, params)
    now = timezone.now()
    page = _page(request)
    claims = _filtered(model_admin, request, params, now)
    offset = (page - 1) * PER_PAGE
    read = COUNT_CAP + 1 if _read_for_count(page, params) else PER_PAGE + 1
    values = list(claims.values_list(*ROW_COLUMNS)[offset : offset + read])
    has_next = len(values) > PER_PAGE
    found = queue_rows(values[:PER_PAGE])
    if shop is None and SHOP_VAR in params:
        shop = _filtered_shop(found, params)
    count = _count(claims, params, page=page, read=values)
    actions = model_admin.get_action_choices(request, default_choices=[])
    icons = {
        True: (static("admin/img/icon-yes.svg"), str(_("Yes"))),
        False: (static("admin/img/icon-no.svg"), str(_("No"))),
    }
    rows = rows_html(
        found,
        now=now,
        shop_href=lambda shop_id: _href(params, **{SHOP_VAR: str(shop_id)}),
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
        filters=_filters(params),
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
        "title": capfirst(opts.verbose_name_plural),
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
    return TemplateResponse(request, TEMPLATE, context | _frame(), using="jinja2")


TEMPLATE = "admin/claims/claim/queue.html"  # Jinja2 (jinja2/admin/), issue 10


def _frame() -> dict:
    """What Django's admin/base.html asks its template tags for, for the Jinja2 frame
    (jinja2/admin/base_site.html): `{% now "Z" %}`, `{% get_current_timezone %}` and the
    admin documentation's URL (`{% url 'django-admindocs-docroot' as docsroot %}`)."""
    now = timezone.localtime()
    return {
        "utc_offset": int(now.utcoffset().total_seconds()),
        "time_zone": timezone.get_current_timezone_name(),
        "docsroot": _docsroot(get_urlconf()),
    }


@cache
def _docsroot(urlconf) -> str:
    try:
        return reverse("django-admindocs-docroot", urlconf=urlconf)
    except NoReverseMatch:
        return ""
