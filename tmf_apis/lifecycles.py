"""A resource's lifecycle as data: which status may follow which, and why a move is refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Lifecycle:
    # How the resource is named in a refusal ("a product"), and its status attribute.
    noun: str
    attribute: str
    # Each status and those it may move to; a status that may move nowhere is final.
    moves: Mapping[str, frozenset[str]]

    def move_problem(self, old: str, new: str) -> str | None:
        """Why the resource cannot move from `old` to `new`, or None when it may."""
        if new == old:
            return None
        allowed = self.moves.get(old, frozenset())
        if new in allowed:
            return None
        if not allowed:
            return f"{self.noun} that is {old} is final: its {self.attribute} cannot change"
        listed = ", ".join(s for s in self.moves if s in allowed)  # in the graph's order
        return f"{self.noun} cannot move from {old} to {new} (from {old}: {listed})"
