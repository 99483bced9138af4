"""A token bucket per websocket connection, so one flooding client cannot hog a worker.

A connection may send ``WS_OPS_BURST`` operations at once and then
``WS_OPS_PER_SECOND`` per second on average; an operation over the limit is not
applied and gets an error frame with the code ``rate_limited`` (its ``op_id``
included, so the client can resend it later). The bucket belongs to one
connection, so other clients are never slowed down by it.

Wiring (``workshop/live/socket.py``)::

    # LiveConnection.__init__
    self.op_bucket = TokenBucket.from_config(app.config)
    # LiveConnection._on_op, after the op/op_id checks and before apply_operation
    if not self.op_bucket.take():
        self._queue(rate_limited_frame(op_id, self.op_bucket.retry_after()))
        return
"""
from __future__ import annotations

import time

from .hub import encode
from .locks import lock


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()
        self._lock = lock()

    @classmethod
    def from_config(cls, config) -> "TokenBucket":
        return cls(float(config["WS_OPS_PER_SECOND"]), int(config["WS_OPS_BURST"]))

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, n: int = 1) -> bool:
        """Spend ``n`` tokens if there are enough; False means: refuse this frame."""
        with self._lock:
            self._refill()
            if self.tokens >= n:
                self.tokens -= n
                return True
            return False

    def retry_after(self) -> float:
        """Seconds until one token is available again."""
        with self._lock:
            self._refill()
            return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def rate_limited_frame(op_id: str | None, retry_after: float = 1.0) -> str:
    """The error frame for an operation refused by the bucket (translated message)."""
    from flask_babel import gettext as _

    return encode({
        "type": "error", "code": "rate_limited", "op_id": op_id,
        "retry_after": round(max(retry_after, 0.05), 2),
        "message": _("You are sending changes faster than the board can take them. "
                     "Wait a moment; this change was not saved."),
    })
