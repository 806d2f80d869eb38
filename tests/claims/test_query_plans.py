"""Every list page a merchant or reviewer can filter reads the large tables through an index
(issue 10): no sequential scan, and no scan that reads far more rows than the page shows.

PostgreSQL only (skipped, visibly, on SQLite). The test loads a marketplace-shaped dataset in
its own transaction with generate_series (200,000 orders, sub-orders and policies, 120,000
refund requests, 80,000 claims over every R41 state, their payouts and audit rows; one shop
holds 40% as in bench/dataset.py, another 10%) and ANALYZEs it, so the planner chooses as it
would in production; the transaction is rolled back at the end. Then it requests each page with each
filter combination through the test client, captures the SQL the page really runs, and runs
EXPLAIN (ANALYZE, FORMAT JSON) on every SELECT that reads a large table. A plan fails when a
large table is read by a Seq Scan, by a scan with neither an Index Cond nor a Limit above it,
or by a scan that reads (returns or filters out) more than MAX_ROWS_READ rows.

(Setting enable_seqscan=off would make a test like this unable to fail: a missing index turns
into a full index scan. The statistics of a realistic table are what the plans are judged by.)
"""

import datetime as dt
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import Claim

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are PostgreSQL's; run with DATABASE_URL=postgres://...",
    ),
]

LARGE_TABLES = {
    "claims_policy",
    "claims_claim",
    "claims_refundrequest",
    "claims_order",
    "claims_orderline",
    "claims_payout",
    "django_fsm_log_statelog",
}
# A page shows PER_PAGE (25) rows; the capped count reads up to 1,001. A scan reading more than this
# reads rows it does not show (the filter is not in the index).
MAX_ROWS_READ = 5_000

ORDERS = 200_000
REFUNDS = 120_000  # on the older orders, one in three merchant-handled
BUYERS = 50_000
SMALL_SHOPS = 199
BASE = 10_000_000  # ids of the generated rows, above any fixture's
MIDDLE_SHOP = BASE + 1

# R41 states in about the dataset's proportions (per 1,000 claims).
STATES = [
    ("paid", 550),
    ("rejected", 150),
    ("cancelled", 80),
    ("closed_timeout", 50),
    ("awaiting_return", 50),
    ("submitted", 40),
    ("return_shipped", 40),
    ("closed_refused", 20),
    ("receipt_refused", 7),
    ("refunded", 5),
    ("approved", 5),
    ("received", 3),
]


OPEN = "('submitted', 'approved', 'awaiting_return', 'return_shipped', 'received', "
OPEN += "'receipt_refused', 'refunded')"  # open claims are recent, as in the dataset


def state_of(id_column: str) -> str:
    """The R41 state of the claim of refund/order `id_column` (SQL; deterministic)."""
    whens, upto = [], 0
    for state, share in STATES:
        upto += share
        whens.append(f"WHEN ({id_column} * 7919) % 1000 < {upto} THEN '{state}'")
    return "CASE " + " ".join(whens) + " END"


