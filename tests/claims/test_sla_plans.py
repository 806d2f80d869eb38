"""The reviewers' SLA page (claims/sla.py, issue 11) reads the claims through indexes on a
marketplace-sized table: the decisions of 30 days from "claim_decided_sla_idx", the open
reviews from (state, review_due_at); no Seq Scan. PostgreSQL only (skipped on SQLite), on
tests/claims/test_query_plans.py's dataset with a year of decisions added."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.claims import test_query_plans as plans
from tests.claims.test_query_plans import BASE, dataset  # noqa: F401 - the fixture

pytestmark = plans.pytestmark

SLA = "/admin/claims/claim/sla/"
DECIDED = "('paid', 'rejected', 'closed_timeout', 'awaiting_return', 'return_shipped', " + (
    "'closed_refused', 'receipt_refused', 'refunded', 'approved', 'received')"
)


@pytest.fixture
def decided(dataset, rita):  # noqa: F811
    """Every decided claim of the dataset decided 1-48 h after it was submitted (a third of
    them late), half by rita; then ANALYZE."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE claims_claim SET decided_at = submitted_at + (1 + id % 48) * interval
                '1 hour', decided_by_id = CASE WHEN id % 2 = 0 THEN {rita.pk} END
                WHERE id > {BASE} AND state IN {DECIDED}"""
        )
        cursor.execute("ANALYZE claims_claim")
    return dataset


def index_names(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return {node["Index Name"] for node, _ in plans._scans(plan) if "Index Name" in node}


def test_the_sla_page_reads_claims_through_its_indexes(client, rita, decided, monkeypatch):
    # 30 days of decisions are what the page counts (about 6,000 here): that is its bound,
    # read from the index, not the whole table's 80,000 claims.
    monkeypatch.setattr(plans, "MAX_ROWS_READ", 12_000)
    client.force_login(rita)

    problems = plans.page_problems(client, SLA)

    assert not problems, "\n".join(problems)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SLA)
    figures = response.context["sla"]
    assert figures.windows[2].share.decided > 1_000  # the dataset's decisions are counted
    decisions = [q["sql"] for q in captured.captured_queries if '"decided_at" >=' in q["sql"]]
    assert decisions and all("claim_decided_sla_idx" in index_names(sql) for sql in decisions)
