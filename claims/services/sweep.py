"""R90/R91: the deadline sweep. Idempotent: running it twice changes nothing more.

The sweep is the backstop for events that never come: what it does is dated at the deadline
it enforces, not at the moment it runs, so its outcome is the same whether it ran a second or
a day after the deadline; the services judge a late event by its own time the same way.

- R33: a return whose tracking number did not come in time closes with no payout.
- R38: a shipped return the merchant left unconfirmed past the receipt deadline is taken as
  received (with a breach: 10,000 points per sub-order), refunded and paid.
- R32: a claim still in review past its 24-hour deadline is flagged overdue.

Set-based (issue 10). The due claims of each kind are settled a chunk at a time (`CHUNK`
ids), each chunk in one transaction of a fixed number of statements, whatever its size
(each with one UPDATE per policy status that changes, and one task enqueued after commit):

1. one `UPDATE … WHERE id IN (SELECT … WHERE state = … AND deadline < now ORDER BY
   deadline, id FOR UPDATE) RETURNING id, policy_id, …` locks the claims still due (in the same
   order in every sweep) and gives them their final state and the fields the transitions
   assign (`close_timeout`: closed_at; `confirm_receipt` → `complete_refund` → `mark_paid`:
   refunded_at, closed_at), dated at the deadline. A row another transaction holds (a
   merchant confirming, a second sweep) is waited for, then re-checked by PostgreSQL against
   that WHERE and left out if it is no longer due: nothing is applied twice (R42);
2. `INSERT … SELECT` from those claims writes what the per-claim services write, row for
   row: django-fsm-log's `StateLog` row of each transition (by the system, the rule in the
   description, dated at the deadline), the breach, the buyer's 10.00 and the payout
   (`decisions.record_breach`, `decisions.complete_and_pay`); the one-per-claim constraints
   of R42 stay in force (a second row fails the chunk, as it failed the per-claim path);
3. the policies of those claims are locked (in id order, after their claims, as the
   per-claim services do) and their claim status recounted (R24,
   `policies.policy_refresh_claim_status`);
4. the merchant figures (`claims.rollups`): the moves, payouts, compensations and breaches
   of those claims, counted from what step 1 returned (shop, deadline, kind, min(amount,
   cap)), one upsert per rollup table, the chunk's last locks;
5. the changes announced (`portal.changes`) after one SELECT of the chunk's claims: the
   outbox's messages (R111: claim.closed; merchant.breach, claim.refund_due,
   buyer.compensation, in the per-claim path's order per refund) and the merchants'
   notifications (R33, R38; a SELECT of their shops), one INSERT each; after commit, one
   task per chunk enqueues the merchants' e-mails, one `notify_merchants` per claim.

The SQL is plain enough for PostgreSQL and SQLite (RETURNING needs 3.35, Django 3.37);
SQLite has no row locks, and one writer at a time. A chunk that fails rolls back alone; the
chunks before it stay done and a rerun does the rest (R91).
`tests/claims/test_sweep_set_based.py` checks that the database ends exactly as the
per-claim services leave it.

One difference with the per-claim path: its audit rows were re-dated to the deadline only
when that was more than a minute from the clock (`portal.audit.LATE_AFTER`); a sweep within
a minute of a deadline left the write time there. These rows carry the deadline always.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from claims import rollups
from claims.claim_rows import ClaimRow, claim_platform_ids
from claims.models import (
    BREACH_POINTS_PER_SUB_ORDER,
    BUYER_SHIPPING_COMPENSATION,
    BreachCause,
    BreachState,
    BuyerCompensation,
    Claim,
    ClaimState,
    Payout,
    PayoutState,
    RefundKind,
    ServiceBreach,
)
from claims.services import policies
from enrollment.models import Enrollment
from portal import changes
from portal.changes import Change
from portal.lookups import among
from portal.rawsql import converter

CHUNK = 2_000  # claims per transaction: bounded lock time, and IN lists well within limits

# The reasons the per-claim services give (decisions.close_timeout, the sweep's R38 path and
# decisions.complete_and_pay).
R33_CLOSED = "system: R33 no return tracking number before the deadline"
R38_RECEIVED = "system: R38 merchant receipt deadline passed"
R35_REFUNDED = "system: R35 refund after the receipt deadline"
R35_PAID = "system: R35 automatic payout"


@dataclass
class SweepResult:
    closed_timeout: int = 0
    receipt_overdue: int = 0
    review_flagged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def sweep_deadlines(*, now: dt.datetime | None = None, chunk: int = CHUNK) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    for ids in _chunks(_due(ClaimState.AWAITING_RETURN, "return_due_at", now), chunk):
        result.closed_timeout += _close_timeouts(ids, now)
    for ids in _chunks(_due(ClaimState.RETURN_SHIPPED, "receipt_due_at", now), chunk):
        result.receipt_overdue += _take_as_received(ids, now)
    result.review_flagged = Claim.objects.filter(
        state=ClaimState.SUBMITTED, review_due_at__lt=now, review_overdue=False
    ).update(review_overdue=True)
    for step in _at_each_sweep:  # each in its own transaction
        with transaction.atomic():
            step(now=now)
    return result


# What other apps do at each sweep once the deadlines are enforced, registered in their
# AppConfig.ready (notifications.apps: a receipt deadline coming is told, issue 11).
_at_each_sweep: list[Callable[..., object]] = []


def also_at_each_sweep(step: Callable[..., object]) -> None:
    if step not in _at_each_sweep:
        _at_each_sweep.append(step)


def _due(state: str, field: str, now: dt.datetime) -> list[int]:
    return list(
        Claim.objects.filter(state=state, **{f"{field}__lt": now})
        .order_by(field, "pk")
        .values_list("pk", flat=True)
    )


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(frozen=True, slots=True)
class Settled:
    """A claim `_settle` moved, with what the rollups count of it (claims.rollups)."""

    id: int
    policy_id: int
    shop_id: int
    deadline: dt.datetime  # the deadline enforced: the date of everything the sweep writes
    kind: str  # RefundKind: a return's buyer gets the R37 compensation
    payable: Decimal  # min(amount, payable_cap), R36 (Claim.payable)


def _settle(
    ids: list[int], state: str, field: str, now: dt.datetime, target: str, assign: str
) -> list[Settled]:
    """Move the claims among `ids` still in `state` and past `field` to `target` (and the
    fields in `assign`), in one statement; return them (in the order of `ids`) with what the
    rollups need, from the same statement (RETURNING).

    The claims are locked first, in (deadline, id) order (two sweeps at once lock in the same
    order), by a `SELECT … FOR UPDATE` whose WHERE holds the state and the deadline: on
    PostgreSQL a row held by another transaction (a merchant confirming, another sweep) is
    waited for, then re-checked against that WHERE and left out if it is no longer due, so
    nothing is applied twice. (SQLite has one writer at a time and no row locks.)"""
    q = connection.ops.quote_name
    table = q(Claim._meta.db_table)
    condition, id_params = _in("id", ids)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"UPDATE {table} SET state = %s, {assign} WHERE id IN ("
        f"SELECT id FROM {table} WHERE {condition} AND state = %s AND {field} < %s "
        f"ORDER BY {field}, id{lock}) AND state = %s RETURNING id, policy_id, shop_id, "
        f"{field}, kind, CASE WHEN amount < payable_cap THEN amount ELSE payable_cap END"
    )
    deadline = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [target, *id_params, state, deadline, state])
        rows = cursor.fetchall()
    columns = [converter(Claim, name) for name in ("id", "policy_id", "shop_id", field, "kind")]
    columns.append(converter(Claim, "amount"))  # the payable: amount's type (Decimal, 2 places)
    settled = {
        row.id: row
        for row in (
            Settled(*(convert(value) for convert, value in zip(columns, raw, strict=True)))
            for raw in rows
        )
    }
    return [settled[pk] for pk in ids if pk in settled]


def _in(column: str, ids: list[int]) -> tuple[str, list]:
    """`column IN ids` as SQL: one array parameter on PostgreSQL (portal.lookups)."""
    return among(column, ids, connection, Claim._meta.pk.cast_db_type(connection))


def _insert_from_claims(
    model,
    columns: dict[str, str],
    ids: list[int],
    *,
    order: str,
    select_params=(),
    join: str = "",
    join_params=(),
    where: str = "",
    where_params=(),
) -> None:
    """INSERT INTO model (columns) SELECT expressions FROM the claims `ids` (alias `c`)
    [joined] [AND where] ORDER BY order: one statement for the whole chunk, its rows in the
    order the per-claim path would have written them."""
    q = connection.ops.quote_name
    condition, id_params = _in("c.id", ids)
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(name) for name in columns)}) "
        f"SELECT {', '.join(columns.values())} FROM {q(Claim._meta.db_table)} c {join} "
        f"WHERE {condition}{f' AND {where}' if where else ''} ORDER BY {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *join_params, *id_params, *where_params])


def _log_transitions(ids: list[int], deadline: str, transitions: list[tuple[str, str, str, str]]):
    """django-fsm-log's rows of system transitions (by=None) of each claim, dated at the
    deadline (portal.audit.date_last_transition), each claim's in the order they fired."""
    steps = " UNION ALL ".join(
        "SELECT %s AS n, %s AS name, %s AS source, %s AS target, %s AS why" for _ in transitions
    )
    ct = ContentType.objects.get_for_model(Claim).pk
    _insert_from_claims(
        StateLog,
        {
            "timestamp": f"c.{deadline}",
            "by_id": "NULL",
            "source_state": "t.source",
            "state": "t.target",
            "transition": "t.name",
            "content_type_id": "%s",
            "object_id": "c.id",
            "description": "t.why",
        },
        ids,
        order=f"c.{deadline}, c.id, t.n",
        select_params=[ct],
        join=f"CROSS JOIN ({steps}) t",
        join_params=[value for n, step in enumerate(transitions) for value in (n, *step)],
    )


