"""What every projection is given: one write's change to one tracker, and the row shape of a
tracker state shared by tracker_state and tracker_versions."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Sequence

from ..domain.events import Recorded
from ..domain.tracker import TrackerState
from ..eventstore import Stream

# The columns of a tracker state, in tracker_state and tracker_versions alike.
COLUMNS = ("user_id", "title_id", "active", "status", "progress", "total", "rating", "notes",
           "started_at", "completed_at", "times_completed", "version", "updated_at", "pass")


@dataclass(frozen=True)
class TitleFacts:
    """What a write needs of a tracker's title."""

    id: int
    kind: str
    total_units: int | None
    revision: int  # the title's edits so far: facts read at one revision hold while it does
    release_date: date | None = None  # progress waits for it (rules.decide)


def tracker_row(stream: Stream, state: TrackerState) -> dict[str, Any]:
    return {"user_id": stream.user_id, "title_id": stream.title_id, "active": state.active,
            "status": state.status, "progress": state.progress, "total": state.total,
            "rating": state.rating, "notes": list(state.notes), "started_at": state.started_at,
            "completed_at": state.completed_at, "times_completed": state.times_completed,
            "version": state.version, "updated_at": state.updated_at, "pass": state.pass_number}


def _iso(value: Any) -> str:
    """A time in ISO 8601; a custom title's decimal progress (a Decimal) exactly, as numeric reads it."""
    return str(value) if isinstance(value, Decimal) else value.isoformat()


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_iso)


@dataclass(frozen=True)
class Change:
    """New entries on one stream, which took its tracker from ``before`` through ``states``."""

    stream: Stream
    before: TrackerState
    states: Sequence[TrackerState]
    entries: Sequence[Recorded]
    history: Sequence[Recorded] | None = None  # the stream's entries before them, when a re-fold read them

    @functools.cached_property
    def rows(self) -> str:
        """The states as tracker rows (JSON), for the projections that keep them."""
        return rows_json([tracker_row(self.stream, state) for state in self.states])

    @property
    def after(self) -> TrackerState:
        return self.states[-1]


@dataclass(frozen=True)
class Difference:
    """A row where a live projection and a rebuild from the same log disagree (verify)."""

    projection: str
    key: str
    live: dict | None
    rebuilt: dict | None

    def __str__(self) -> str:
        if self.live is None:
            return f"{self.projection} {self.key}: missing (a rebuild has {self.rebuilt})"
        if self.rebuilt is None:
            return f"{self.projection} {self.key}: not in a rebuild (live has {self.live})"
        changed = {k: (self.live[k], self.rebuilt[k]) for k in self.live if self.live[k] != self.rebuilt.get(k)}
        return f"{self.projection} {self.key}: " + ", ".join(
            f"{k} is {live!r}, a rebuild says {rebuilt!r}" for k, (live, rebuilt) in changed.items())
