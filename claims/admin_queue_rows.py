"""The rows of the reviewers' claim queue (`claims.admin_queue`, R32; issue 10): the claims'
columns read with values_list and their related objects in one statement, the row objects
shaped like the model, and the table body formatted in Python."""

import datetime as dt
from dataclasses import dataclass
from html import escape

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from claims import sla
from claims.models import Buyer, ClaimState, Order, RefundKind, RefundReason, RefundRequest
from enrollment.models import Shop
from portal.lookups import among

# A row's columns: the claim's own, read with values_list from the claims table alone (the
# filters may join), then the shop, buyer, refund and order of the page's claims in one
# statement (`_related`). Read joined, the five tables cost PostgreSQL 1 ms to plan on each
# page (the claims' 15 indexes); as model instances, 50 rows are 250 objects built field by
# field.
ROW_COLUMNS = [
    "pk",
    "shop_id",
    "buyer_id",
    "refund_id",
    "kind",
    "state",
    "amount",
    "review_due_at",
    "fast_tracked",
]


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


def queue_rows(values: list[tuple]) -> list[Row]:
    """The claims' ROW_COLUMNS values, with their shop, buyer and refund (one query)."""
    if not values:
        return []
    shops, buyers, refunds = _related(
        {v[1] for v in values}, {v[2] for v in values}, {v[3] for v in values}
    )
    return [
        Row(
            pk=pk,
            shop_id=shop_id,
            kind=kind,
            state=state,
            amount=amount,
            review_due_at=due,
            fast_tracked=fast,
            shop=shops[shop_id],
            buyer=buyers[buyer_id],
            refund=refunds[refund_id],
        )
        for pk, shop_id, buyer_id, refund_id, kind, state, amount, due, fast in values
    ]


def _related(shop_ids, buyer_ids, refund_ids) -> tuple[dict, dict, dict]:
    """The shops, buyers and refunds (with their order's platform id) of these ids, as
    `Ref`s by id: one statement of three single-table reads, each by primary key (the
    values are all text, so no converter is needed on either database)."""
    q = connection.ops.quote_name

    def ids_of(model, alias: str, ids) -> tuple[str, list]:
        return among(
            f"{alias}.id", sorted(ids), connection, model._meta.pk.cast_db_type(connection)
        )

    shop_in, shop_params = ids_of(Shop, "s", shop_ids)
    buyer_in, buyer_params = ids_of(Buyer, "b", buyer_ids)
    refund_in, refund_params = ids_of(RefundRequest, "r", refund_ids)
    sql = (
        f"SELECT 's', s.id, s.name, s.platform_shop_id, NULL FROM {q(Shop._meta.db_table)} s "
        f"WHERE {shop_in} UNION ALL "
        f"SELECT 'b', b.id, b.platform_buyer_id, NULL, NULL FROM {q(Buyer._meta.db_table)} b "
        f"WHERE {buyer_in} UNION ALL "
        f"SELECT 'r', r.id, r.platform_refund_id, r.reason, (SELECT o.platform_order_id FROM "
        f"{q(Order._meta.db_table)} o WHERE o.id = r.order_id) "
        f"FROM {q(RefundRequest._meta.db_table)} r WHERE {refund_in}"
    )
    shops, buyers, refunds = {}, {}, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*shop_params, *buyer_params, *refund_params])
        for kind, pk_, first, second, third in cursor.fetchall():
            if kind == "s":
                shops[pk_] = Ref(name=first, platform_shop_id=second)
            elif kind == "b":
                buyers[pk_] = Ref(platform_buyer_id=first)
            else:
                refunds[pk_] = Ref(
                    platform_refund_id=first, reason=second, order=Ref(platform_order_id=third)
                )
    return shops, buyers, refunds


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
