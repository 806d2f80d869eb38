"""Issue 14: which database a read goes to, with a fake replica alias ("replica") whose
health and replay position the tests set. The real streaming replica is exercised by
bench/cluster/scenario.py."""

import logging
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import OperationalError, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from claims.models import Policy
from portal import db_router
from portal.db_router import PrimaryReplicaRouter, ReplicaReadsMiddleware, replica_reads

WITH_REPLICA = override_settings(
    DATABASE_REPLICA="replica", DATABASE_ROUTERS=["portal.db_router.PrimaryReplicaRouter"]
)


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    cache.clear()
    db_router.health.reset()
    monkeypatch.setattr(db_router.health, "probe", lambda: 0.0)  # up and caught up
    monkeypatch.setattr(db_router, "primary_lsn", lambda: "0/3000060")
    yield
    db_router.health.reset()


def where_reads_go():
    """What a view would read from: the router's answer for a merchant table."""
    return HttpResponse(router.db_for_read(Policy))


def through_middleware(request, view=where_reads_go):
    return ReplicaReadsMiddleware(lambda req: view()).__call__(request)


def get(path, session="merchant-session"):
    request = RequestFactory().get(path)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = session
    return request


def post(path, session="merchant-session"):
    request = RequestFactory().post(path)
    request.session = SimpleNamespace(session_key=session)
    return request


def test_without_a_replica_configured_there_is_no_router_and_no_middleware():
    assert settings.DATABASE_REPLICA is None
    assert "replica" not in settings.DATABASES
    assert not getattr(settings, "DATABASE_ROUTERS", [])
    assert "portal.db_router.ReplicaReadsMiddleware" not in settings.MIDDLEWARE


def test_without_a_replica_every_read_goes_to_the_default_database_even_on_merchant_pages():
    with replica_reads():
        assert PrimaryReplicaRouter().db_for_read(Policy) == "default"
    assert through_middleware(get("/policies/")).content == b"default"


@WITH_REPLICA
def test_reads_in_a_replica_scope_go_to_the_replica_and_writes_to_the_primary():
    with replica_reads():
        assert Policy.objects.all().db == "replica"
        assert router.db_for_write(Policy) == "default"
    assert Policy.objects.all().db == "default"  # admin, workers, commands


@WITH_REPLICA
@pytest.mark.django_db(transaction=True)  # not inside the test's own transaction
def test_reads_inside_a_transaction_on_the_primary_go_to_the_primary():
    with replica_reads():
        with transaction.atomic():
            assert Policy.objects.all().db == "default"
        assert Policy.objects.all().db == "replica"


@WITH_REPLICA
def test_sessions_are_always_read_from_the_primary():
    with replica_reads():
        assert PrimaryReplicaRouter().db_for_read(Session) == "default"


@WITH_REPLICA
def test_nothing_is_migrated_on_the_replica():
    assert PrimaryReplicaRouter().allow_migrate("replica", "claims") is False
    assert PrimaryReplicaRouter().allow_migrate("default", "claims") is True


@WITH_REPLICA
def test_a_merchant_page_and_the_marketplace_read_back_read_from_a_healthy_replica():
    assert through_middleware(get("/policies/")).content == b"replica"
    assert through_middleware(get("/api/v1/orders/T-1")).content == b"replica"


@WITH_REPLICA
def test_the_admin_and_the_health_check_read_from_the_primary():
    assert through_middleware(get("/admin/claims/claim/")).content == b"default"
    assert through_middleware(get("/healthz")).content == b"default"


@WITH_REPLICA
def test_after_a_merchants_post_their_reads_stay_on_the_primary_until_the_replica_replays_it(
    monkeypatch,
):
    replayed = {"0/3000060": False}
    monkeypatch.setattr(db_router, "replica_has_replayed", lambda lsn: replayed[lsn])

    assert through_middleware(post("/claims/7/confirm-receipt/")).status_code == 200
    assert cache.get(db_router.PIN_PREFIX + "merchant-session") == "0/3000060"
    assert through_middleware(get("/claims/7/")).content == b"default"
    assert through_middleware(get("/claims/7/", session="another-merchant")).content == (b"replica")

    replayed["0/3000060"] = True
    assert through_middleware(get("/claims/7/")).content == b"replica"
    assert cache.get(db_router.PIN_PREFIX + "merchant-session") is None


@WITH_REPLICA
def test_the_marketplace_reads_back_its_events_from_the_primary_until_replayed(monkeypatch):
    monkeypatch.setattr(db_router, "replica_has_replayed", lambda lsn: False)
    through_middleware(post("/api/v1/events", session=None))
    assert through_middleware(get("/api/v1/orders/T-1", session="")).content == b"default"


@WITH_REPLICA
def test_a_failed_post_pins_nothing():
    def server_error():
        return HttpResponse(status=500)

    through_middleware(post("/claims/7/confirm-receipt/"), view=server_error)
    assert cache.get(db_router.PIN_PREFIX + "merchant-session") is None


@WITH_REPLICA
def test_a_replica_lagging_past_the_bound_is_skipped_and_logged(monkeypatch, caplog):
    monkeypatch.setattr(db_router.health, "probe", lambda: settings.DATABASE_REPLICA_MAX_LAG + 1)
    with caplog.at_level(logging.WARNING, logger="portal.db_router"):
        assert through_middleware(get("/policies/")).content == b"default"
    assert "lagging" in caplog.text


@WITH_REPLICA
def test_a_replica_that_is_down_is_skipped_and_logged_with_no_error(monkeypatch, caplog):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(db_router.health, "probe", refused)
    with caplog.at_level(logging.WARNING, logger="portal.db_router"):
        response = through_middleware(get("/policies/"))
    assert (response.status_code, response.content) == (200, b"default")
    assert "unreachable" in caplog.text


@WITH_REPLICA
def test_a_replica_within_the_bound_is_used_and_its_return_is_logged(monkeypatch, caplog):
    lag = {"seconds": 60.0}
    monkeypatch.setattr(db_router.health, "probe", lambda: lag["seconds"])
    assert through_middleware(get("/policies/")).content == b"default"
    lag["seconds"] = 0.5
    db_router.health.next_check = 0.0  # the next second
    with caplog.at_level(logging.WARNING, logger="portal.db_router"):
        assert through_middleware(get("/policies/")).content == b"replica"
    assert "back in use" in caplog.text


@WITH_REPLICA
def test_a_page_whose_replica_fails_half_way_is_rendered_again_from_the_primary():
    request = get("/policies/")
    request.replica_reads = True
    request.resolver_match = SimpleNamespace(func=lambda req: where_reads_go(), args=(), kwargs={})
    middleware = ReplicaReadsMiddleware(lambda req: None)
    with replica_reads():
        response = middleware.process_exception(request, OperationalError("terminated"))
    assert response.content == b"default"
    assert db_router.health.usable is False


@WITH_REPLICA
def test_other_errors_are_not_retried():
    request = get("/policies/")
    request.replica_reads = True
    assert ReplicaReadsMiddleware(None).process_exception(request, ValueError("bug")) is None
