"""One plain sentence for each entry, in the words of what was tracked."""
from __future__ import annotations

from .events import (
    EntryCorrected, EntryRetracted, Event, NoteAdded, ProgressLogged, RatingCleared, RatingSet, StatusChanged,
    TrackerAdded, TrackerRemoved, TrackerRolledBack,
)
from .tracker import TrackerState

_DONE = {"tv_show": ("Watched", "episode"), "book": ("Read to", "page"), "album": ("Listened to", "track")}
_STATUS = {"planned": "Planned", "in_progress": "Started", "completed": "Finished", "paused": "Paused",
           "dropped": "Dropped"}


def _progress(kind: str, state: TrackerState) -> str:
    if kind == "song":
        return f"Played it ({state.progress} play{'s' if state.progress != 1 else ''} so far)"
    verb, unit = _DONE.get(kind, ("Reached", "unit"))
    of_total = f" of {state.total}" if state.total is not None else ""
    return f"{verb} {unit} {state.progress}{of_total}"


def _what(change: Event, state: TrackerState, kind: str) -> str:
    """A change on its own, as a correction states it."""
    unit = "play" if kind == "song" else _DONE.get(kind, ("", "unit"))[1]
    if isinstance(change, ProgressLogged) and change.delta is not None:
        return f"{change.delta:+d} {unit}{'s' if abs(change.delta) != 1 else ''}"
    if isinstance(change, ProgressLogged):
        return f"{unit} {change.progress}"
    text = summary(change, state, kind)
    return text[0].lower() + text[1:]


def _rating(value: float) -> str:
    return f"{value:g}"


def summary(event: Event, state: TrackerState, kind: str) -> str:
    """What an entry did, given the tracker's state right after it and the kind of title."""
    if isinstance(event, ProgressLogged):
        return _progress(kind, state)
    if isinstance(event, (TrackerAdded, StatusChanged)):
        return _STATUS[event.status]
    if isinstance(event, RatingSet):
        return f"Rated {_rating(event.rating)}"
    if isinstance(event, RatingCleared):
        return "Cleared the rating"
    if isinstance(event, NoteAdded):
        return f"Noted: {event.text}"
    if isinstance(event, TrackerRemoved):
        return "Removed from the board"
    if isinstance(event, EntryCorrected):
        return f"Corrected entry {event.entry_id} to: {_what(event.change, state, kind)}"
    if isinstance(event, EntryRetracted):
        return f"Retracted entry {event.entry_id}"
    if isinstance(event, TrackerRolledBack):
        return f"Restored to how it was at version {event.to_version}"
    return event.type.replace("_", " ").capitalize()
