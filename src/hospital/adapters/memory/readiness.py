"""The in-memory adapters are always there."""

from __future__ import annotations


class AlwaysHealthy:
    def __init__(self, name: str) -> None:
        self.name = name

    async def problem(self) -> str | None:
        return None
