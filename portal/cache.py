"""Django's Redis cache, its client kept (issue 10).

Django's RedisCacheClient makes a new `redis.Redis` over its connection pool for every
operation, and building one costs 0.09 ms (bench/auth_queries.py has the figures): every
signed-in page pays it for its session. A `redis.Redis` is safe to share between threads
(redis-py's own advice), and its pool reconnects after a fork, so one client per pool does.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool index -> its redis.Redis

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` with one client kept per server."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _KeptClient
