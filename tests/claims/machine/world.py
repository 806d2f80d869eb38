"""What every example of the claims machine starts from and shares: the bounds of a run
(MODEL_EXAMPLES, MODEL_STEPS), the clock's steps and the shops, the rows made once per test
(`World`), the tally printed at the end (`STATS`), and small helpers."""

import datetime as dt
import os
from collections import Counter
from decimal import Decimal
from importlib import import_module

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Max, Sum
from django_fsm_log.models import StateLog
from hypothesis import note

from claims.models import (
    BuyerCompensation,
    Claim,
    Order,
    Payout,
    Policy,
    RefundRequest,
    ServiceBreach,
)
from portal.clock import SHANGHAI
from tests.conftest import SEEDING_MIGRATIONS

EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "25"))
STEPS = int(os.environ.get("MODEL_STEPS", "30"))

START = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
CLOCK_LIMIT = START + dt.timedelta(days=200)  # the dashboard's 12 months still hold it all
MAX_ORDERS = 3  # a small pool: requests meet on the same lines (R30 line_has_claim)
MAX_REFUNDS = 8  # then the steps go to the claims' later states
SECOND, HOUR, DAY = dt.timedelta(seconds=1), dt.timedelta(hours=1), dt.timedelta(days=1)
CLOCK_STEPS = [  # small steps; deadlines themselves are reached by ONTO_A_DEADLINE
    dt.timedelta(minutes=1),
    HOUR,
    6 * HOUR,
    23 * HOUR,
    DAY + SECOND,
    3 * DAY,
    8 * DAY,
]
ONTO_A_DEADLINE = ["onto a deadline", "a deadline + 1s", "a deadline - 1s"]
# How long before the model's `now` an order was received (R23: 720 h is the last instant).
RECEIVED_AGO = [
    dt.timedelta(0),
    dt.timedelta(0),
    HOUR,
    29 * DAY,
    30 * DAY,
    30 * DAY + SECOND,
    31 * DAY,
]
SHOPS = {  # key: (merchant's user name, shop name, enrolled since ENROLLED_SINCE?)
    "A": ("alice@shop-a.cn", "甲店", True),
    "B": ("bob@shop-b.cn", "乙店", True),
    "C": ("carl@shop-c.cn", "丙店", False),  # invited, never enrolled: no policies (R20)
}
REFUSAL_GROUNDS = ["missing_items", "empty_parcel", "wrong_item", "fake_logistics"]
CLAIM_FIELDS = [
    "state",
    "shop",
    "kind",
    "amount",
    "cap",
    "submitted_at",
    "review_due",
    "review_overdue",
    "decided_at",
    "return_due",
    "shipped_at",
    "receipt_due",
    "closed_at",
]
NO_CHANGE = {"closed_timeout": 0, "receipt_overdue": 0, "review_flagged": 0}

STATS: Counter = Counter()  # steps and examples run, printed at the end (pytest -s)


def seed_migration_data() -> None:
    """What tests/conftest.py's `migration_data` puts back (claim settings, staff groups,
    pricing), for a TestCase: an earlier transactional test may have emptied the tables.
    The seed functions are idempotent and use only the ORM (no schema editor)."""
    from django.core.management.sql import emit_post_migrate_signal
    from django.db.migrations.loader import MigrationLoader

    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for app_label, name, function in SEEDING_MIGRATIONS:
        state_apps = loader.project_state((app_label, name)).apps
        module = import_module(f"{app_label}.migrations.{name}")
        getattr(module, function)(state_apps, None)
    ContentType.objects.clear_cache()


def snapshot() -> dict:
    """Every row the engine writes, to compare before and after an action that must change
    nothing (a second sweep, a repeated event)."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Order, Policy, RefundRequest, Claim, Payout, BuyerCompensation, ServiceBreach)
    }
    rows["StateLog"] = StateLog.objects.aggregate(n=Count("id"), last=Max("id"))  # R40 rows
    return rows


def attempt(service, **kwargs) -> bool:
    """Run a service: True when it was accepted, False when it refused with a ValidationError.
    Anything else (IntegrityError, TransitionNotAllowed, ...) is a bug and fails the test."""
    try:
        service(**kwargs)
    except ValidationError as error:
        note(f"{service.__name__} refused: {error.messages}")
        return False
    return True


def clamp(instant, low, high):
    return max(low, min(instant, high))


def money_sum(queryset, field) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or Decimal("0.00")


class World:
    """The rows every example starts from (created once per test, rolled back per example)."""

    def __init__(self, *, reviewer, merchants: dict, shops: dict, terms: dict):
        self.reviewer = reviewer
        self.merchants = merchants  # shop key -> merchant's user
        self.shops = shops  # shop key -> Shop
        self.terms = terms  # shop key -> {"enrolled_since", "rate"} for the model
