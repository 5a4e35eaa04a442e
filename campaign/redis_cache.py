"""The Redis cache backend the site uses (``settings.CACHES`` when ``REDIS_URL`` is set): Django's own,
with ``incr`` in one atomic round trip.

Django's ``RedisCache.incr`` asks ``EXISTS`` and then ``INCRBY``: two round trips, and a key that
expires between them comes back as a counter without an expiry. ``incr`` is what the rate limits of
the public pages call on every request (django-ratelimit: ``add`` the window's counter, else ``incr``
it; ``campaign/public.py``), twice per request (per address, per device), so a busy public page —
200 residents answering a survey from one poster — pays for it on every submission. Here one Lua
script checks and increments together; everything else is Django's.
"""
from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCRBY only an existing key (a missing one is Django's ValueError, as before): one round trip, atomic.
INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"


class _Client(RedisCacheClient):
    def incr(self, key: Any, delta: int) -> int:
        value = self.get_client(key, write=True).eval(INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError("Key '%s' not found." % key)
        return value


class RedisCache(_RedisCache):
    def __init__(self, server: Any, params: dict) -> None:
        super().__init__(server, params)
        self._class = _Client