def load_dataset(big_shop_id: int, now: dt.datetime) -> None:
    """INSERT … SELECT generate_series: a few seconds for 700,000 rows, then ANALYZE."""
    # the big shop 40%, a middle one 10%, the others about 0.25% each
    shop_of = (
        f"CASE WHEN g % 10 < 4 THEN {big_shop_id} WHEN g % 10 = 4 THEN {MIDDLE_SHOP} "
        f"ELSE {BASE} + 2 + g % {SMALL_SHOPS - 1} END"
    )
    claim_ct = ContentType.objects.get_for_model(Claim).pk
    at = f"'{now.isoformat()}'::timestamptz"
    sql = [
        f"""INSERT INTO enrollment_shop (id, platform_shop_id, name, industry, created_at)
            SELECT {BASE} + g, 'TS-' || g, 'shop ' || g, 'home_appliances', {at}
            FROM generate_series(1, {SMALL_SHOPS}) g""",
        f"""INSERT INTO claims_buyer (id, platform_buyer_id, credit_tier, revoke_reason,
                credit_impact, eligibility)
            SELECT {BASE} + g, 'tb' || g, 1 + g % 5, '', '', 'eligible'
            FROM generate_series(1, {BUYERS}) g""",
        # orders over a year, newest last; the last 1,500 not received yet
        f"""INSERT INTO claims_order (id, platform_order_id, paid_amount, placed_at, insured,
                rate, shipped_at, received_at, buyer_id, shop_id)
            SELECT {BASE} + g, 'TO' || g, 100.00, t, true, 0.0150, t + interval '1 hour',
                CASE WHEN g > {ORDERS} - 1500 THEN NULL ELSE t + interval '2 days' END,
                {BASE} + 1 + g % {BUYERS}, {shop_of}
            FROM generate_series(1, {ORDERS}) g,
                LATERAL (SELECT {at} - ({ORDERS} - g) * interval '150 seconds' AS t) x""",
        f"""INSERT INTO claims_orderline (id, platform_line_id, sku, title, quantity,
                paid_amount, order_id)
            SELECT {BASE} + g, 'TL' || g, 'SKU' || (g % 5000), 'kettle', 1, 100.00, {BASE} + g
            FROM generate_series(1, {ORDERS}) g""",
        f"""INSERT INTO claims_policy (id, policy_no, premium, rate, issued_at, coverage_start,
                coverage_end, claim_status, order_id, shop_id)
            SELECT o.id, 'TP' || o.id, 1.50, 0.0150, o.shipped_at, o.received_at,
                o.received_at + interval '30 days',
                CASE WHEN o.id - {BASE} > {REFUNDS} OR (o.id - {BASE}) % 3 = 0 THEN 'none'
                    WHEN s.state = 'paid' THEN 'claim_paid'
                    WHEN s.state IN ('rejected', 'cancelled', 'closed_timeout', 'closed_refused')
                    THEN 'claim_closed' ELSE 'claim_in_progress' END,
                o.id, o.shop_id
            FROM claims_order o, LATERAL (SELECT {state_of("o.id")} AS state) s
            WHERE o.id > {BASE}""",
        # refunds: on the older orders; two in three covered (claims), the rest not
        f"""INSERT INTO claims_refundrequest (id, platform_refund_id, kind, reason, amount,
                description, requested_at, covered, not_covered_reason, content_hash,
                buyer_id, line_id, order_id, shop_id, state)
            SELECT {BASE} + g, 'TR' || g,
                CASE WHEN g % 2 = 0 THEN 'refund_only' ELSE 'return_and_refund' END,
                CASE WHEN g % 3 <> 0 THEN
                    CASE WHEN g / 10 % 10 < 7 THEN 'quality_issue' WHEN g / 10 % 10 < 9
                    THEN 'not_as_described' ELSE 'damaged_or_stained' END
                ELSE CASE g % 3 WHEN 0 THEN 'no_longer_needed' WHEN 1 THEN 'wrong_size'
                    ELSE 'other' END END,
                50.00, '',
                CASE WHEN g % 3 <> 0 AND s.state IN {OPEN}
                    THEN {at} - (g % 72) * interval '1 hour'
                    ELSE o.placed_at + interval '5 days' END,
                g % 3 <> 0,
                CASE WHEN g % 3 <> 0 THEN '' ELSE 'reason_not_covered' END, '',
                o.buyer_id, o.id, o.id, o.shop_id, 'recorded'
            FROM generate_series(1, {REFUNDS}) g
            JOIN claims_order o ON o.id = {BASE} + g,
                LATERAL (SELECT {state_of("o.id")} AS state) s""",
        f"""INSERT INTO claims_claim (id, kind, state, amount, payable_cap, submitted_at,
                review_due_at, review_overdue, decided_by_system, decision_rule, fast_tracked,
                rejection_reason, return_address, return_due_at, return_carrier,
                return_tracking_number, receipt_due_at, refusal_ground, refusal_note,
                buyer_id, shop_id, policy_id, refund_id, line_id)
            SELECT r.id, r.kind, s.state, r.amount, 110.00, r.requested_at,
                r.requested_at + interval '24 hours', false, false, '', r.id % 5 = 0, '', '',
                CASE WHEN s.state = 'awaiting_return' THEN r.requested_at + interval '7 days'
                END, '', '',
                CASE WHEN s.state = 'return_shipped' THEN r.requested_at + interval '10 days'
                END, '', '', r.buyer_id, r.shop_id, r.order_id, r.id, r.line_id
            FROM claims_refundrequest r,
                LATERAL (SELECT {state_of("r.id")} AS state) s
            WHERE r.id > {BASE} AND r.covered""",
        f"""INSERT INTO claims_payout (id, amount, alipay_account, paid_at, claim_id, shop_id,
                state, alipay_name, provider_reference, failure_reason)
            SELECT c.id, 60.00, 'shop@alipay.example', c.submitted_at + interval '2 days',
                c.id, c.shop_id, 'pending', '', '', ''
            FROM claims_claim c WHERE c.id > {BASE} AND c.state = 'paid'""",
        f"""INSERT INTO django_fsm_log_statelog (timestamp, state, transition, object_id,
                content_type_id, description)
            SELECT c.submitted_at + n * interval '1 hour', c.state, 'step', c.id,
                {claim_ct}, ''
            FROM claims_claim c, generate_series(1, 1) n WHERE c.id > {BASE}""",
    ]
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
        # Statistics from every row, not a random sample of 30,000: the same plans each run
        # (with a sample, the planner's choice between the index in page order and a bitmap
        # scan of a filter's rows changed from run to run).
        cursor.execute("SET default_statistics_target = 10000")
        for table in sorted(LARGE_TABLES | {"claims_buyer", "enrollment_shop"}):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("RESET default_statistics_target")


