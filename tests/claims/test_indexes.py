"""Every index on the claims and policies tables is one the models declare (issue 10).

Claim and Policy rows change at every transition and recount: an index nobody reads is
written anyway. claims 0013 drops the single-column indexes whose column leads a
composite index; this checks, on the database the suite runs on, that they are gone and
that what serves their lookups is there."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [c["columns"] for c in constraints.values() if c["index"] and not c["unique"]]


@pytest.mark.parametrize(
    "table, column",
    [
        ("claims_claim", "shop_id"),
        ("claims_claim", "buyer_id"),
        ("claims_claim", "state"),
        ("claims_policy", "shop_id"),
    ],
)
def test_a_column_leading_a_composite_index_has_no_index_of_its_own(table, column):
    indexes = _indexes(table)
    assert [column] not in indexes
    assert any(len(columns) > 1 and columns[0] == column for columns in indexes)
