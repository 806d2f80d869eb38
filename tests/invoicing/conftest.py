import pytest
import time_machine

from invoicing import services
from tests.invoicing.helpers import make_policy, request_data, shanghai

# Friday 10 July 2026, 10:00 in Shanghai: May and June 2026 are past months.
NOW = shanghai(2026, 7, 10, 10, 0)


@pytest.fixture(autouse=True)
def media(private_media):
    """Uploaded invoice PDFs go to the test's own folder (returned; tests/conftest.py)."""
    return private_media


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def premiums(shop):
    """Alice's shop: 2.99 + 15.00 in May 2026, 5.00 in June, 1.33 in July (this month).

    The last May premium is charged at 23:30 on 31 May in Shanghai (15:30 UTC), the first
    June one at 00:10 on 1 June in Shanghai (16:10 UTC on 31 May): months are Shanghai's (R2).
    """
    return [
        make_policy(shop, premium="2.99", issued_at=shanghai(2026, 5, 10, 14, 0)),
        make_policy(shop, premium="15.00", issued_at=shanghai(2026, 5, 31, 23, 30)),
        make_policy(shop, premium="5.00", issued_at=shanghai(2026, 6, 1, 0, 10)),
        make_policy(shop, premium="1.33", issued_at=shanghai(2026, 7, 2, 9, 0)),
    ]


@pytest.fixture
def submit(alice, frozen):
    """Submit a request for alice's shop (May-June 2026 electronic unless overridden)."""

    def make(**overrides):
        return services.invoice_request_create(
            shop=alice.merchant.shop, actor=alice, **request_data(**overrides)
        )

    return make


@pytest.fixture
def other_shop_premium(bob, uma):
    """Bob's shop, enrolled too, with a premium in May 2026."""
    from tests.conftest import enroll

    with time_machine.travel(shanghai(2026, 5, 1, 9, 0), tick=False):
        enroll(bob, uma)
    return make_policy(bob.merchant.shop, premium="9.99", issued_at=shanghai(2026, 5, 20, 10, 0))
