"""Issue 11: the policy list sorted by premium, both ways, combined with the R24 status
filters that are not a claim status (awaiting receipt, in coverage, expired), reads the
policies through an index on PostgreSQL: no sequential scan, no scan without an index
condition or a limit, no scan reading more than MAX_ROWS_READ rows (tests/claims/
test_query_plans.py: the dataset and the checks), with premiums that vary as real ones do."""

import pytest
from django.db import connection

from tests.claims.test_query_plans import (  # noqa: F401  (dataset: a fixture)
    BASE,
    dataset,
    page_problems,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are PostgreSQL's; run with DATABASE_URL=postgres://...",
    ),
]

STATUSES = ["awaiting_receipt", "in_coverage", "expired"]
SORTS = ["amount_desc", "amount_asc"]


@pytest.fixture
def varied_premiums(dataset):  # noqa: F811
    """The generated policies' premiums spread over 0.50-50.49 (the dataset's are all 1.50),
    so the planner weighs the premium order as it would on real rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_policy SET premium = 0.50 + ((id * 7919) %% 5000) / 100.0 WHERE id > %s",
            [BASE],
        )
        cursor.execute("SET default_statistics_target = 10000")
        cursor.execute("ANALYZE claims_policy")
        cursor.execute("RESET default_statistics_target")
    return dataset


def test_sorting_by_premium_with_each_status_filter_reads_the_policies_by_an_index(
    client, shop, varied_premiums
):
    """Then, to show the check has teeth, the same pages without the two premium indexes
    (dropped inside the test's transaction): the big shop's policies are read and sorted
    (one test, so the dataset is loaded once)."""
    client.force_login(shop.merchants.first().user)
    month_ago = varied_premiums["month_ago"]
    urls = [f"/policies/?status={status}&sort={sort}" for status in STATUSES for sort in SORTS]
    urls.append(f"/policies/?status=in_coverage&sort=amount_desc&issued_from={month_ago}")

    problems = [p for url in urls for p in page_problems(client, url)]

    assert not problems, "\n".join(problems)

    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("DROP INDEX policy_shop_premium_idx")
        cursor.execute("DROP INDEX policy_status_premium_idx")
    without = page_problems(client, "/policies/?status=expired&sort=amount_desc")
    assert any("claims_policy" in p for p in without), without
