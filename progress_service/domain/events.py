"""The events of a tracker's stream: small, frozen, and named in the domain's words.

A *change entry* is something a person did to a tracker (logged progress, rated it, ...).
A *meta entry* (correction, retraction, rollback) rewrites how earlier entries count, and is
itself appended as a new event: nothing is ever overwritten.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar



@dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def data(self) -> dict[str, Any]:
        return dict(vars(self))  # the fields (``type`` is the class's); EntryCorrected nests its change


@dataclass(frozen=True)
class TrackerAdded(Event):
    type: ClassVar[str] = "tracker_added"
    status: str = "planned"
    total: int | None = None


@dataclass(frozen=True)
class StatusChanged(Event):
    type: ClassVar[str] = "status_changed"
    status: str
    total: int | None = None


@dataclass(frozen=True)
class ProgressLogged(Event):
    """Progress on a tracker: to ``progress`` (episode 13), or by ``delta`` (+1).

    An entry made with a delta also records the progress it reached then. A re-fold after a
    correction applies the delta again, so "+1" stays "one more than before".
    """

    type: ClassVar[str] = "progress_logged"
    progress: int | Decimal | None = None  # a Decimal (up to 2 places) on a custom title only
    delta: int | Decimal | None = None
    total: int | None = None

    def data(self) -> dict[str, Any]:
        """A decimal amount as a JSON number (5.25); ``event_from`` reads it back as a Decimal."""
        return {key: float(value) if isinstance(value, Decimal) else value for key, value in vars(self).items()}


@dataclass(frozen=True)
class RatingSet(Event):
    type: ClassVar[str] = "rating_set"
    rating: float


@dataclass(frozen=True)
class RatingCleared(Event):
    type: ClassVar[str] = "rating_cleared"


@dataclass(frozen=True)
class NoteAdded(Event):
    type: ClassVar[str] = "note_added"
    text: str


@dataclass(frozen=True)
class PassStarted(Event):
    """The tracker starts again from the beginning (a rewatch, a reread, a relisten): progress 0,
    in progress. ``number`` is the pass it started when it was logged (2 for the first restart)."""

    type: ClassVar[str] = "pass_started"
    number: int
    total: int | None = None


@dataclass(frozen=True)
class TrackerRemoved(Event):
    type: ClassVar[str] = "tracker_removed"


@dataclass(frozen=True)
class EntryCorrected(Event):
    """From now on, the entry at ``entry_version`` counts as if it had carried ``change``."""

    type: ClassVar[str] = "entry_corrected"
    entry_id: int
    entry_version: int
    change: Event

    def data(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "entry_version": self.entry_version,
                "change": {"type": self.change.type, "data": self.change.data()}}


@dataclass(frozen=True)
class EntryRetracted(Event):
    """From now on, the entry at ``entry_version`` counts as if it had never happened."""

    type: ClassVar[str] = "entry_retracted"
    entry_id: int
    entry_version: int


@dataclass(frozen=True)
class TrackerRolledBack(Event):
    """The tracker is restored to its state right after ``to_version`` (as known now), or to its
    state at ``to_time`` (an ISO 8601 time: what had occurred by then, as known now)."""

    type: ClassVar[str] = "tracker_rolled_back"
    to_version: int | None = None
    to_time: str | None = None

    def data(self) -> dict[str, Any]:
        return {"to_version": self.to_version} if self.to_time is None else {"to_time": self.to_time}


CHANGE_TYPES: tuple[type[Event], ...] = (
    TrackerAdded, StatusChanged, ProgressLogged, RatingSet, RatingCleared, NoteAdded, TrackerRemoved, PassStarted,
)
META_TYPES: tuple[type[Event], ...] = (EntryCorrected, EntryRetracted, TrackerRolledBack)
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in CHANGE_TYPES + META_TYPES}


def is_change(event: Event) -> bool:
    return isinstance(event, CHANGE_TYPES)


def event_from(type_: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its stored ``type`` and ``data``."""
    cls = EVENT_TYPES[type_]
    if cls is EntryCorrected:
        change = data["change"]
        return EntryCorrected(entry_id=data["entry_id"], entry_version=data["entry_version"],
                              change=event_from(change["type"], change["data"]))
    if cls is ProgressLogged:
        return ProgressLogged(**{**data, **{key: amount(data[key]) for key in ("progress", "delta") if key in data}})
    return cls(**data)


def amount(value: int | float | Decimal | None) -> int | Decimal | None:
    """A number of units as the domain holds it: an int when whole, else a Decimal of up to 2 places
    (JSON brings a custom title's 5.25 back as a float, PostgreSQL's numeric column as 5.25 or 5.00)."""
    if value is None or isinstance(value, int):
        return value
    exact = Decimal(str(value))
    return int(exact) if exact == exact.to_integral_value() else exact.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Recorded:
    """An event as it stands in the log: its place in the stream and its times."""

    version: int
    event: Event
    occurred_at: datetime
    id: int | None = None
    recorded_at: datetime | None = None
