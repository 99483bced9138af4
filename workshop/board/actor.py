from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who performs an operation: a facilitator, a participant, or the system (seed, import)."""

    kind: str  # facilitator | participant | system
    id: int | None
    name: str = ""

    @property
    def is_facilitator(self) -> bool:
        return self.kind in ("facilitator", "system")

    @property
    def tag(self) -> str:
        return f"{self.kind[0]}:{self.id}" if self.id is not None else self.kind

    @classmethod
    def system(cls) -> "Actor":
        return cls("system", None, "")
