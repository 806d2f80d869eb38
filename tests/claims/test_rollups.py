"""Issue 10: the per-shop, per-day rollups of the merchant figures (claims.rollups) move with
every write that changes them, in its transaction, and equal a recount of the raw rows."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import transaction

from claims import rollups, selectors
from claims.models import Claim, Payout, Policy, ShopClaimState, ShopDay, ShopDayReason
from claims.services import decisions
from claims.services.sweep import sweep_deadlines
from enrollment import selectors as enrollment_selectors
from portal.clock import SHANGHAI
from tests.platform_api import events as ev

pytestmark = pytest.mark.django_db


def in_step():
    held = rollups.current()
    assert held == rollups.recount()
    return held


def day_row(shop, day) -> dict:
    return rollups.current([shop.pk])["day"][(shop.pk, day)]


def test_R2_R21_a_policy_counts_on_its_Shanghai_day_of_issue(client, shop):
    late = dt.datetime(2026, 6, 1, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, still 1 June there
    ev.send(
        client,
        ev.order_placed("O1", shop.platform_shop_id, at=late - dt.timedelta(hours=1)),
        ev.order_shipped("O1", at=late),
        ev.order_placed("O2", shop.platform_shop_id, at=late),
        ev.order_shipped("O2", at=late + dt.timedelta(hours=1)),  # 2 June in Shanghai
    )

    held = in_step()
    assert held["day"][(shop.pk, dt.date(2026, 6, 1))]["policies"] == 1
    assert held["day"][(shop.pk, dt.date(2026, 6, 1))]["premiums"] == D("2.99")  # 199 x 1.50%
    assert held["day"][(shop.pk, dt.date(2026, 6, 2))]["policies"] == 1


def test_R30_R41_a_claim_counts_by_day_reason_and_state(request_refund, shop, rita):
    request_refund(reason="damaged_or_stained")

    held = in_step()
    day = ev.T0.date() + dt.timedelta(days=5)
    assert held["reason"] == {(shop.pk, day, "damaged_or_stained"): {"claims": 1}}
    assert held["state"] == {(shop.pk, "submitted"): {"claims": 1}}

    decisions.claim_reject(claim_id=Claim.objects.get().pk, actor=rita, reason="no")

    assert in_step()["state"] == {(shop.pk, "rejected"): {"claims": 1}}


def test_R35_R36_a_payout_counts_on_its_day_of_payment(request_refund, shop, rita):
    request_refund(kind="refund_only", amount="150.00")
    paid_at = ev.T0 + dt.timedelta(days=7)

    decisions.claim_approve(claim_id=Claim.objects.get().pk, actor=rita, at=paid_at)

    row = day_row(shop, paid_at.date())
    assert (row["payouts"], row["payouts_amount"]) == (1, D("150.00"))
    assert in_step()["state"] == {(shop.pk, "paid"): {"claims": 1}}


def test_R37_R38_the_sweep_counts_its_payouts_compensations_breaches_and_states(
    client, request_refund, shop, rita
):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    claim.refresh_from_db()
    ev.send(client, ev.return_shipped("R1", at=claim.decided_at + dt.timedelta(days=1)))
    claim.refresh_from_db()

    assert sweep_deadlines(now=claim.receipt_due_at + dt.timedelta(minutes=1)).receipt_overdue

    held = in_step()
    row = held["day"][(shop.pk, claim.receipt_due_at.astimezone(SHANGHAI).date())]
    assert (row["payouts"], row["payouts_amount"]) == (1, D("199.00"))
    assert (row["compensations"], row["compensations_amount"]) == (1, D("10.00"))
    assert row["breaches"] == 1
    assert held["state"] == {(shop.pk, "paid"): {"claims": 1}}


def test_R33_the_sweep_moves_closed_claims_between_states(request_refund, shop, rita):
    claim = request_refund(kind="return_and_refund").claim
    decisions.claim_approve(claim_id=claim.pk, actor=rita)
    claim.refresh_from_db()
    assert in_step()["state"] == {(shop.pk, "awaiting_return"): {"claims": 1}}

    assert sweep_deadlines(now=claim.return_due_at + dt.timedelta(minutes=1)).closed_timeout

    assert in_step()["state"] == {(shop.pk, "closed_timeout"): {"claims": 1}}


def test_a_rolled_back_write_leaves_the_rollups_as_they_were(received_order, shop):
    before = in_step()
    with pytest.raises(RuntimeError), transaction.atomic():
        rollups.record_policies_issued([(shop.pk, ev.T0, D("1.00"))])
        raise RuntimeError("the write failed")

    assert in_step() == before


def test_deferred_deltas_flush_at_the_end_and_a_failed_inner_block_drops_its_own(shop):
    at = dt.datetime(2026, 6, 1, 12, tzinfo=SHANGHAI)
    with transaction.atomic(), rollups.deferred():
        rollups.record_policies_issued([(shop.pk, at, D("0.10"))] * 3)
        with pytest.raises(ValueError), rollups.deferred():
            rollups.record_policies_issued([(shop.pk, at, D("5.00"))])
            raise ValueError("this event failed")
        with rollups.deferred():
            rollups.record_payouts([(shop.pk, at, D("1.25"))])
        assert not ShopDay.objects.exists()  # still in memory

    row = day_row(shop, at.date())
    assert (row["policies"], row["premiums"]) == (3, D("0.30"))
    assert (row["payouts"], row["payouts_amount"]) == (1, D("1.25"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_deferred_refuses_to_flush_outside_a_transaction(shop):
    with pytest.raises(RuntimeError, match="outside a transaction"), rollups.deferred():
        rollups.record_breaches([(shop.pk, ev.T0)])
    assert not ShopDay.objects.exists()


def test_R1_many_small_amounts_add_up_exactly_on_every_database(shop):
    at = ev.T0
    for _ in range(300):
        rollups.record_policies_issued([(shop.pk, at, D("0.10")), (shop.pk, at, D("0.07"))])

    assert day_row(shop, at.date())["premiums"] == D("51.00")
    assert ShopDay.objects.get().premiums == D("51.00")


def test_rebuild_rollups_recomputes_them_from_the_raw_rows(request_refund, shop, rita, capsys):
    request_refund()
    decisions.claim_approve(claim_id=Claim.objects.get().pk, actor=rita)
    expected = in_step()
    ShopDay.objects.update(premiums=D("999.99"))
    ShopDayReason.objects.all().delete()
    ShopClaimState.objects.create(shop=shop, state="rejected", claims=5)

    call_command("rebuild_rollups")

    assert in_step() == expected
    assert "rebuilt" in capsys.readouterr().out
    call_command("rebuild_rollups", "--check")
    assert "in step" in capsys.readouterr().out


def test_rebuild_of_one_shop_leaves_the_others_alone(received_order, shop):
    other_day = ShopDay.objects.create(shop=shop, day=dt.date(2020, 1, 1), policies=7)

    rollups.rebuild(shop_ids=[shop.pk + 1000])

    assert ShopDay.objects.filter(pk=other_day.pk).exists()


def test_R35_payouts_by_month_from_the_rollups(request_refund, shop, rita):
    request_refund(amount="120.00")
    decisions.claim_approve(
        claim_id=Claim.objects.get().pk, actor=rita, at=ev.T0 + dt.timedelta(days=7)
    )

    assert selectors.payout_months(shop=shop) == [(dt.date(2026, 6, 1), D("120.00"), 1)]


def test_R35_payouts_by_month_are_the_latest_months_with_payouts_summed_to_the_fen(shop):
    other = type(shop).objects.create(platform_shop_id="TM-OTHER", name="other")
    days = [  # (day, payouts, amount): 14 months, 13 of them with payouts
        (dt.date(2025, 1, 31), 1, "0.01"),
        *[(dt.date(2025, m, 1), m, f"{m}99.99") for m in range(2, 13)],
        (dt.date(2025, 12, 31), 2, "0.02"),
        (dt.date(2026, 1, 15), 0, "0.00"),  # a day of other figures only
        (dt.date(2026, 2, 28), 3, "1000000.03"),
    ]
    for day, n, amount in days:
        ShopDay.objects.create(shop=shop, day=day, payouts=n, payouts_amount=D(amount))
    ShopDay.objects.create(shop=other, day=dt.date(2026, 2, 1), payouts=9, payouts_amount=D("9"))

    months = selectors.payout_months(shop=shop)

    assert months[:3] == [
        (dt.date(2026, 2, 1), D("1000000.03"), 3),
        (dt.date(2025, 12, 1), D("1299.99") + D("0.02"), 14),
        (dt.date(2025, 11, 1), D("1199.99"), 11),
    ]
    assert len(months) == 12 and months[-1] == (dt.date(2025, 2, 1), D("299.99"), 2)
    oldest = selectors.payout_months(shop=shop, months=20)[-1]
    assert oldest == (dt.date(2025, 1, 1), D("0.01"), 1)
    assert all(
        isinstance(total, D) and total == total.quantize(D("0.01")) for _m, total, _n in months
    )


@pytest.mark.parametrize(
    "start, end",
    [
        (ev.T0 - dt.timedelta(days=30), ev.T0 + dt.timedelta(days=30)),  # whole days + edges
        (ev.T0 + dt.timedelta(hours=4, minutes=59), ev.T0 + dt.timedelta(hours=5, seconds=1)),
        (
            dt.datetime(2026, 6, 1, tzinfo=SHANGHAI),  # midnight to midnight: no edges
            dt.datetime(2026, 6, 9, tzinfo=SHANGHAI),
        ),
        (ev.T0 + dt.timedelta(hours=5, seconds=1), ev.T0 + dt.timedelta(days=5)),  # shipped before
        (ev.T0 + dt.timedelta(hours=5), ev.T0 + dt.timedelta(days=7, seconds=1)),  # edges inclusive
    ],
)
def test_R51_the_pricing_window_counts_exactly_what_the_raw_rows_give(
    client, shop, rita, start, end
):
    for n in range(3):
        ev.send(
            client,
            ev.order_placed(f"O{n}", shop.platform_shop_id),
            ev.order_shipped(f"O{n}", at=ev.T0 + dt.timedelta(hours=5, days=n)),
            ev.order_received(f"O{n}", at=ev.T0 + dt.timedelta(days=3 + n)),
        )
    ev.send(client, ev.refund_requested("R1", "O1", at=ev.T0 + dt.timedelta(days=5)))
    decisions.claim_approve(
        claim_id=Claim.objects.get().pk, actor=rita, at=ev.T0 + dt.timedelta(days=7)
    )

    experience = enrollment_selectors.shop_experience(shop=shop, window_start=start, window_end=end)

    policies = Policy.objects.filter(shop=shop, issued_at__gte=start, issued_at__lt=end)
    payouts = Payout.objects.filter(shop=shop, paid_at__gte=start, paid_at__lt=end)
    claims = Claim.objects.filter(shop=shop, submitted_at__gte=start, submitted_at__lt=end)
    assert (experience.policies, experience.claims) == (policies.count(), claims.count())
    assert experience.premiums == sum((p.premium for p in policies), D("0.00"))
    assert experience.payouts == sum((p.amount for p in payouts), D("0.00"))
