"""The marketplace simulator plays through the real signed event API (R80-R87): every event
it makes passes the parser, and a re-run of a seed is answered `duplicate` (R82)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from platform_api.schemas import parse_event
from simulator import InProcessTransport, Marketplace, play
from simulator.report import EVENT_TYPES

pytestmark = pytest.mark.django_db


def market(shop, seed=7):
    return Marketplace(
        shops={shop.platform_shop_id: 1.0}, orders=40, days=40, seed=seed, now=timezone.now()
    )


def test_R84_every_event_the_market_makes_passes_the_parser():
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    made = Marketplace(shops={"TM-1": 1.0}, orders=300, days=40, seed=3, now=now)
    claims = {
        r.refund_id: {"state": "awaiting_return", "return_due_at": now.isoformat()}
        for r in made.refunds
    }
    claims.update(
        {
            r.refund_id: {"state": "submitted", "return_due_at": None}
            for r in made.refunds
            if r.kind == "refund_only"
        }
    )
    events = made.first_wave() + made.second_wave(claims)

    assert {parse_event(e)[1] for e in events} == set(EVENT_TYPES)


def test_R82_the_same_seed_makes_the_same_events():
    now = timezone.now()
    first = Marketplace(shops={"TM-1": 1.0}, orders=20, days=30, seed=9, now=now)
    again = Marketplace(shops={"TM-1": 1.0}, orders=20, days=30, seed=9, now=now)

    assert first.first_wave() == again.first_wave()


def test_R82_a_replayed_seed_is_applied_once_then_answered_duplicate(shop):
    first = play(InProcessTransport(), market(shop), progress=None)
    again = play(InProcessTransport(), market(shop), progress=None)

    assert first.tally.count("rejected") == 0, first.tally.errors
    assert first.tally.count("applied") == first.tally.count() > 40
    assert first.holdings.orders == 40
    assert again.tally.count("duplicate") == again.tally.count() == first.tally.count()


def test_the_simulate_command_prints_the_report_of_an_in_process_run(shop, capsys):
    call_command(
        "simulate",
        "--in-process",
        "--orders=15",
        "--seed=11",
        f"--shops={shop.platform_shop_id}",
        "--no-progress",
    )

    out = capsys.readouterr().out
    assert "Simulation SIM11 over in-process:" in out
    assert "orders 15" in out
