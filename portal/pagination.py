"""Keyset ("cursor") pagination: page 2,000 costs what page 1 costs.

Lists are ordered by (key, id), both descending (newest first) or both ascending; the key
is a time or an amount (issue 11: a merchant sorts by either), a cursor the last row's
(key, id). No OFFSET and no COUNT(*) over a million rows: the total a list shows is counted
up to TOTAL_CAP rows ("more than 1,000").
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from urllib.parse import urlencode

from django.db.models import DecimalField, Q, QuerySet

# A merchant list's page: 25 rows, the page of issue 10's fair floor (bench/floor), so the
# two do the same work. 50 rows cost 2.5-5 ms more a page, in-process, almost all of it
# reading, building and writing rows (bench/RESULTS.md).
PER_PAGE = 25
TOTAL_CAP = 1000


def _encode(value, pk: int) -> str:
    if isinstance(value, Decimal):
        return f"n{value}_{pk}"
    return f"{value.timestamp():.6f}_{pk}"


def _decode(cursor: str) -> tuple[dt.datetime | Decimal, int] | None:
    try:
        stamp, pk = cursor.split("_", 1)
        if stamp.startswith("n"):
            amount = Decimal(stamp[1:])
            return (amount, int(pk)) if amount.is_finite() else None
        return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC), int(pk)
    except (ValueError, OverflowError, OSError, InvalidOperation):
        return None


def capped_total(
    queryset: QuerySet, cap: int = TOTAL_CAP, *, in_order: bool = True
) -> tuple[int, bool]:
    """(rows, more): the rows of `queryset` counted up to `cap`, and whether there are more.

    COUNT over the first cap + 1 rows in the list's own order: the index that serves the
    page serves the count, which so reads at most cap + 1 of its entries (without the
    order, the planner counts a big shop's rows by a sequential scan). `in_order=False`
    drops the order, for a filter that an index of its own serves better than the page's
    order does: the count then stops after cap + 1 of that index's entries."""
    rows = queryset.values("pk") if in_order else queryset.values("pk").order_by()
    count = rows[: cap + 1].count()
    return min(count, cap), count > cap


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    prev_cursor: str | None
    params: dict = field(default_factory=dict)
    total: int | None = None  # set by the view: capped_total's count
    more: bool = False  # more rows than `total` says (the count stopped at its cap)
    # what the pager's links say: "newer"/"older" by time (either way), pages by amount
    pager: str = "newer_older"

    def _url(self, key: str, cursor: str) -> str:
        query = {k: v for k, v in self.params.items() if k not in ("after", "before") and v}
        query[key] = cursor
        return "?" + urlencode(query)

    @property
    def next_url(self) -> str | None:
        return self._url("after", self.next_cursor) if self.next_cursor else None

    @property
    def prev_url(self) -> str | None:
        return self._url("before", self.prev_cursor) if self.prev_cursor else None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def ordering_key(queryset: QuerySet) -> str:
    """The time a queryset ordered by (-time, -id) is paged by: a field or a lookup path."""
    return queryset.query.order_by[0].removeprefix("-")


def ordering(key: str, descending: bool = True) -> tuple[str, str]:
    """The order of a list sorted by `key` (a time or an amount), ties by id: the page's
    (keyset_page) and its CSV export's (issue 11: the export follows the sort chosen)."""
    return (f"-{key}", "-id") if descending else (key, "id")


def _field(model, key: str):
    for name in key.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model
    return field


def keyset_page(
    queryset: QuerySet,
    params,
    *,
    key: str,
    per_page: int = PER_PAGE,
    descending: bool = True,
    shape=None,
) -> Page:
    """`queryset` ordered by (key, id), descending unless `descending=False`; `params` is
    request.GET (after= / before= cursors). `key` may follow a relation
    ("claim__submitted_at") and be a time or an amount. `shape`, if given, turns the list of
    fetched rows (tuples of a values_list, say) into the page's rows, which must then have
    `.pk` and the key as an attribute path (row.claim.submitted_at)."""
    value_of = attrgetter(key.replace("__", "."))
    on, back = ("lt", "gt") if descending else ("gt", "lt")  # toward older rows / newer
    order = ordering(key, descending)
    after = _decode(params.get("after", "")) if params.get("after") else None
    before = _decode(params.get("before", "")) if params.get("before") else None
    amount = isinstance(_field(queryset.model, key), DecimalField)
    # a cursor of the other sort (a time for an amount, an edited URL): the first page
    after, before = (
        c if c and isinstance(c[0], Decimal) == amount else None for c in (after, before)
    )
    plain = {k: params.get(k) for k in params}
    if before:
        value, pk = before
        rows = list(
            queryset.filter(
                Q(**{f"{key}__{back}e": value}),
                Q(**{f"{key}__{back}": value}) | Q(**{key: value, f"id__{back}": pk}),
            ).order_by(*(o.removeprefix("-") if descending else f"-{o}" for o in order))[
                : per_page + 1
            ]
        )
        has_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_older = True
    else:
        queryset = queryset.order_by(*order)
        if after:
            value, pk = after
            # `key <= value` is implied by the OR; stated alone it gives the index scan its
            # starting point (without it, page 2,000 reads and skips the 49,975 rows before).
            queryset = queryset.filter(
                Q(**{f"{key}__{on}e": value}),
                Q(**{f"{key}__{on}": value}) | Q(**{key: value, f"id__{on}": pk}),
            )
        rows = list(queryset[: per_page + 1])
        has_older = len(rows) > per_page
        rows = rows[:per_page]
        has_newer = after is not None
    if shape is not None:
        rows = shape(rows)
    return Page(
        rows=rows,
        next_cursor=_encode(value_of(rows[-1]), rows[-1].pk) if rows and has_older else None,
        prev_cursor=_encode(value_of(rows[0]), rows[0].pk) if rows and has_newer else None,
        params=plain,
        pager="pages" if amount else ("newer_older" if descending else "older_newer"),
    )
