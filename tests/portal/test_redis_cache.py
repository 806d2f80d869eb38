"""portal.cache.RedisCache is Django's Redis cache with its client kept (issue 10): the same
answers as Django's, from any thread, with one client for its server."""

import socket
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.cache import RedisCache
from tests.portal.test_settings import ROOT

REDIS = "redis://127.0.0.1:6379/3"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(
    not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)"
)


@pytest.fixture
def redis_cache():
    cache = RedisCache(REDIS, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.clear()


def test_a_redis_cache_url_gives_the_kept_client_cache():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings", "CACHE_URL": REDIS, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "portal.cache.RedisCache", result.stderr


@needs_redis
def test_it_answers_as_a_cache_does_with_one_client(redis_cache):
    redis_cache.set("a", {"n": 1}, 30)
    assert redis_cache.get("a") == {"n": 1}
    assert redis_cache.add("count", 1)
    assert redis_cache.incr("count", 2) == 3
    redis_cache.delete("a")
    assert redis_cache.get("a", "gone") == "gone"
    client = redis_cache._cache
    assert client.get_client("x") is client.get_client("y")


@needs_redis
def test_threads_share_the_client_and_each_reads_its_own_keys(redis_cache):
    def one(i: int) -> bool:
        for round_ in range(50):
            redis_cache.set(f"k{i}", (i, round_), 30)
            if redis_cache.get(f"k{i}") != (i, round_):
                return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(one, range(8)))
