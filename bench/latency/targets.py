"""What bench/pages.py measures: the pages, each with URLs of real objects of the big shop
read from the dataset and a marker its body must hold (proof that the page is the real one)."""

import urllib.parse
from dataclasses import dataclass

PASSWORD = "bench-scale-2026"
MERCHANT = "shop001@scale.example"  # the big shop (40% of everything)
REVIEWER = "bench-reviewer"
BIG_SHOP = 1
PER_PAGE = 50
POLICY_STATUSES = (
    "awaiting_receipt",
    "in_coverage",
    "expired",
    "claim_in_progress",
    "claim_paid",
    "claim_closed",
)
CSV_PATH = "/policies/export.csv"
CSV_NAME = "CSV export (400,000 policies)"
FLOOR_NAME = "FLOOR: Django page, 25 of 1M rows"
LOGINS = {"merchant": MERCHANT, "reviewer": REVIEWER}  # who -> username


@dataclass
class Page:
    name: str
    who: str  # "merchant", "reviewer" or "anonymous"
    paths: list[str]  # requests rotate over these
    check: bytes = b""  # must appear in the body (proves the page is the real one)


def pages_to_measure(database_url: str) -> list[Page]:
    """URLs of real objects of the big shop, read from the database."""
    import psycopg

    with psycopg.connect(database_url) as conn:

        def rows(sql, *params):
            return conn.execute(sql, params).fetchall()

        # page 2,000 = the rows after 1,999 pages of PER_PAGE: the cursor is the (issued_at, id)
        # of the last row before them
        deep = "SELECT issued_at, id FROM claims_policy WHERE shop_id = %s "
        deep += "ORDER BY issued_at DESC, id DESC OFFSET %s LIMIT 1"
        found = rows(deep, BIG_SHOP, 1999 * PER_PAGE - 1)
        if not found:  # a small dataset (dataset.py --orders): its deepest page with a next one
            policies = rows("SELECT count(*) FROM claims_policy WHERE shop_id = %s", BIG_SHOP)
            page = max(1, policies[0][0] // PER_PAGE - 2)
            print(f"the big shop has {policies[0][0]:,} policies: 'page 2,000' is page {page + 1}")
            found = rows(deep, BIG_SHOP, page * PER_PAGE - 1)
        issued_at, pk = found[0]
        cursor = f"{issued_at.timestamp():.6f}_{pk}"
        orders = [
            r[0]
            for r in rows(
                "SELECT platform_order_id FROM claims_order WHERE shop_id = %s "
                "AND id %% 997 = 1 ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
        claimed_orders = [
            r[0]
            for r in rows(
                "SELECT o.platform_order_id FROM claims_claim c JOIN claims_policy p "
                "ON p.id = c.policy_id JOIN claims_order o ON o.id = p.order_id "
                "WHERE c.id %% 89 = 7 ORDER BY c.id LIMIT 20"
            )
        ]
        policies = [
            r[0]
            for r in rows(
                "SELECT id FROM claims_policy WHERE shop_id = %s AND id %% 991 = 3 "
                "ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
        claims = [
            r[0]
            for r in rows(
                "SELECT id FROM claims_claim WHERE shop_id = %s AND id %% 97 = 5 "
                "ORDER BY id LIMIT 40",
                BIG_SHOP,
            )
        ]
    return [
        Page("floor: /healthz", "anonymous", ["/healthz"], b'"ok"'),
        Page("merchant dashboard", "merchant", ["/dashboard/"], b"<svg"),
        Page("policy list, page 1", "merchant", ["/policies/"], b'rel="next"'),
        Page(
            "policy list, page 2,000",
            "merchant",
            [f"/policies/?after={urllib.parse.quote(cursor)}"],
            b'rel="next"',
        ),
        Page("search by order id", "merchant", [f"/policies/?q={o}" for o in orders], b"WP"),
        Page("policy detail", "merchant", [f"/policies/{p}/" for p in policies], b"WP"),
        Page("refunds, 质保卡 only", "merchant", ["/refunds/?business=warranty"], b'rel="next"'),
        Page("claim detail", "merchant", [f"/claims/{c}/" for c in claims], b"R0"),
        Page("invoice records", "merchant", ["/invoices/"], b"<table"),
        *[
            Page(f"policies ?status={s}", "merchant", [f"/policies/?status={s}"], b"<table")
            for s in POLICY_STATUSES
        ],
        Page("refunds, all", "merchant", ["/refunds/"], b'rel="next"'),
        Page("refunds, to confirm", "merchant", ["/refunds/?due=needs_action"], b"<h1"),
        Page("refunds, merchant-handled", "merchant", ["/refunds/?business=merchant"], b"<table"),
        Page("payouts", "merchant", ["/payouts/"], b"<table"),
        Page("admin claim queue", "reviewer", ["/admin/claims/claim/"], b"result_list"),
        Page(
            "admin queue: submitted+overdue",
            "reviewer",
            ["/admin/claims/claim/?state__exact=submitted&overdue=yes"],
            b"result_list",
        ),
        Page(
            "admin queue: big shop+reason",
            "reviewer",
            [f"/admin/claims/claim/?shop__id__exact={BIG_SHOP}&reason=quality_issue"],
            b"result_list",
        ),
        Page(
            "admin queue: search order id",
            "reviewer",
            [f"/admin/claims/claim/?q={o}" for o in claimed_orders],
            b"result_list",
        ),
    ]
