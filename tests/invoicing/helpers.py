"""Builders shared by the invoicing tests (and the invoicing browser test)."""

import datetime as dt
import itertools
from decimal import Decimal
from importlib import import_module

from claims.models import Buyer, Order, Policy
from demo.invoices import demo_pdf
from invoicing import services
from portal.clock import SHANGHAI

RATE = Decimal("0.0150")
_orders = itertools.count(1)

# GB 32100-2015 codes computed with the check formula (made-up organisations).
TAXPAYER_ID = "91330106MA2GL0000K"
PDF = demo_pdf(["Test invoice", "No. 26000000000000000001"])
NUMBER = "26330000000012345678"
TODAY = dt.date(2026, 7, 10)  # the frozen day (tests/invoicing/conftest.py NOW)


def shanghai(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def make_policy(shop, *, premium, issued_at: dt.datetime) -> Policy:
    """A policy as `order_ship` issues it (R21/R22), written directly: faster than events."""
    n = next(_orders)
    buyer, _ = Buyer.objects.get_or_create(platform_buyer_id="buyer-invoicing")
    premium = Decimal(premium)
    order = Order.objects.create(
        platform_order_id=f"INV-O{n}",
        shop=shop,
        buyer=buyer,
        paid_amount=(premium / RATE).quantize(Decimal("0.01")),
        placed_at=issued_at - dt.timedelta(hours=2),
        insured=True,
        rate=RATE,
        shipped_at=issued_at,
    )
    return Policy.objects.create(
        order=order,
        shop=shop,
        policy_no=f"WPINV{n:010d}",
        premium=premium,
        rate=RATE,
        issued_at=issued_at,
    )


def request_data(**overrides) -> dict:
    """A valid electronic request for May-June 2026 (service keyword arguments)."""
    return {
        "first_month": dt.date(2026, 5, 1),
        "last_month": dt.date(2026, 6, 1),
        "invoice_type": "electronic_general",
        "title": "杭州甲电器有限公司",
        "taxpayer_id": TAXPAYER_ID,
        "email": "finance@shop-a.cn",
        **overrides,
    }


def issue(invoice, actor, *, number=NUMBER, date=TODAY, pdf=None):
    """Finance's R73 issue with a valid number and date, and the PDF of an electronic one."""
    if pdf is None and not invoice.is_paper:
        pdf = PDF
    return services.invoice_issue(
        invoice_id=invoice.pk, actor=actor, invoice_number=number, invoice_date=date, pdf=pdf
    )


def ship(invoice, actor, *, tracking="SF1400000000001", carrier="顺丰速运"):
    return services.invoice_ship(
        invoice_id=invoice.pk, actor=actor, carrier=carrier, tracking_number=tracking
    )


PAPER = {
    "invoice_type": "paper_special",
    "mailing_address": "浙江省杭州市余杭区文一西路 969 号",
    "recipient": "李会计",
    "phone": "0571-88886666",
}


def grant_invoicing_groups() -> None:
    """Run portal/0003's grant, as `migrate` did, for transactional tests (their database is
    emptied after each test; tests/conftest.py's `migration_data` puts the rest back)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state_apps = loader.project_state(("portal", "0003_invoicing_groups")).apps
    module = import_module("portal.migrations.0003_invoicing_groups")
    with connection.schema_editor(atomic=True) as schema_editor:
        module.grant_invoicing(state_apps, schema_editor)
