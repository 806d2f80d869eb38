"""The whole build: one deterministic generator (`Build`) and the order its tables load in.

The random draws happen in load order (shops' rates, orders, the refund plan, buyers, ...),
so the same --seed and --now give the same rows.
"""

import datetime as dt
import random
import time

from bench.scale.claim_rows import ClaimRows
from bench.scale.claims import ClaimPlan
from bench.scale.invoices import InvoiceRows, taxpayer_id_for
from bench.scale.loader import Loader, step
from bench.scale.orders import OrderRows
from bench.scale.plan import BIG_SHOP_ID, BIG_SHOP_PLATFORM_ID, PASSWORD, D
from bench.scale.shops import ShopRows


class Build(ShopRows, OrderRows, ClaimPlan, ClaimRows, InvoiceRows):
    def __init__(self, seed: int, now: float, n_orders: int):
        self.rng = random.Random(seed)
        self.now = now
        self.n_orders = n_orders
        self.start = now - 365 * D  # first order
        self.enrolled_at = self.start - 30 * D


def load_all(conn, build: Build) -> Loader:
    """COPY every generated table through one connection (its transaction left open)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django_fsm_log.models import StateLog

    from claims import models as claims
    from enrollment import models as enrollment
    from invoicing import models as invoicing
    from invoicing.calendar import invoice_deadline

    load = Loader(conn)
    claim_ct = conn.execute(
        "SELECT id FROM django_content_type WHERE app_label='claims' AND model='claim'"
    ).fetchone()[0]
    groups = [
        conn.execute("SELECT id FROM auth_group WHERE name = %s", [name]).fetchone()[0]
        for name in ("claim reviewer", "finance", "underwriter")  # the order of shops.STAFF
    ]
    user = get_user_model()
    load.copy(user, build.users(make_password(PASSWORD)))
    load.copy(user.groups.through, build.user_groups(groups))
    load.copy(enrollment.Shop, build.shops())
    load.copy(enrollment.Merchant, build.merchants())
    load.copy(enrollment.Invitation, build.invitations())
    load.copy(enrollment.Enrollment, build.enrollments())
    build.shop_rates()
    load.copy(enrollment.PremiumRate, build.premium_rates())
    load.copy(claims.Order, build.orders())
    load.copy(claims.OrderLine, build.order_lines())
    started = time.perf_counter()
    claim_status = build.plan_refunds()
    step("(planning refunds and claims)", time.perf_counter() - started)
    load.copy(claims.Buyer, build.buyers(build.ineligible))
    load.copy(claims.Policy, build.policies(claim_status))
    load.copy(claims.RefundRequest, build.refund_rows())
    load.copy(claims.Claim, build.claim_rows())
    load.copy(claims.Payout, build.payouts())
    load.copy(claims.BuyerCompensation, build.compensations())
    load.copy(claims.ServiceBreach, build.breaches())
    load.copy(StateLog, build.state_logs(claim_ct))
    load.copy(claims.BuyerFeedback, build.feedback())

    def deadline_of(epoch: float) -> float:
        return invoice_deadline(dt.datetime.fromtimestamp(epoch, dt.UTC)).timestamp()

    load.copy(invoicing.InvoiceRequest, build.invoices(deadline_of, taxpayer_id_for))
    load.copy(invoicing.InvoiceLine, build.invoice_line_rows())
    return load


SUMMARY_TABLES = [
    "enrollment_shop", "claims_buyer", "claims_order", "claims_orderline",
    "claims_policy", "claims_refundrequest", "claims_claim", "claims_payout",
    "claims_buyercompensation", "claims_servicebreach", "django_fsm_log_statelog",
    "claims_buyerfeedback", "invoicing_invoicerequest", "invoicing_invoiceline",
    "claims_shopday", "claims_shopdayreason", "claims_shopclaimstate",
]  # fmt: skip


def print_summary(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url) as conn:
        print("rows:")
        for table in SUMMARY_TABLES:
            n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"  {table:<32} {n:>10,}")
        big = conn.execute(
            "SELECT count(*) FROM claims_policy WHERE shop_id = %s", [BIG_SHOP_ID]
        ).fetchone()[0]
        print(f"  big shop {BIG_SHOP_PLATFORM_ID} policies: {big:,}")
        states = conn.execute(
            "SELECT state, count(*) FROM claims_claim GROUP BY state ORDER BY 2 DESC"
        ).fetchall()
        print("  claims by state: " + ", ".join(f"{s} {n:,}" for s, n in states))
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database size: {size.fetchone()[0]}")
