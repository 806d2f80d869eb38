"""The rows of the reviewers' claim queue (`claims.admin_queue`, R32; issue 10): the columns
read with values_list, the row objects shaped like the model, and the table body formatted
in Python."""

import datetime as dt
from dataclasses import dataclass
from html import escape

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from claims import sla
from claims.models import ClaimState, RefundKind, RefundReason

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


def row(values) -> Row:
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


def rows_html(claims, *, now, shop_href, change_prefix, checkboxes: bool, icons) -> str:
    """The table body, formatted in Python: 50 rows of 11 values. Every value goes through
    html.escape (quotes too), which is what django.utils.html.escape does to a str, without
    format_html's lazy-string checks on every argument (a fifth of the view in a profile).
    `shop_href(shop_id)`: the query string of the queue filtered by that shop."""
    labels = _labels()
    shop_hrefs = {}
    icon = {flag: _ICON.format(*map(escape, attrs)) for flag, attrs in icons.items()}
    html = []
    for claim in claims:
        if claim.shop_id not in shop_hrefs:
            shop_hrefs[claim.shop_id] = escape(shop_href(claim.shop_id))
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
