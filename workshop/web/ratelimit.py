"""Rate limits on guessing: failed logins and join-code misses.

Fixed-window counters keyed by (scope, who). An attempt is counted *before* it
is evaluated, atomically (a lock in the process, ``INCR`` in Redis), and only
an attempt whose count is within the budget is evaluated at all: N concurrent
guesses can never evaluate more than the limit, however the lookups interleave
(checking first and counting afterwards let 40 simultaneous wrong passwords all
be checked). An attempt that succeeds gives its count back (``Attempt.refund``),
so a facilitator who types their password right, or a participant who types a
valid code, is never slowed down; a guesser is refused with 429 once the
window's budget is spent. Counters live in the process (one server) or in Redis
when ``REDIS_URL`` is set (several processes share one budget).

The numbers and the guessing odds they give are in docs/security.md.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from flask import current_app, request

# scope -> (failures allowed per window, window in seconds)
DEFAULT_LIMITS = {
    "login_ip": (10, 15 * 60),       # failed logins per client address
    "login_account": (10, 15 * 60),  # failed logins per e-mail address, from anywhere
    "join_ip": (10, 10 * 60),        # unknown join codes per client address
}


@dataclass
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the current window ends (0 when allowed)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def seconds_left(now: float, window: int) -> int:
    """Until the fixed window that ``now`` falls in ends."""
    return int(window - (now % window)) or window


class MemoryStorage:
    """Counters in this process; enough for one server (SQLite on a laptop)."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def get(self, key: str, window: int) -> int:
        idx = int(self.clock() // window)
        with self._lock:
            w, n = self._counts.get(key, (idx, 0))
            return n if w == idx else 0

    def incr(self, key: str, window: int) -> tuple[int, object]:
        """Count one more; returns the new count and a token for ``decr``."""
        idx = int(self.clock() // window)
        with self._lock:
            w, n = self._counts.get(key, (idx, 0))
            n = n + 1 if w == idx else 1
            self._counts[key] = (idx, n)
            if len(self._counts) > 100_000:  # drop stale windows so memory stays bounded
                self._counts = {k: v for k, v in self._counts.items() if v[0] == idx}
            return n, (key, idx)

    def decr(self, token) -> None:
        key, idx = token
        with self._lock:
            w, n = self._counts.get(key, (idx, 0))
            if w == idx and n > 0:  # a window that has ended stays ended
                self._counts[key] = (idx, n - 1)


class RedisStorage:
    """Counters shared by every process through Redis (INCR + EXPIRE per window)."""

    def __init__(self, url: str, prefix: str = "workshop:ratelimit:", clock=time.time):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.clock = clock

    def _key(self, key: str, window: int) -> str:
        return f"{self.prefix}{key}:{int(self.clock() // window)}"

    def get(self, key: str, window: int) -> int:
        return int(self.redis.get(self._key(key, window)) or 0)

    def incr(self, key: str, window: int) -> tuple[int, object]:
        """INCR is atomic across every process; the key names the window, so a refund hits the same one."""
        k = self._key(key, window)
        pipe = self.redis.pipeline()  # MULTI/EXEC
        pipe.incr(k)
        pipe.expire(k, window + 5)
        return int(pipe.execute()[0]), k

    # DECR only a counter that still exists and is above zero (an expired window is not revived)
    _DECR = "local n = redis.call('GET', KEYS[1]) if n and tonumber(n) > 0 then return redis.call('DECR', KEYS[1]) end return 0"

    def decr(self, token) -> None:
        self.redis.eval(self._DECR, 1, token)



class Attempt:
    """One counted attempt: evaluate it only when ``allowed``; ``refund`` it when it succeeded."""

    def __init__(self, limiter: "RateLimiter", verdict: Verdict, tokens: list):
        self.limiter = limiter
        self.verdict = verdict
        self.tokens = tokens

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    def refund(self) -> None:
        """The attempt succeeded (right password, valid code): it does not use up the budget."""
        tokens, self.tokens = self.tokens, []
        for token in tokens:
            try:
                self.limiter.storage.decr(token)
            except Exception:  # noqa: BLE001 - Redis down: the count simply stays
                current_app.logger.exception("rate limit storage unavailable")


class RateLimiter:
    def __init__(self, storage, limits: dict[str, tuple[int, int]], enabled: bool = True):
        self.storage = storage
        self.limits = dict(limits)
        self.enabled = enabled

    def attempt(self, *keys: tuple[str, str]) -> Attempt:
        """Count one attempt under every ``(scope, who)`` *before* it is evaluated.

        Refused as soon as one count is over its scope's limit (the scopes after
        it are then not counted). Concurrent attempts each get their own count
        from the atomic increment, so at most ``limit`` of them are allowed.
        """
        tokens: list = []
        if not self.enabled:
            return Attempt(self, Verdict(True, 0), tokens)
        for scope, who in keys:
            limit, window = self.limits[scope]
            try:
                count, token = self.storage.incr(f"{scope}:{who}", window)
            except Exception:  # noqa: BLE001 - Redis down: fail open rather than lock everyone out
                current_app.logger.exception("rate limit storage unavailable")
                continue
            tokens.append(token)
            if count > limit:
                return Attempt(self, Verdict(False, seconds_left(self.storage.clock(), window)), tokens)
        return Attempt(self, Verdict(True, 0), tokens)


def init_app(app) -> None:
    limits = dict(DEFAULT_LIMITS)
    limits.update(app.config["RATELIMITS"])
    url = app.config["RATELIMIT_STORAGE_URL"] or app.config["REDIS_URL"]
    storage = RedisStorage(url, prefix=app.config["RATELIMIT_KEY_PREFIX"]) if url else MemoryStorage()
    app.extensions["ratelimit"] = RateLimiter(storage, limits, enabled=app.config["RATELIMIT_ENABLED"])


def limiter() -> RateLimiter:
    return current_app.extensions["ratelimit"]


def client_address() -> str:
    """The client's address; behind a trusted proxy ProxyFix has already put the real one here."""
    return request.remote_addr or "unknown"


def too_many(verdict: Verdict, template: str, status: int = 429, **context):
    """A 429 page with the reason in plain language and a Retry-After header."""
    from flask import flash, render_template
    from flask_babel import gettext as _

    flash(_("Too many attempts. Wait %(minutes)d minutes and try again.", minutes=verdict.minutes), "error")
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response
