"""The fold: how a tracker's state follows from its events, and its passes. Pure; ``apply`` never fails."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterator, Optional, Sequence

from .events import (
    EntryCorrected, EntryRetracted, Event, NoteAdded, PassStarted, ProgressLogged, RatingCleared, RatingSet,
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
    pass_number: int = 1  # the API's `pass`: 1, and one more for each time it was started again

    @property
    def percent(self) -> float | None:
        """Progress as a percent of the total, to one decimal, a half rounded away from zero (as
        PostgreSQL rounds the answers' percent: tracker_json in sql/schema.sql)."""
        if not self.total:
            return None
        return float((Decimal(self.progress * 100) / self.total).quantize(Decimal("0.1"), ROUND_HALF_UP))


NEW = TrackerState()


def shows_differently(before: TrackerState, after: TrackerState) -> bool:
    """Whether a person would see the tracker change: anything but its version and when it last moved."""
    return replace(before, version=0, updated_at=None) != replace(after, version=0, updated_at=None)


# The fold works on a state's fields as a dict, changed in place, and builds one new state per
# entry: building a frozen dataclass is what a fold spends its time on.
Fields = dict[str, Any]


def _set_status(fields: Fields, status: str, at: datetime) -> None:
    if status in ("in_progress", "completed") and fields["started_at"] is None:
        fields["started_at"] = at
    if status == "completed":
        if fields["total"] is not None:
            fields["progress"] = fields["total"]
        if fields["status"] != "completed":
            fields["times_completed"] += 1
            fields["completed_at"] = at
    fields["status"] = status


def evolve(fields: Fields, change: Event, at: datetime) -> Fields:
    """The fold's step: the fields after one change entry that happened at ``at`` (``fields`` may be changed)."""
    if isinstance(change, TrackerRemoved):
        return {**vars(NEW), "version": fields["version"], "updated_at": fields["updated_at"]}
    fresh = not fields["active"]
    if fresh:  # the first entry (or the first after a removal) starts a fresh tracker
        fields = {**vars(NEW), "active": True, "version": fields["version"], "updated_at": fields["updated_at"]}
    if isinstance(change, (TrackerAdded, StatusChanged)):
        fields["total"] = change.total
        _set_status(fields, change.status, at)
    elif isinstance(change, ProgressLogged):
        total = fields["total"] = change.total
        progress = fields["progress"] + change.delta if change.delta is not None else (change.progress or 0)
        # Only a re-fold after a correction can push progress out of bounds; clamp it there.
        progress = fields["progress"] = max(0, progress if total is None else min(progress, total))
        if total is not None and progress >= total:
            _set_status(fields, "completed", at)
        elif progress > 0:
            _set_status(fields, "in_progress", at)
    elif isinstance(change, RatingSet):
        fields["rating"] = change.rating
    elif isinstance(change, RatingCleared):
        fields["rating"] = None
    elif isinstance(change, NoteAdded):
        fields["notes"] = fields["notes"] + (change.text,)
    elif isinstance(change, PassStarted):
        fields["total"] = change.total
        fields["progress"] = 0
        if not fresh:  # on a fresh tracker (what came before it retracted) it starts the first pass
            fields["pass_number"] += 1
        _set_status(fields, "in_progress", at)
    else:
        raise TypeError(f"not a change entry: {change!r}")
    return fields


def _recorded(fields: Fields, entry: Recorded) -> TrackerState:
    fields["version"] = entry.version
    if fields["updated_at"] is None or entry.occurred_at > fields["updated_at"]:
        fields["updated_at"] = entry.occurred_at  # the latest time anything happened to it
    return TrackerState(**fields)


def apply(state: TrackerState, entry: Recorded) -> TrackerState:
    """Fold one more entry onto ``state``, for an entry that ``needs_refold`` says needs no re-fold.

    A meta entry (correction, retraction, rollback) changes how *earlier* entries count, and a
    backdated entry takes its place among them, so their effect needs the whole stream: ``fold``
    gives it. Here a meta entry only moves the version on.
    """
    fields = dict(vars(state))
    if is_change(entry.event):
        fields = evolve(fields, entry.event, entry.occurred_at)
    return _recorded(fields, entry)


def retracted(history: Sequence[Recorded]) -> set[int]:
    """The versions of the entries taken back by a retraction that counts. A retraction counts
    unless it is itself retracted: retracting a retraction, a correction or a rollback undoes it.
    A retraction only ever names an earlier entry, so walking back from the newest settles each."""
    taken_back: set[int] = set()
    for entry in reversed(history):
        if isinstance(entry.event, EntryRetracted) and entry.version not in taken_back:
            taken_back.add(entry.event.entry_version)
    return taken_back


def effective_changes(history: Sequence[Recorded], taken_back: set[int] | None = None) -> dict[int, Event | None]:
    """For each change entry's version: the change it counts as now, by its latest correction that
    counts (None when retracted). ``taken_back``: ``retracted(history)``, when already known."""
    taken_back = retracted(history) if taken_back is None else taken_back
    changes: dict[int, Event | None] = {}
    for entry in history:
        event = entry.event
        if isinstance(event, EntryCorrected) and entry.version not in taken_back:
            changes[event.entry_version] = event.change
        elif is_change(event):
            changes[entry.version] = event
    for version in taken_back:
        if version in changes:
            changes[version] = None
    return changes


# Which change entries count after each version, as a shared list (version, rest): a change entry
# adds itself, a rollback to version N goes back to what counted after N, a rollback to a time
# keeps what had occurred by then, other meta entries keep what counted before them (they rewrite
# how an entry counts, not whether it is there), and so does a rollback that has been undone.
Counted = Optional[tuple[int, "Counted"]]


def _counted_after(history: Sequence[Recorded], taken_back: set[int]) -> list[Counted]:
    counted: list[Counted] = []
    now: Counted = None
    for entry in history:
        event = entry.event
        if entry.version in taken_back and not is_change(event):
            pass  # an undone rollback keeps what counted before it
        elif isinstance(event, TrackerRolledBack) and event.to_time is not None:
            now = _occurred_by(history, now, datetime.fromisoformat(event.to_time))
        elif isinstance(event, TrackerRolledBack):
            now = counted[event.to_version - 1]
        elif is_change(event):
            now = (entry.version, now)
        counted.append(now)
    return counted


def _versions(counted: Counted) -> Iterator[int]:
    while counted is not None:
        version, counted = counted
        yield version


def _occurred_by(history: Sequence[Recorded], counted: Counted, moment: datetime) -> Counted:
    """The counted entries that had occurred by ``moment``."""
    result: Counted = None
    for version in reversed([v for v in _versions(counted) if history[v - 1].occurred_at <= moment]):
        result = (version, result)
    return result


def _in_occurred_order(history: Sequence[Recorded], counted: Counted,
                       changes: dict[int, Event | None]) -> list[tuple[Recorded, Event]]:
    """The counted change entries, each with the change it counts as (``changes``), in the order
    they occurred (ties in the order they were recorded): what the fold folds."""
    entries = sorted((history[version - 1] for version in _versions(counted) if changes[version] is not None),
                     key=lambda entry: (entry.occurred_at, entry.version))
    return [(entry, changes[entry.version]) for entry in entries]


def counted_entries(history: Sequence[Recorded]) -> list[tuple[Recorded, Event]]:
    """The change entries of ``history`` that count now, each with the change it counts as, in the
    order they occurred (ties by version): what ``fold`` folds, for a walk of one's own (passes,
    the reasons behind a figure)."""
    taken_back = retracted(history)
    return _in_occurred_order(history, _counted_after(history, taken_back)[-1] if history else None,
                              effective_changes(history, taken_back))


def _fold_counted(history: Sequence[Recorded], counted: Counted, changes: dict[int, Event | None], *,
                  last: Recorded, until: datetime | None = None) -> TrackerState:
    """The state after ``last``: the counted change entries, as ``changes`` says each counts,
    folded in the order they occurred, up to ``until``."""
    if until is not None:
        counted = _occurred_by(history, counted, until)
    fields: Fields = dict(vars(NEW))
    for entry, change in _in_occurred_order(history, counted, changes):
        fields = evolve(fields, change, entry.occurred_at)
    fields["updated_at"] = max((entry.occurred_at for entry in history[: last.version]
                                if until is None or entry.occurred_at <= until), default=None)
    fields["version"] = last.version
    return TrackerState(**fields)


def replay(history: Sequence[Recorded]) -> list[TrackerState]:
    """The state right after each version, as everything in ``history`` now says it was: with
    every correction and retraction known now, and what counted at each version."""
    taken_back = retracted(history)
    changes, counted = effective_changes(history, taken_back), _counted_after(history, taken_back)
    return [_fold_counted(history, counted[i], changes, last=entry) for i, entry in enumerate(history)]


def fold(history: Sequence[Recorded]) -> TrackerState:
    """The current state of a tracker whose whole stream is ``history``: its counted entries in
    the order they occurred."""
    return fold_at(history, None)


def fold_at(history: Sequence[Recorded], moment: datetime | None) -> TrackerState:
    """The tracker as it was at ``moment`` by everything ``history`` knows: what occurred by then
    (everything, for None)."""
    if not history:
        return NEW
    taken_back = retracted(history)
    return _fold_counted(history, _counted_after(history, taken_back)[-1], effective_changes(history, taken_back),
                         last=history[-1], until=moment)


@dataclass(frozen=True)
class Pass:
    """One time through a title: the first since the tracker was (last) added, then one more for
    each time it was started again. ``completions``: how often the pass reached the end (it
    counts towards the tracker's ``times_completed``)."""

    number: int
    started_at: datetime | None = None  # when it was first in progress or completed
    completed_at: datetime | None = None  # the latest completion in it
    progress: int = 0  # where it stands now, or stood when the next pass began
    rating: float | None = None  # the rating given during it (none when none was)
    entries: int = 0  # the counted entries in it, from the one that began it
    completions: int = 0


def passes(history: Sequence[Recorded]) -> list[Pass]:
    """The passes of the tracker whose stream is ``history``, oldest first (none when it is not on
    the board): its counted entries since the last removal, folded in occurred order as ``fold``
    folds them, cut where each pass begins."""
    if not history:
        return []
    found: list[Pass] = []
    fields: Fields = dict(vars(NEW))
    for entry, change in counted_entries(history):
        active, number, completed = fields["active"], fields["pass_number"], fields["times_completed"]
        fields = evolve(fields, change, entry.occurred_at)
        if not fields["active"]:  # removed: what follows is a fresh tracker
            found = []
            continue
        if not active or fields["pass_number"] != number:  # a fresh tracker, or a new pass
            found.append(Pass(fields["pass_number"]))
        current = found[-1]
        started = fields["status"] in ("in_progress", "completed")
        completes = fields["times_completed"] > completed
        found[-1] = replace(
            current, progress=fields["progress"], entries=current.entries + 1,
            started_at=current.started_at or (entry.occurred_at if started else None),
            rating=fields["rating"] if isinstance(change, (RatingSet, RatingCleared)) else current.rating,
            completed_at=entry.occurred_at if completes else current.completed_at,
            completions=current.completions + int(completes))
    return found


def needs_refold(entry: Recorded, state: TrackerState) -> bool:
    """Whether ``entry``, following ``state``, needs the whole stream re-folded: a meta entry, or a
    change that occurred before something already folded (a backdated entry)."""
    return not is_change(entry.event) or (state.updated_at is not None and entry.occurred_at < state.updated_at)


def advance(state: TrackerState, entries: Sequence[Recorded],
            stream_so_far: Callable[[], Sequence[Recorded]]) -> list[TrackerState]:
    """The state right after each of ``entries``, which follow ``state``, as the timeline records it:
    folded on one by one, or re-folded from the whole stream (``stream_so_far`` gives what came
    before) after a meta entry or a backdated one."""
    states: list[TrackerState] = []
    history: Sequence[Recorded] | None = None
    for i, entry in enumerate(entries):
        previous = states[-1] if states else state
        if needs_refold(entry, previous):
            history = stream_so_far() if history is None else history
            states.append(fold([*history, *entries[: i + 1]]))
        else:
            states.append(apply(previous, entry))
    return states


def timeline(history: Sequence[Recorded]) -> list[TrackerState]:
    """The state as it was recorded right after each version (what the tracker showed then)."""
    states: list[TrackerState] = []
    for i, entry in enumerate(history):
        previous = states[-1] if states else NEW
        states.append(fold(history[: i + 1]) if needs_refold(entry, previous) else apply(previous, entry))
    return states


def state_at_version(history: Sequence[Recorded], version: int) -> TrackerState:
    """The state right after the ``version``-th event, as it was recorded then."""
    return fold([entry for entry in history if entry.version <= version])


def version_as_of(history: Sequence[Recorded], moment: datetime) -> int:
    """The last version recorded at or before ``moment`` (0 when there was none yet)."""
    return max((entry.version for entry in history
                if entry.recorded_at is not None and entry.recorded_at <= moment), default=0)


# -- the tracker at each moment: valid time, as known from one version on ----------------------
@dataclass(frozen=True)
class Moment:
    """The tracker at the moment the entry at ``entry_version`` occurred, by everything known from
    version ``known_from`` until ``known_until`` (None: still). Its state counts the entries that
    occurred by then (ties by version), and its ``version`` is the entry's."""

    entry_version: int
    occurred_at: datetime
    known_from: int
    known_until: int | None
    state: TrackerState


def moments_now(history: Sequence[Recorded]) -> dict[int, TrackerState]:
    """The tracker at the moment each entry occurred, by everything ``history`` knows: its counted
    change entries folded in occurred order (ties by version), one state per entry of any kind."""
    if not history:
        return {}
    taken_back = retracted(history)
    changes, counted = effective_changes(history, taken_back), set(_versions(_counted_after(history, taken_back)[-1]))
    fields: Fields = dict(vars(NEW))
    states: dict[int, TrackerState] = {}
    for entry in sorted(history, key=lambda entry: (entry.occurred_at, entry.version)):
        change = changes.get(entry.version) if entry.version in counted else None
        if change is not None:
            fields = evolve(fields, change, entry.occurred_at)
        states[entry.version] = TrackerState(**{**fields, "version": entry.version, "updated_at": entry.occurred_at})
    return states


def moments(history: Sequence[Recorded] | None, entries: Sequence[Recorded], states: Sequence[TrackerState],
            state: TrackerState) -> tuple[dict[int, int], list[Moment]]:
    """What ``entries`` (which took the tracker from ``state`` through ``states``, after
    ``history``) change in the moments kept as known: which moments of ``history`` stop being
    known at a version (entry version -> known_until), and the moments they add.

    An entry in occurred order adds its own moment and changes none before it; a meta entry or a
    backdated one re-folds, and every moment it changes is closed and known anew from it.
    ``history`` (None: not read) is needed only when some entry re-folds."""
    closed: dict[int, int] = {}
    added: list[Moment] = []
    opened: dict[int, int] = {}  # entry version -> index in added, for the moments opened here
    known: dict[int, TrackerState] | None = None
    prefix = None
    if any(needs_refold(e, s) for e, s in zip(entries, [state, *states])):
        if history is None:
            raise ValueError("a re-fold needs the stream's entries before the new ones")
        prefix = list(history)
    previous = state
    for entry, after in zip(entries, states):
        if prefix is not None:
            prefix.append(entry)
        if needs_refold(entry, previous):
            known = moments_now(prefix[:-1]) if known is None else known
            now = moments_now(prefix)
            for version, moment in now.items():
                if version in known and known[version] == moment:
                    continue
                if version in opened:
                    added[opened[version]] = replace(added[opened[version]], known_until=entry.version)
                elif version in known:
                    closed[version] = entry.version
                opened[version] = len(added)
                added.append(Moment(version, prefix[version - 1].occurred_at, entry.version, None, moment))
            known = now
        else:
            moment = replace(after, updated_at=entry.occurred_at)
            opened[entry.version] = len(added)
            added.append(Moment(entry.version, entry.occurred_at, entry.version, None, moment))
            if known is not None:
                known[entry.version] = moment
        previous = after
    return closed, added
