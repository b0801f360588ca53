"""Django's Redis cache with one redis client per connection pool, not one per call.

Django's RedisCacheClient builds a new redis.Redis for every get and set, and redis-py fills a
table of some 170 response callbacks each time: 60 of the 108 µs of CPU a cache.get costs
(docs/benchmarks.md). A redis.Redis over a pool takes a connection from the pool for each
command and gives it back, so one is safe to share between threads (redis-py says so for the
client; not for its pipelines or pub/sub, which Django's cache does not keep).
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class OneClientPerPool(RedisCacheClient):
    """Django's client, keeping the redis.Redis it builds for each pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            # Two threads may both build one here; either is a valid client, one is kept.
            pool = self._pool_for(index)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client

    def _pool_for(self, index: int) -> Any:
        # Django's _get_connection_pool() draws its own random replica index; the pool must be
        # the one for the index the client is kept under.
        if index not in self._pools:
            self._pools[index] = self._pool_class.from_url(
                self._servers[index], **self._pool_options
            )
        return self._pools[index]


class RedisCache(DjangoRedisCache):
    """CACHES BACKEND "onboarding.core.cache.RedisCache": Django's, with OneClientPerPool."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = OneClientPerPool
