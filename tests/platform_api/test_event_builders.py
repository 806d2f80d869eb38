"""R80, R84: every event the one builder (`platform_api.events`) makes passes the real parser,
and every event type the parser accepts has a builder."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from platform_api import events
from platform_api.auth import sign
from platform_api.schemas import EVENT_DATA, EventError, parse_event
from portal.clock import SHANGHAI

AT = dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
PHOTO = ("photo.png", b"\x89PNG not really")


def refund(refund_id="R-1", **given):
    """A refund request on O-1's line: refund-only for quality, 10.00, asked at AT."""
    facts = {"kind": "refund_only", "reason": "quality_issue", "amount": "10.00"}
    return events.refund_requested(
        refund_id, order_id="O-1", line_id="O-1-1", requested_at=AT, **{**facts, **given}
    )


LINE = events.order_line("O-1-1", sku="SKU-1", title="电热水壶", quantity=2, paid_amount=199)
BUILT = {
    "order.placed": events.order_placed(
        "O-1", shop_id="TM-1", buyer_id="B-1", credit_tier=3, placed_at=AT, lines=[LINE]
    ),
    "order.shipped": events.order_shipped("O-1", shipped_at=AT),
    "order.received": events.order_received("O-1", received_at=AT),
    "refund.requested": refund(
        kind="return_and_refund", amount=Decimal("99.5"), description="坏了", images=[PHOTO]
    ),
    "refund.return_shipped": events.return_shipped(
        "R-1", carrier="顺丰", tracking_number="SF1", shipped_at=AT
    ),
    "refund.cancelled": events.refund_cancelled("R-1", cancelled_at=AT),
    "payout.settled": events.payout_settled("P-1", provider_reference="ALI-1", occurred_at=AT),
    "payout.failed": events.payout_failed(
        "P-1", provider_reference="ALI-2", reason="账户已注销", occurred_at=AT
    ),
}


def test_every_event_type_the_parser_accepts_has_a_builder():
    assert set(BUILT) == set(EVENT_DATA)


@pytest.mark.parametrize("type_", list(BUILT))
def test_R84_each_built_event_passes_the_parser_with_its_type_and_time(type_):
    event_id, parsed_type, occurred_at, data = parse_event(BUILT[type_])

    assert parsed_type == type_
    assert occurred_at == AT
    assert event_id == BUILT[type_]["id"]


def test_R82_an_event_id_is_derived_from_its_entity_so_a_rerun_repeats_it():
    assert events.order_shipped("O-9", shipped_at=AT)["id"] == "O-9/order.shipped"
    assert events.order_shipped("O-9", shipped_at=AT, event_id="e-1")["id"] == "e-1"


def test_R1_amounts_are_written_as_two_place_strings_and_parse_to_the_fen():
    _id, _type, _at, placed = parse_event(BUILT["order.placed"])
    _id, _type, _at, refund = parse_event(BUILT["refund.requested"])

    assert LINE["paid_amount"] == "199.00"
    assert placed["lines"][0]["paid_amount"] == Decimal("199.00")
    assert BUILT["refund.requested"]["data"]["amount"] == "99.50"
    assert refund["amount"] == Decimal("99.50")


def test_R85_evidence_travels_as_base64_and_parses_back_to_the_same_bytes():
    _id, _type, _at, data = parse_event(BUILT["refund.requested"])

    assert data["evidence"] == [{"filename": "photo.png", "content_base64": PHOTO[1]}]


def test_a_refund_request_without_description_or_evidence_leaves_them_out_and_parses():
    built = refund("R-2", reason="wrong_size")

    assert "evidence" not in built["data"] and "description" not in built["data"]
    assert parse_event(built)[3]["amount"] == Decimal("10.00")


def test_R38_a_return_reported_later_than_shipped_carries_the_report_time():
    reported = AT + dt.timedelta(days=1)
    built = events.return_shipped(
        "R-1", carrier="顺丰", tracking_number="SF1", shipped_at=AT, occurred_at=reported
    )

    _id, _type, occurred_at, data = parse_event(built)
    assert (occurred_at, data["shipped_at"]) == (reported, AT)


def test_R80_a_naive_time_is_written_without_an_offset_and_the_parser_rejects_it():
    built = events.order_shipped("O-1", shipped_at=AT.replace(tzinfo=None))

    with pytest.raises(EventError, match="needs a UTC offset"):
        parse_event(built)


def test_R81_a_signed_batch_is_the_json_of_its_events_signed_with_the_secret():
    body, headers = events.signed_batch(list(BUILT.values()), secret="s3cret", timestamp=1700)

    assert json.loads(body) == {"events": list(BUILT.values())}
    assert headers["X-Platform-Timestamp"] == "1700"
    assert headers["X-Platform-Signature"] == sign(b"1700." + body, secret="s3cret")


def test_R1_an_amount_with_more_than_two_places_is_written_in_full_and_rejected_not_rounded():
    built = refund("R-3", amount=Decimal("19.999"))

    assert built["data"]["amount"] == "19.999"
    with pytest.raises(EventError, match="at most 2 decimal places"):
        parse_event(built)
