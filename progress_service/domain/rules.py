"""Decide: what events a command becomes, or which rule it breaks. Pure; raises domain errors."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable, NoReturn, Sequence, Union

from ..errors import AlreadyRetracted, EntryNotFound, InvalidChange, InvalidProgress, InvalidRating, \
    InvalidStatus, TrackerNotFound
from .events import (
    EntryCorrected, EntryRetracted, Event, NoteAdded, PassStarted, ProgressLogged, RatingCleared, RatingSet,
    Recorded, StatusChanged, TrackerAdded, TrackerRemoved, TrackerRolledBack, is_change,
)
from .tracker import TrackerState, apply, fold_at, retracted
from .vocabulary import STATUSES

FUTURE_TOLERANCE = timedelta(minutes=5)
NOTE_MAX_LENGTH = 2000


# What a person asks to change; exactly one per entry.
@dataclass(frozen=True)
class SetStatus:
    status: str


@dataclass(frozen=True)
class SetProgress:
    progress: int | Decimal


@dataclass(frozen=True)
class AddProgress:
    delta: int | Decimal


@dataclass(frozen=True)
class Rate:
    rating: float | None  # None clears the rating


@dataclass(frozen=True)
class AddNote:
    text: str


@dataclass(frozen=True)
class Restart:
    """Start the tracker again from the beginning: a new pass (rewatch, reread, relisten)."""


ChangeRequest = Union[SetStatus, SetProgress, AddProgress, Rate, AddNote, Restart]


# Commands on one tracker.
@dataclass(frozen=True)
class LogChanges:
    changes: tuple[ChangeRequest, ...]
    occurred_at: datetime


@dataclass(frozen=True)
class RemoveTracker:
    occurred_at: datetime


@dataclass(frozen=True)
class CorrectEntry:
    entry_version: int
    change: ChangeRequest
    occurred_at: datetime


@dataclass(frozen=True)
class RetractEntry:
    entry_version: int
    occurred_at: datetime


@dataclass(frozen=True)
class RollBack:
    """Back to the state after version ``to_version`` as known now, or to the state at ``to_time``."""

    to_version: int | None
    occurred_at: datetime
    to_time: datetime | None = None


@dataclass(frozen=True)
class Undo:
    """Take back the entries at ``entry_versions`` (say, all recorded on one evening) as if none had
    been made: each that still counts is retracted, newest first, so that a retraction among them
    is undone before the entry it retracted is weighed."""

    entry_versions: tuple[int, ...]
    occurred_at: datetime


Command = Union[LogChanges, RemoveTracker, CorrectEntry, RetractEntry, RollBack, Undo]


def needs_history(command: Command, state: TrackerState | None = None) -> bool:
    """Whether deciding ``command`` needs the tracker's entries, not only its ``state`` (when the
    state is not known yet: whether it needs them whatever the state)."""
    if isinstance(command, LogChanges):
        return state is not None and _backdated(command, state)
    return isinstance(command, (CorrectEntry, RetractEntry, Undo)) or (
        isinstance(command, RollBack) and command.to_time is not None)


def _backdated(command: LogChanges, state: TrackerState) -> bool:
    """Entries that occurred before something the tracker already holds: they take their place
    among its entries, decided on the tracker as it was then."""
    return state.updated_at is not None and command.occurred_at < state.updated_at


def decide(state: TrackerState, command: Command, *, history: Sequence[Recorded] = (), total: int | None,
           now: datetime, release_date: date | None = None, decimals: bool = False) -> list[Event]:
    """The events that carry out ``command`` on a tracker in ``state`` whose title has ``total``
    units and comes out on ``release_date`` (None: it is out), counted in decimal amounts when
    ``decimals`` (a custom title) and in whole units otherwise; ``history``, the tracker's entries,
    when ``needs_history(command, state)``."""
    check_occurred_at(command.occurred_at, now)
    if isinstance(command, (LogChanges, CorrectEntry)):
        for request in command.changes if isinstance(command, LogChanges) else (command.change,):
            _check_released(request, release_date, now)
            if not decimals:
                _check_whole(request)
    if isinstance(command, LogChanges):
        on_board = state.active
        if _backdated(command, state):  # "+1" and the checks are on the tracker as it was then
            state = replace(fold_at(history, command.occurred_at), version=state.version)
        events: list[Event] = []
        for request in command.changes:
            if isinstance(request, Restart) and not state.active:
                _no_tracker_to_restart(command, on_board)
            event = _change_event(request, state, total)
            events.append(event)
            state = apply(state, Recorded(state.version + 1, event, command.occurred_at))
        return events
    if isinstance(command, RemoveTracker):
        _require_active(state)
        return [TrackerRemoved()]
    if isinstance(command, RollBack):
        if state.version == 0:
            raise TrackerNotFound("There is no tracker for this title to roll back.")
        if command.to_time is not None:  # to the tracker as ?at=to_time shows it
            if not fold_at(history, command.to_time).active:
                raise InvalidChange(f"The tracker had no entries yet at {command.to_time.isoformat()}.",
                                    field="to_time")
            return [TrackerRolledBack(to_time=command.to_time.isoformat())]
        if command.to_version is None:
            raise InvalidChange("Say which version (to_version) or time (to_time) to roll back to.")
        if not 1 <= command.to_version <= state.version:
            raise InvalidChange(
                f"This tracker has versions 1 to {state.version}; it cannot be rolled back to version "
                f"{command.to_version}.", field="to_version")
        return [TrackerRolledBack(to_version=command.to_version)]
    if isinstance(command, Undo):
        return _undo(history, command)
    entry = _target_entry(history, command.entry_version)
    if isinstance(command, CorrectEntry):
        _require_correctable(entry)
        if isinstance(entry.event, EntryCorrected):  # correcting a correction corrects its entry again
            entry = _target_entry(history, entry.event.entry_version)
        if isinstance(entry.event, PassStarted):
            raise InvalidChange("A new pass cannot be corrected; retract it.")
        _require_counting(history, entry)
        change = _validated_change(command.change, total)
        return [EntryCorrected(entry_id=entry.id or 0, entry_version=entry.version, change=change)]
    _require_counting(history, entry)  # retracting a retraction, correction or rollback undoes it
    return [EntryRetracted(entry_id=entry.id or 0, entry_version=entry.version)]


def _undo(history: Sequence[Recorded], command: Undo) -> list[Event]:
    stream = list(history)
    events: list[Event] = []
    for version in sorted(set(command.entry_versions), reverse=True):
        if version in retracted(stream):  # taken back already (or by a retraction this undo undid)
            continue
        entry = _target_entry(stream, version)
        event = EntryRetracted(entry_id=entry.id or 0, entry_version=version)
        events.append(event)
        stream.append(Recorded(len(stream) + 1, event, command.occurred_at))
    return events


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    if occurred_at.tzinfo is None:
        raise InvalidChange("occurred_at needs a time zone offset, such as +00:00.", field="occurred_at")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidChange("occurred_at may not be more than 5 minutes in the future.", field="occurred_at")


def is_progress(request: ChangeRequest) -> bool:
    """Whether a change says the title is being (or has been) watched, read or listened to."""
    return isinstance(request, (SetProgress, AddProgress, Restart)) or (
        isinstance(request, SetStatus) and request.status in ("in_progress", "completed"))


def _check_released(request: ChangeRequest, release_date: date | None, now: datetime) -> None:
    """Progress waits for a title's release (by today's date in UTC); planning it does not."""
    if release_date is not None and release_date > now.astimezone(timezone.utc).date() and is_progress(request):
        raise InvalidChange(f"This title comes out on {release_date.day} {release_date:%b %Y}; until then you can "
                            "plan it (status planned), not log progress on it.", field=_field_of(request))


def _field_of(request: ChangeRequest) -> str:
    return {SetProgress: "progress", AddProgress: "delta", Restart: "restart", SetStatus: "status"}[type(request)]


def _no_tracker_to_restart(command: LogChanges, on_board: bool) -> NoReturn:
    if on_board:  # but not yet, or no longer, when the restart is said to have happened
        raise InvalidChange(f"There was no tracker for this title at {command.occurred_at.isoformat()} to start "
                            "again; a new pass starts on a tracker that exists by then.", field="occurred_at")
    raise TrackerNotFound("There is no tracker for this title to start again; add it to your trackers first.")


def _require_active(state: TrackerState) -> None:
    if not state.active:
        raise TrackerNotFound("There is no tracker for this title; log something on it first.")


def _change_event(request: ChangeRequest, state: TrackerState, total: int | None) -> Event:
    if isinstance(request, Restart):  # on an active tracker (decide checked): the pass after its current one
        return PassStarted(number=state.pass_number + 1, total=total)
    event = _validated_change(request, total)
    if isinstance(request, AddProgress):
        reached = (state.progress if state.active else 0) + request.delta
        _check_progress(reached, total, field="delta")
        return ProgressLogged(progress=reached, delta=request.delta, total=total)
    if isinstance(event, StatusChanged) and not state.active:
        return TrackerAdded(status=event.status, total=total)
    return event


def _validated_change(request: ChangeRequest, total: int | None) -> Event:
    """The change entry for ``request`` on its own, with every rule that does not need the state."""
    if isinstance(request, SetStatus):
        if request.status not in STATUSES:
            raise InvalidStatus(f"status must be one of {', '.join(STATUSES)}; got {request.status!r}.",
                                field="status")
        return StatusChanged(status=request.status, total=total)
    if isinstance(request, SetProgress):
        _check_progress(request.progress, total, field="progress")
        return ProgressLogged(progress=request.progress, total=total)
    if isinstance(request, AddProgress):
        _check_amount(request.delta, field="delta")
        return ProgressLogged(delta=request.delta, total=total)
    if isinstance(request, Rate):
        if request.rating is None:
            return RatingCleared()
        rating = request.rating
        if isinstance(rating, bool) or not isinstance(rating, (int, float)) or not 0.5 <= rating <= 5 \
                or (rating * 2) != int(rating * 2):
            raise InvalidRating(f"rating must be 0.5 to 5 in steps of 0.5; got {rating!r}.", field="rating")
        return RatingSet(rating=float(rating))
    if isinstance(request, AddNote):
        text = request.text.strip() if isinstance(request.text, str) else ""
        if not text or len(text) > NOTE_MAX_LENGTH:
            raise InvalidChange(f"A note needs 1 to {NOTE_MAX_LENGTH} characters of text.", field="note")
        return NoteAdded(text=text)
    if isinstance(request, Restart):  # a correction: what a pass would start is not the entry's to say
        raise InvalidChange("An entry cannot be corrected into a new pass; retract it and start again "
                            "(restart: true) instead.", field="restart")
    raise InvalidChange("Say exactly one change: status, progress, delta, rating, note or restart.")


def _check_whole(request: ChangeRequest) -> None:
    """A title of the catalog's kinds counts whole units."""
    for field, value in (("progress", getattr(request, "progress", 0)), ("delta", getattr(request, "delta", 0))):
        if not isinstance(value, int):
            raise InvalidProgress(f"{field} must be a whole number of units.", field=field)


