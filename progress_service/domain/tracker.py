"""The fold: how a tracker's state follows from its events. Pure; ``apply`` never fails."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Sequence

from .events import (
    EntryCorrected, EntryRetracted, Event, NoteAdded, ProgressLogged, RatingCleared, RatingSet,
    Recorded, StatusChanged, TrackerAdded, TrackerRemoved, TrackerRolledBack, is_change,
)


@dataclass(frozen=True)
class TrackerState:
    """Everything a tracker shows. ``active`` is false before its first entry and after removal."""

    active: bool = False
    status: str = "planned"
    progress: int = 0
    total: int | None = None
    rating: float | None = None
    notes: tuple[str, ...] = ()
    started_at: datetime | None = None
    completed_at: datetime | None = None
    times_completed: int = 0
    version: int = 0
    updated_at: datetime | None = None

    @property
    def percent(self) -> float | None:
        if not self.total:
            return None
        return round(self.progress * 100.0 / self.total, 1)


NEW = TrackerState()


def _set_status(state: TrackerState, status: str, at: datetime) -> TrackerState:
    changes: dict = {"status": status}
    if status in ("in_progress", "completed") and state.started_at is None:
        changes["started_at"] = at
    if status == "completed":
        if state.total is not None:
            changes["progress"] = state.total
        if state.status != "completed":
            changes["times_completed"] = state.times_completed + 1
            changes["completed_at"] = at
    return replace(state, **changes)


def evolve(state: TrackerState, change: Event, at: datetime) -> TrackerState:
    """The effect of one change entry that happened at ``at``."""
    if isinstance(change, TrackerRemoved):
        return replace(NEW, version=state.version, updated_at=state.updated_at)
    if not state.active:  # the first entry (or the first after a removal) starts a fresh tracker
        state = replace(NEW, active=True, version=state.version, updated_at=state.updated_at)
    if isinstance(change, (TrackerAdded, StatusChanged)):
        return _set_status(replace(state, total=change.total), change.status, at)
    if isinstance(change, ProgressLogged):
        state = replace(state, total=change.total)
        progress = state.progress + change.delta if change.delta is not None else (change.progress or 0)
        # Only a re-fold after a correction can push progress out of bounds; clamp it there.
        progress = max(0, progress if state.total is None else min(progress, state.total))
        state = replace(state, progress=progress)
        if state.total is not None and progress >= state.total:
            return _set_status(state, "completed", at)
        if progress > 0:
            return _set_status(state, "in_progress", at)
        return state
    if isinstance(change, RatingSet):
        return replace(state, rating=change.rating)
    if isinstance(change, RatingCleared):
        return replace(state, rating=None)
    if isinstance(change, NoteAdded):
        return replace(state, notes=state.notes + (change.text,))
    raise TypeError(f"not a change entry: {change!r}")


def apply(state: TrackerState, entry: Recorded) -> TrackerState:
    """Fold one more entry onto ``state``.

    A meta entry (correction, retraction, rollback) changes how *earlier* entries count, so its
    effect needs the whole stream: ``fold`` gives it. Here it only moves the version on.
    """
    if is_change(entry.event):
        state = evolve(state, entry.event, entry.occurred_at)
    return replace(state, version=entry.version, updated_at=entry.occurred_at)


def effective_changes(history: Sequence[Recorded]) -> dict[int, Event | None]:
    """For each change entry's version: the change it counts as now (None when retracted)."""
    changes: dict[int, Event | None] = {}
    for entry in history:
        event = entry.event
        if isinstance(event, EntryCorrected):
            changes[event.entry_version] = event.change
        elif isinstance(event, EntryRetracted):
            changes[event.entry_version] = None
        elif is_change(event):
            changes[entry.version] = event
    return changes


def replay(history: Sequence[Recorded]) -> list[TrackerState]:
    """The state right after each version, as everything in ``history`` now says it was.

    Corrections and retractions rewrite the entries they target; a rollback restores the state
    after its ``to_version``, itself computed with every correction known so far.
    """
    changes = effective_changes(history)
    states: list[TrackerState] = []
    state = NEW
    for entry in history:
        event = entry.event
        if isinstance(event, TrackerRolledBack):
            state = states[event.to_version - 1]
        elif is_change(event):
            change = changes[entry.version]
            if change is not None:
                state = evolve(state, change, entry.occurred_at)
        state = replace(state, version=entry.version, updated_at=entry.occurred_at)
        states.append(state)
    return states


def fold(history: Sequence[Recorded]) -> TrackerState:
    """The current state of a tracker whose whole stream is ``history``."""
    states = replay(history)
    return states[-1] if states else NEW


def needs_refold(event: Event) -> bool:
    return not is_change(event)


def advance(state: TrackerState, entries: Sequence[Recorded],
            load_history: Callable[[], Sequence[Recorded]]) -> list[TrackerState]:
    """The state right after each of ``entries``, which follow ``state``, as the timeline records it:
    folded on one by one, or re-folded from the whole stream (``load_history`` gives what came
    before) after a meta entry that rewrites the past."""
    states: list[TrackerState] = []
    history: Sequence[Recorded] | None = None
    for i, entry in enumerate(entries):
        if needs_refold(entry.event):
            history = load_history() if history is None else history
            states.append(fold([*history, *entries[: i + 1]]))
        else:
            states.append(apply(states[-1] if states else state, entry))
    return states


def timeline(history: Sequence[Recorded]) -> list[TrackerState]:
    """The state as it was recorded right after each version (what the tracker showed then)."""
    states: list[TrackerState] = []
    for i, entry in enumerate(history):
        previous = states[-1] if states else NEW
        states.append(fold(history[: i + 1]) if needs_refold(entry.event) else apply(previous, entry))
    return states


def state_at_version(history: Sequence[Recorded], version: int) -> TrackerState:
    """The state right after the ``version``-th event, as it was recorded then."""
    return fold([entry for entry in history if entry.version <= version])


def version_as_of(history: Sequence[Recorded], moment: datetime) -> int:
    """The last version recorded at or before ``moment`` (0 when there was none yet)."""
    return max((entry.version for entry in history
                if entry.recorded_at is not None and entry.recorded_at <= moment), default=0)
