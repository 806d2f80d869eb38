"""The merchant's CSV exports of the claims area: policies (R24), refunds (R44), payouts (R35).

Each is a table (portal.csv_export) over the selector its list page uses, with the same
filters (R100: scoped to the shop). Every column gives its cell twice, side by side: from a
model instance (Python's csv module, SQLite) and as SQL text (PostgreSQL's COPY); the two
files are byte-identical (tests/portal/test_csv_export.py). Headers and labels are
translated when the table is built (R3): in the request's language, or in the language
stored with a background export.
"""

from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims import selectors
from claims.forms import payout_filters, policy_filters, refund_filters
from claims.models import (
    ClaimState,
    NotCoveredReason,
    PayoutState,
    PolicyClaimStatus,
    PolicyStatus,
    RefundKind,
    RefundReason,
)
from exports.registry import register
from portal.csv_export import Column, CsvTable, field, label, labels_sql, local_time
from portal.pagination import ordering, ordering_key

NONE = Value(None, output_field=CharField())


def _in_list_order(form, rows):
    """The rows in the order their list shows them: the sort chosen (issue 11; newest first
    by the list's own time, or by amount), ties by id, as keyset_page orders a page."""
    return rows.order_by(*ordering(*form.order(time_key=ordering_key(rows))))


def _policy_status(now) -> Column:
    """R24 at `now`: the claim's outcome, else awaiting receipt / in coverage / expired."""
    labels = {status.value: str(status.label) for status in PolicyStatus}
    claimed = [s for s in PolicyClaimStatus.values if s != PolicyClaimStatus.NONE]
    return Column(
        _("Status"),
        lambda policy: labels[policy.status(now)],
        Case(
            *(When(claim_status=s, then=Value(labels[s])) for s in claimed),
            When(coverage_start__isnull=True, then=Value(labels[PolicyStatus.AWAITING_RECEIPT])),
            When(coverage_end__gte=now, then=Value(labels[PolicyStatus.IN_COVERAGE])),
            default=Value(labels[PolicyStatus.EXPIRED]),
            output_field=CharField(),
        ),
    )


@register("policies", label=gettext_lazy("Policies"))
def policies(*, shop, params, now) -> CsvTable:
    form, filters = policy_filters(params)
    return CsvTable(
        filename="policies.csv",
        rows=_in_list_order(form, selectors.policies_for_shop(shop=shop, now=now, **filters)),
        columns=[
            field(_("Policy number"), "policy_no"),
            field(_("Order id"), "order__platform_order_id"),
            field(_("Buyer id"), "order__buyer__platform_buyer_id"),
            local_time(_("Issued at"), "issued_at"),
            field(_("Paid amount"), "order__paid_amount"),
            field(_("Premium rate"), "rate"),
            field(_("Premium"), "premium"),
            local_time(_("Coverage start"), "coverage_start"),
            local_time(_("Coverage end"), "coverage_end"),
            _policy_status(now),
        ],
    )


def _business_type() -> Column:
    warranty, merchant = _("Warranty card (质保卡)"), _("Merchant-handled")
    return Column(
        _("Business type"),
        lambda refund: warranty if refund.covered else merchant,
        Case(When(covered=True, then=Value(warranty)), default=Value(merchant)),
    )


def _why_not_covered() -> Column:
    labels = {value: str(text) for value, text in NotCoveredReason.choices}
    return Column(
        _("Why not covered"),
        lambda r: "" if r.covered else labels.get(r.not_covered_reason, r.not_covered_reason),
        Case(When(covered=False, then=labels_sql("not_covered_reason", labels)), default=NONE),
    )


def _claim_state() -> Column:
    labels = {value: str(text) for value, text in ClaimState.choices}
    return Column(
        _("Claim state"),
        lambda r: labels.get(r.claim.state, r.claim.state) if r.covered else "",
        Case(When(covered=True, then=labels_sql("claim__state", labels)), default=NONE),
    )


@register("refunds", label=gettext_lazy("Refunds and claims"))
def refunds(*, shop, params, now) -> CsvTable:
    form, filters = refund_filters(params)
    return CsvTable(
        filename="refunds.csv",
        rows=_in_list_order(form, selectors.refunds_for_shop(shop=shop, now=now, **filters)),
        columns=[
            field(_("Refund id"), "platform_refund_id"),
            field(_("Order id"), "order__platform_order_id"),
            field(_("Sub-order id"), "line__platform_line_id"),
            field(_("Buyer id"), "buyer__platform_buyer_id"),
            local_time(_("Requested at"), "requested_at"),
            label(_("Kind"), "kind", RefundKind.choices),
            label(_("Reason"), "reason", RefundReason.choices),
            field(_("Amount"), "amount"),
            _business_type(),
            _why_not_covered(),
            _claim_state(),
        ],
    )


@register("payouts", label=gettext_lazy("Payouts"))
def payouts(*, shop, params, now) -> CsvTable:
    form, filters = payout_filters(params)
    return CsvTable(
        filename="payouts.csv",
        rows=_in_list_order(form, selectors.payouts_for_shop(shop=shop, **filters)),
        columns=[
            local_time(_("Paid at"), "paid_at"),
            field(_("Refund id"), "claim__refund__platform_refund_id"),
            field(_("Order id"), "claim__refund__order__platform_order_id"),
            field(_("Amount"), "amount"),
            field(_("Alipay account"), "alipay_account"),
            label(_("Payout state"), "state", PayoutState.choices),  # R115
        ],
    )