def _check_amount(value: int | Decimal, *, field: str) -> None:
    """A number of units: whole, or (on a custom title) with up to 2 decimal places."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or (
            isinstance(value, Decimal) and value != value.quantize(Decimal("0.01"))):
        raise InvalidProgress(f"{field} is a number of units with at most 2 decimal places.", field=field)


def _check_progress(progress: int | Decimal, total: int | None, *, field: str) -> None:
    _check_amount(progress, field=field)
    if progress < 0:
        raise InvalidProgress(f"Progress cannot go below 0; this change would make it {progress}.", field=field)
    if total is not None and progress > total:
        raise InvalidProgress(f"Progress cannot pass the title's {total} units; this change would make it "
                              f"{progress}.", field=field)


def _target_entry(history: Sequence[Recorded], version: int) -> Recorded:
    if 1 <= version <= len(history) and history[version - 1].version == version:
        return history[version - 1]
    raise EntryNotFound(f"This tracker has no entry at version {version}.")


def _require_correctable(entry: Recorded) -> None:
    if not (is_change(entry.event) or isinstance(entry.event, EntryCorrected)):
        kind = "a retraction" if isinstance(entry.event, EntryRetracted) else "a rollback"
        raise InvalidChange(f"Entry {entry.id} is {kind}; only entries that changed the tracker can be corrected "
                            "(retract it to undo it).")


def _require_counting(history: Sequence[Recorded], entry: Recorded) -> None:
    if entry.version in retracted(history):
        undone = "retracted" if is_change(entry.event) else "undone"
        raise AlreadyRetracted(f"Entry {entry.id} has already been {undone}.")


IMPORTED_AMOUNT_LIMIT = 2**31 - 1  # as the log's API takes an amount (schemas.amount)


def command_for(event: Event, occurred_at: datetime, *, version_of: Callable[[int], int | None]) -> Command:
    """The command that makes an entry like ``event`` (one of another log: an import's) on a
    tracker here, at ``occurred_at``; ``version_of`` says which version here an entry the event
    names (by its version there) became, None when none did (an InvalidChange then)."""
    def here(version: int) -> int:
        found = version_of(version)
        if found is None:
            raise InvalidChange("The entry this row changes was not imported, so neither is this row.")
        return found

    if isinstance(event, EntryCorrected):
        return CorrectEntry(here(event.entry_version), _request_for(event.change), occurred_at)
    if isinstance(event, EntryRetracted):
        return RetractEntry(here(event.entry_version), occurred_at)
    if isinstance(event, TrackerRolledBack):
        if event.to_time is not None:
            return RollBack(None, occurred_at, datetime.fromisoformat(event.to_time))
        return RollBack(here(event.to_version), occurred_at)
    if isinstance(event, TrackerRemoved):
        return RemoveTracker(occurred_at)
    return LogChanges((_request_for(event),), occurred_at)



def _request_for(change: Event) -> ChangeRequest:
    """The change a person asks for that makes the change entry ``change``."""
    if isinstance(change, (TrackerAdded, StatusChanged)):
        return SetStatus(change.status)
    if isinstance(change, ProgressLogged):
        amount = change.delta if change.delta is not None else change.progress or 0
        if abs(amount) > IMPORTED_AMOUNT_LIMIT:
            raise InvalidProgress(f"{amount} units is more than an entry can hold (at most {IMPORTED_AMOUNT_LIMIT}).")
        return AddProgress(amount) if change.delta is not None else SetProgress(amount)
    if isinstance(change, RatingSet):
        return Rate(change.rating)
    if isinstance(change, RatingCleared):
        return Rate(None)
    if isinstance(change, NoteAdded):
        return AddNote(change.text)
    if isinstance(change, PassStarted):
        return Restart()
    raise InvalidChange(f"An entry of type {change.type} cannot be imported as a change.")
