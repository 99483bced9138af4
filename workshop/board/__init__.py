"""Board operations: the one place where a board changes.

``apply_operation`` validates a command, applies it, assigns the next
per-session sequence number, writes the event log and flushes. It never
commits and never publishes: the caller (an HTTP view or the websocket
handler) commits and then publishes the returned events.
"""
from .actor import Actor
from .errors import BoardError, Conflict, Forbidden, NotFound, ValidationError
from .operations import OPERATION_TYPES, OpResult, apply_operation
from .snapshot import board_snapshot
from . import facilitation as _facilitation  # noqa: E402,F401  (registers the facilitation operations)
from . import operations as _operations  # noqa: E402

# recomputed so that it includes operations registered by later modules
_operations.OPERATION_TYPES = OPERATION_TYPES = _operations._operation_types()

__all__ = [
    "Actor", "BoardError", "Conflict", "Forbidden", "NotFound", "OPERATION_TYPES", "OpResult",
    "ValidationError", "apply_operation", "board_snapshot",
]
