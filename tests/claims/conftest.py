import datetime as dt

import pytest

from tests.platform_api import events as ev

RECEIVED = ev.T0 + dt.timedelta(days=2)


@pytest.fixture
def received_order(send_order_story):
    """O1: one line paid 199.00, shipped and received on 3 June 2026 (coverage to 3 July)."""
    send_order_story("O1", received_at=RECEIVED)
    return "O1"


@pytest.fixture
def request_refund(client, received_order):
    def make(refund_id="R1", **kwargs):
        (result,) = ev.send(client, ev.refund_requested(refund_id, "O1", **kwargs))
        assert result["status"] == "applied", result
        from claims.models import RefundRequest

        return RefundRequest.objects.get(platform_refund_id=refund_id)

    return make


@pytest.fixture
def one_of_four_returned(client, shop, rita):
    """Four orders (the odd ones returns); RO1 approved and its return shipped."""
    from tests.factories import make_orders, return_shipped_back

    make_orders(client, shop, 4)
    return return_shipped_back(client, rita)
