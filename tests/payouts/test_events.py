"""R114 with R80-R83: the provider reports each result as a signed event."""

from decimal import Decimal

import pytest
from django.urls import reverse

from claims.models import Payout, PayoutState
from payouts import services
from payouts.models import BatchState, PayoutBatch
from tests.payouts.helpers import snapshot
from tests.platform_api import events as ev
from tests.platform_api.test_openapi import validate

pytestmark = pytest.mark.django_db


settled, failed = ev.payout_settled, ev.payout_failed


@pytest.fixture
def batch(owed, fiona):
    return services.payout_batch_create(actor=fiona).batch


def references(batch) -> list[str]:
    return list(batch.items.order_by("amount").values_list("reference", flat=True))


def test_R114_settled_and_failed_events_record_each_result_at_its_time(client, batch):
    bob, *alice = references(batch)

    results = ev.send(client, failed(bob), *(settled(r, f"ALI-{n}") for n, r in enumerate(alice)))

    assert [r["status"] for r in results] == ["applied"] * 4
    assert Payout.objects.get(amount=Decimal("0.01")).failure_reason == "账户已注销"
    assert Payout.objects.filter(state=PayoutState.SETTLED).count() == 3
    assert Payout.objects.get(amount=Decimal("33.33")).settled_at == ev.T0
    assert PayoutBatch.objects.get().state == BatchState.CLOSED


def test_R82_the_same_event_again_is_a_duplicate_and_changes_nothing(client, batch):
    event = settled(references(batch)[0])
    ev.send(client, event)
    before = snapshot()

    (again,) = ev.send(client, event)

    assert again["status"] == "duplicate"
    assert snapshot() == before


def test_R114_the_same_result_under_another_event_id_changes_nothing(client, batch):
    reference = references(batch)[0]
    ev.send(client, settled(reference))
    before = snapshot()

    (again,) = ev.send(client, settled(reference))

    assert again["status"] == "applied"
    assert snapshot() == before


def test_R83_a_contradicting_or_unknown_result_is_rejected_and_blocks_nothing(client, batch):
    first, second, *_ = references(batch)
    ev.send(client, settled(first))

    results = ev.send(client, failed(first), settled("WP404-1"), settled(second))

    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "already has the result settled" in results[0]["error"]
    assert "unknown payout reference WP404-1" in results[1]["error"]
    assert Payout.objects.filter(state=PayoutState.SETTLED).count() == 2


def test_R83_a_failure_without_a_reason_is_rejected_clearly(client, batch):
    event = failed(references(batch)[0])
    del event["data"]["reason"]

    (result,) = ev.send(client, event)

    assert (result["status"], result["error"]) == ("rejected", "data.reason is required")
    assert not Payout.objects.filter(state=PayoutState.FAILED).exists()


def test_R86_the_payout_events_are_in_the_openapi_document_and_validate(client):
    document = client.get(reverse("platform_api:openapi")).json()

    schemas = document["components"]["schemas"]
    assert schemas["payout.failed"]["properties"]["data"]["required"] == [
        "payout_reference",
        "provider_reference",
        "reason",
    ]
    assert {"$ref": "#/components/schemas/payout.settled"} in schemas["Event"]["oneOf"]
    for sample in (settled("WP1-1"), failed("WP1-1")):
        validate(document, sample, "Event")