def _close_timeouts(ids: list[int], now: dt.datetime) -> int:
    """R33: `close_timeout` of every claim still awaiting its return past the deadline."""
    with transaction.atomic():
        settled = _settle(
            ids,
            ClaimState.AWAITING_RETURN,
            "return_due_at",
            now,
            ClaimState.CLOSED_TIMEOUT,
            "closed_at = return_due_at",
        )
        if not settled:
            return 0
        ids = [c.id for c in settled]
        _log_transitions(
            ids,
            "return_due_at",
            [("close_timeout", ClaimState.AWAITING_RETURN, ClaimState.CLOSED_TIMEOUT, R33_CLOSED)],
        )
        policies.policy_refresh_claim_status(c.policy_id for c in settled)
        _announce(settled, ["close_timeout"])
        # the merchant figures (issue 10), last: rollup rows are the last locks taken. A
        # timeout has no payout, compensation or breach (R33).
        with rollups.deferred():
            rollups.record_claim_moves(
                (c.shop_id, ClaimState.AWAITING_RETURN, ClaimState.CLOSED_TIMEOUT) for c in settled
            )
    return len(ids)


def _take_as_received(ids: list[int], now: dt.datetime) -> int:
    """R38/R35-R37: received at the deadline, breach recorded, refunded and paid."""
    with transaction.atomic():
        settled = _settle(
            ids,
            ClaimState.RETURN_SHIPPED,
            "receipt_due_at",
            now,
            ClaimState.PAID,  # confirm_receipt, complete_refund, mark_paid
            "refunded_at = receipt_due_at, closed_at = receipt_due_at",
        )
        if not settled:
            return 0
        ids = [c.id for c in settled]
        _log_transitions(
            ids,
            "receipt_due_at",
            [
                ("confirm_receipt", ClaimState.RETURN_SHIPPED, ClaimState.RECEIVED, R38_RECEIVED),
                ("complete_refund", ClaimState.RECEIVED, ClaimState.REFUNDED, R35_REFUNDED),
                ("mark_paid", ClaimState.REFUNDED, ClaimState.PAID, R35_PAID),
            ],
        )
        _insert_from_claims(  # decisions.record_breach
            ServiceBreach,
            {
                "claim_id": "c.id",
                "shop_id": "c.shop_id",
                "cause": "%s",
                "points": "%s",
                "recorded_at": "c.receipt_due_at",
                "state": "%s",
                "settled_at": "NULL",
            },
            ids,
            order="c.receipt_due_at, c.id",
            select_params=[
                BreachCause.RECEIPT_OVERDUE,
                BREACH_POINTS_PER_SUB_ORDER,
                BreachState.OWED,
            ],
        )
        _insert_from_claims(  # decisions.complete_and_pay: the buyer of a return gets 10.00
            BuyerCompensation,
            {
                "claim_id": "c.id",
                "buyer_id": "c.buyer_id",
                "amount": "%s",
                "paid_at": "c.receipt_due_at",
            },
            ids,
            order="c.receipt_due_at, c.id",
            select_params=[BUYER_SHIPPING_COMPENSATION],
            where="c.kind = %s",
            where_params=[RefundKind.RETURN_AND_REFUND],
        )
        # decisions.complete_and_pay: the payout, min(amount, cap) (R36, Claim.payable), to the
        # Alipay account of the shop's latest enrollment period (terms.payout_account).
        enrollment = connection.ops.quote_name(Enrollment._meta.db_table)
        _insert_from_claims(
            Payout,
            {
                "claim_id": "c.id",
                "shop_id": "c.shop_id",
                "amount": "CASE WHEN c.amount < c.payable_cap THEN c.amount ELSE c.payable_cap END",
                "alipay_account": "COALESCE(a.alipay_account, '')",
                "paid_at": "c.receipt_due_at",
                # R114: pending, to go out in the next batch (the model's defaults)
                "state": "%s",
                "alipay_name": "''",
                "provider_reference": "''",
                "failure_reason": "''",
            },
            ids,
            order="c.receipt_due_at, c.id",
            select_params=[PayoutState.PENDING],
            join=(
                "LEFT JOIN (SELECT e.shop_id, e.alipay_account, ROW_NUMBER() OVER "
                "(PARTITION BY e.shop_id ORDER BY e.effective_at DESC) AS latest "
                f"FROM {enrollment} e WHERE e.effective_at IS NOT NULL) a "
                "ON a.shop_id = c.shop_id AND a.latest = 1"
            ),
        )
        policies.policy_refresh_claim_status(c.policy_id for c in settled)
        # in the per-claim path's order: the breach (decisions.record_breach), then the refund
        _announce(settled, ["breach", "complete_refund"])
        # the merchant figures: claims by state, payouts, compensations, breaches (issue 10),
        # from the rows above (each dated at its deadline); last: rollup rows are the last
        # locks taken
        with rollups.deferred():  # one upsert per rollup table
            rollups.record_claim_moves(
                (c.shop_id, ClaimState.RETURN_SHIPPED, ClaimState.PAID) for c in settled
            )
            rollups.record_breaches((c.shop_id, c.deadline) for c in settled)
            rollups.record_compensations(
                (c.shop_id, c.deadline, BUYER_SHIPPING_COMPENSATION)
                for c in settled
                if c.kind == RefundKind.RETURN_AND_REFUND
            )
            rollups.record_payouts((c.shop_id, c.deadline, c.payable) for c in settled)
    return len(ids)


def _announce(settled: list[Settled], names: list[str]) -> None:
    """The changes, as the runner announces them (portal.changes: the outbox's messages,
    R111), dated at the deadline, each step for all the claims. Set-based: the claims' kind,
    payout and deadline come from `_settle`'s RETURNING rows, their platform ids from one
    values_list (claims.claim_rows); no claim is loaded as a model."""
    ids = claim_platform_ids(c.id for c in settled)
    rows = [(ClaimRow(c.id, c.shop_id, *ids[c.id], c.kind, c.payable), c.deadline) for c in settled]
    changes.announce(Change(Claim, row, name, at) for name in names for row, at in rows)
