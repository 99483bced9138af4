"""Board operations: the one place where a board changes.

``apply_operation`` validates a command, applies it, assigns the next
per-session sequence number, writes the event log and flushes. It never
commits and never publishes: the caller (an HTTP view or the websocket
handler) commits and then publishes the returned events.
"""
from .actor import Actor
from .errors import BoardError, Conflict, Forbidden, NotFound, ValidationError
from .operations import OpResult, apply_operation
from .snapshot import board_snapshot
from . import facilitation as _facilitation  # noqa: E402,F401  (registers the facilitation operations)

__all__ = [
    "Actor", "BoardError", "Conflict", "Forbidden", "NotFound", "OpResult",
    "ValidationError", "apply_operation", "board_snapshot",
]
