"""onboarding.core.cache.RedisCache: Django's Redis cache keeping one client per pool, on a real
Redis."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient

from tests.services import free_port

OURS = "onboarding.core.cache.RedisCache"
DJANGOS = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {"BACKEND": OURS, "LOCATION": redis_url},
        "djangos": {"BACKEND": DJANGOS, "LOCATION": redis_url},
    }
    return caches["default"]


def test_one_client_is_built_per_pool_and_kept(redis_cache):
    client = redis_cache._cache.get_client("a")
    redis_cache.set("a", 1)
    redis_cache.get("a")
    assert redis_cache._cache.get_client("b", write=True) is client
    assert list(redis_cache._cache._clients) == [0]
    # What it replaces: Django's own client builds a new redis.Redis on every call.
    djangos = caches["djangos"]._cache
    assert isinstance(djangos, RedisCacheClient)
    assert djangos.get_client("a") is not djangos.get_client("a")


def test_set_get_delete_incr_round_trip(redis_cache):
    redis_cache.set("plan", {"slug": "business-care", "amount_minor": 12900}, 60)
    assert redis_cache.get("plan") == {"slug": "business-care", "amount_minor": 12900}
    assert redis_cache.add("plan", "other") is False
    redis_cache.set("counter", 1)
    assert redis_cache.incr("counter", 5) == 6
    redis_cache.set_many({"x": "1", "y": "2"})
    assert redis_cache.get_many(["x", "y", "z"]) == {"x": "1", "y": "2"}
    assert redis_cache.delete("plan") is True
    assert redis_cache.get("plan", "gone") == "gone"


def test_what_it_writes_djangos_backend_reads_and_back(redis_cache):
    # Same keys and serialisation: the two can run side by side while a deploy rolls out.
    redis_cache.set("ours", [1, 2])
    caches["djangos"].set("theirs", {"a": 1})
    assert caches["djangos"].get("ours") == [1, 2]
    assert redis_cache.get("theirs") == {"a": 1}


def test_one_client_serves_several_threads(redis_cache):
    redis_cache.set("hits", 0)

    def work(n: int) -> int:
        for i in range(100):
            redis_cache.incr("hits")
            redis_cache.set(f"t{n}", i)
            assert redis_cache.get(f"t{n}") == i
        return id(redis_cache._cache.get_client())

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = set(pool.map(work, range(8)))
    assert redis_cache.get("hits") == 800
    assert len(clients) == 1


def test_each_kept_client_uses_its_own_servers_pool(settings, redis_url):
    # Reads go to a random replica (servers 1..n-1): the client kept for a replica must be the
    # one over that replica's pool, not over whichever one a second random draw picked.
    settings.CACHES = {"default": {"BACKEND": OURS, "LOCATION": [redis_url] * 3}}
    client = caches["default"]._cache
    for _ in range(50):
        client.get_client()
    client.get_client(write=True)
    assert sorted(client._clients) == [0, 1, 2]
    for index, kept in client._clients.items():
        assert kept.connection_pool is client._pools[index]


def test_with_redis_down_a_call_fails_as_with_djangos_backend(settings):
    settings.CACHES = {
        "default": {"BACKEND": OURS, "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}
    }
    with pytest.raises(redis.ConnectionError):
        caches["default"].get("a")
