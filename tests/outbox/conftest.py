import pytest

from outbox.delivery import Target, deliver_due
from outbox.receiver import Receiver

SECRET = "test-callback-secret-0123456789abcdef"


@pytest.fixture
def receiver():
    """The marketplace's end: a real HTTP server on 127.0.0.1 that checks signatures."""
    with Receiver(SECRET) as running:
        yield running


@pytest.fixture
def target(receiver):
    return Target(url=receiver.url, secret=SECRET, connect_timeout=1.0, read_timeout=0.5)


@pytest.fixture
def deliver(target):
    """Run the worker's delivery until nothing is due."""

    def run(**kwargs):
        return deliver_due(target=kwargs.pop("to", target), **kwargs)

    return run


from tests.claims.conftest import received_order, request_refund  # noqa: E402, F401
