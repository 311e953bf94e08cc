"""The shared cache on Redis: one connection pool per server process.

Django makes a cache object per request context, and its Redis backend a connection pool per
cache object: every HTTP request opened a new Redis connection (and redis-py read its package
metadata from disk to introduce itself), a third of an API command's time when the rate limit
counts on Redis. Pools made from the same URL and options are shared here; redis-py's pools are
safe to share between threads.
"""

import threading

from redis import ConnectionPool

_pools: dict[str, ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **options) -> ConnectionPool:
        key = f"{url} {sorted(options.items())!r}"
        with _lock:
            if key not in _pools:
                _pools[key] = super().from_url(url, **options)
            return _pools[key]