def _scans(node, under_limit=False):
    """(node, is under a Limit) for every node of the plan tree."""
    under_limit = under_limit or node["Node Type"] == "Limit"
    yield node, under_limit
    for child in node.get("Plans", []):
        yield from _scans(child, under_limit)


def plan_problems(sql: str) -> list[str]:
    """What is wrong with the plan of one SELECT (EXPLAIN ANALYZE: real rows on real data)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    problems = []
    for node, under_limit in _scans(plan["Plan"]):
        table = node.get("Relation Name")
        if table not in LARGE_TABLES:
            continue
        kind = node["Node Type"]
        loops = node.get("Actual Loops", 1)
        read = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        ) * loops
        has_cond = "Index Cond" in node or "Recheck Cond" in node
        if kind == "Seq Scan":
            problems.append(f"Seq Scan on {table} ({read} rows)")
        elif not has_cond and not under_limit:
            problems.append(f"{kind} on {table} with no Index Cond and no Limit ({read} rows)")
        if read > MAX_ROWS_READ:
            problems.append(f"{kind} on {table} reads {read} rows (> {MAX_ROWS_READ})")
    return problems


def _large_selects(queries) -> list[str]:
    pattern = re.compile(r'"(' + "|".join(LARGE_TABLES) + r')"')
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and pattern.search(q["sql"])
    ]


def page_problems(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    problems = []
    for sql in _large_selects(captured.captured_queries):
        problems.extend(f"{url}: {p}\n    {sql[:300]}" for p in plan_problems(sql))
    return problems


def merchant_urls(dataset) -> list[str]:
    return [
        "/policies/",
        f"/policies/?q=TO{dataset['order']}",
        f"/policies/?q={dataset['buyer']}",
        "/policies/?q=SKU123",
        *[
            f"/policies/?status={s}"
            for s in [
                "awaiting_receipt",
                "in_coverage",
                "expired",
                "claim_in_progress",
                "claim_paid",
                "claim_closed",
            ]
        ],
        f"/policies/?issued_from={dataset['month_ago']}&issued_to={dataset['today']}",
        f"/policies/?status=claim_paid&issued_from={dataset['month_ago']}",
        f"/policies/?after={dataset['policy_cursor']}",
        "/refunds/",
        "/refunds/?business=warranty",
        "/refunds/?business=merchant",
        *[f"/refunds/?state={s}" for s in ["submitted", "paid", "received", "receipt_refused"]],
        "/refunds/?business=warranty&state=return_shipped",
        "/refunds/?due=needs_action",
        "/refunds/?due=overdue",
        f"/refunds/?q=TR{dataset['refund']}",
        f"/refunds/?q=TO{dataset['order']}",
        f"/claims/{dataset['claim']}/",
        f"/policies/{dataset['policy']}/",
        "/payouts/",
        "/feedback/",
        "/invoices/",
        # issue 11: the sorts a merchant may choose, and a bad value beside valid filters
        "/policies/?sort=oldest",
        "/policies/?sort=amount_desc",
        "/policies/?sort=amount_asc",
        "/policies/?status=claim_paid&issued_from=2026-11-31",
        "/policies/?status=claim_paid&sort=amount_desc",
        "/refunds/?sort=amount_desc",
        "/refunds/?business=warranty&sort=oldest",
        "/refunds/?business=warranty&state=foo",
        "/payouts/?sort=amount_desc",
        "/payouts/?sort=oldest",
        f"/payouts/?paid_from={dataset['month_ago']}",
        "/feedback/?sort=oldest",
    ]


def reviewer_urls(dataset) -> list[str]:
    queue = "/admin/claims/claim/"
    shop = dataset["shop"]
    small = dataset["small_shop"]
    return [
        queue,
        f"{queue}?p=3",
        f"{queue}?state__exact=submitted&overdue=yes",
        f"{queue}?overdue=no",
        f"{queue}?shop__id__exact={shop}&reason=quality_issue",
        f"{queue}?shop__id__exact={shop}&state__exact=paid",
        f"{queue}?shop__id__exact={MIDDLE_SHOP}&reason=damaged_or_stained",
        f"{queue}?shop__id__exact={MIDDLE_SHOP}&state__exact=rejected",
        f"{queue}?shop__id__exact={small}&reason=damaged_or_stained",
        f"{queue}?shop__id__exact={small}",
        f"{queue}?state__exact=received",
        f"{queue}?state__exact=paid&shop__id__exact={small}",
        f"{queue}?reason=not_as_described&kind__exact=refund_only",
        f"{queue}?fast_tracked__exact=1&state__exact=submitted",
        f"{queue}?q=TR{dataset['refund']}",
        f"{queue}?q=TO{dataset['order']}",
        f"{queue}?q={dataset['buyer']}",
        f"/admin/claims/claim/{dataset['claim']}/change/",
        # the records' lists, counted up to a cap (portal.admin_kit.CappedCountPaginator),
        # and their searches by exact id (portal.admin_kit.ExactIdSearch)
        "/admin/claims/policy/",
        "/admin/claims/refundrequest/",
        f"/admin/claims/policy/?q={dataset['policy_no']}",
        f"/admin/claims/policy/?q=TO{dataset['order']}",
        f"/admin/claims/refundrequest/?q=TR{dataset['refund']}",
        f"/admin/claims/buyer/?q={dataset['buyer']}",
    ]


@pytest.fixture
def dataset(shop):
    now = timezone.now()
    load_dataset(shop.pk, now)
    big = Claim.objects.filter(shop=shop, id__gt=BASE).order_by("id")
    claim = big[100]
    cursor_row = shop.policies.order_by("-issued_at", "-id").values_list("issued_at", "id")[4999]
    return {
        "shop": shop.pk,
        "small_shop": BASE + 7,
        "claim": claim.pk,
        "policy": claim.policy_id,
        "policy_no": claim.policy.policy_no,
        "refund": claim.refund_id - BASE,
        "order": claim.refund.order_id - BASE,
        "buyer": claim.buyer.platform_buyer_id,
        "today": timezone.localdate(now).isoformat(),
        "month_ago": (timezone.localdate(now) - dt.timedelta(days=30)).isoformat(),
        "policy_cursor": f"{cursor_row[0].timestamp():.6f}_{cursor_row[1]}",
    }


def test_no_list_page_reads_a_large_table_without_an_index(client, shop, rita, dataset):
    """Then, to show the check has teeth, the same check without the queue's index
    (claim_queue_idx, dropped inside the test's transaction): the plain queue sorts every
    claim (one test, so the dataset is loaded once)."""
    client.force_login(shop.merchants.first().user)
    problems = [p for url in merchant_urls(dataset) for p in page_problems(client, url)]
    client.force_login(rita)
    problems += [p for url in reviewer_urls(dataset) for p in page_problems(client, url)]

    assert not problems, "\n".join(problems)

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX claim_queue_idx")  # rolled back with the test
    without_index = page_problems(client, "/admin/claims/claim/")
    assert any("Seq Scan on claims_claim" in p for p in without_index), without_index
