"""Reads of the invoicing app: what a period can invoice (R71), the merchant's records (R74)
and the finance queue (R75)."""

import datetime as dt

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from claims.models import Policy
from enrollment.models import Shop
from invoicing.models import PENDING, InvoiceLine, InvoiceRequest
from portal.clock import start_of_day


def invoiceable_policies(
    *, shop: Shop, period_start: dt.date, period_end: dt.date, now: dt.datetime | None = None
) -> QuerySet[Policy]:
    """R71: the shop's premiums charged in [period_start, period_end] (Asia/Shanghai dates)
    and not on a live invoice. A premium is charged when its policy is issued (R22)."""
    now = now or timezone.now()
    on_live_invoice = InvoiceLine.objects.filter(policy=OuterRef("pk"), live=True)
    return (
        Policy.objects.filter(
            shop=shop,
            issued_at__gte=start_of_day(period_start),
            issued_at__lt=start_of_day(period_end + dt.timedelta(days=1)),
            issued_at__lte=now,
            premium__gt=0,
        )
        .exclude(Exists(on_live_invoice))
        .order_by("issued_at", "pk")
    )


def premiums_charged_exist(*, shop: Shop, period_start: dt.date, period_end: dt.date) -> bool:
    """Were any premiums charged in the period at all (to tell "nothing charged" from
    "already on an invoice request")?"""
    return Policy.objects.filter(
        shop=shop,
        issued_at__gte=start_of_day(period_start),
        issued_at__lt=start_of_day(period_end + dt.timedelta(days=1)),
        premium__gt=0,
    ).exists()


def invoices_for_shop(
    *, shop: Shop, state: str = "", order: tuple[str, bool] = ("submitted_at", True)
) -> QuerySet[InvoiceRequest]:
    """R74: every request of the shop (in `state` if given), newest first unless `order`
    says (key, descending) otherwise. One query, whatever the number."""
    invoices = InvoiceRequest.objects.filter(shop=shop)
    if state:
        invoices = invoices.filter(state=state)
    key, descending = order
    return invoices.order_by(f"-{key}", "-id") if descending else invoices.order_by(key, "id")


def invoice_latest(*, shop: Shop) -> InvoiceRequest | None:
    return invoices_for_shop(shop=shop).first()


def invoice_queue(
    queryset: QuerySet[InvoiceRequest] | None = None, *, now: dt.datetime | None = None
) -> QuerySet[InvoiceRequest]:
    """R75: overdue requests first, then the pending ones by deadline, then the rest."""
    now = now or timezone.now()
    queryset = InvoiceRequest.objects.all() if queryset is None else queryset
    return queryset.annotate(
        queue_rank=Case(
            When(PENDING & Q(deadline_at__lt=now), then=Value(0)),
            When(PENDING, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )


def overdue_count(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return InvoiceRequest.objects.filter(PENDING, deadline_at__lt=now).count()
