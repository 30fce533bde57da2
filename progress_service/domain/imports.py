"""Imports: the files people bring from elsewhere, read into the entries of their trackers.

Pure: a file's bytes in, the entries to append (and the rows skipped, with reasons) out. Matching
titles to the catalog, storing the entries and running the job are the service's. The entries are
the events ``decide`` would make for the same changes, so that folded in order they give the
tracker the file describes; each carries the total the file knows (None when it knows none), and
``with_total`` puts the title's own total on them once the service knows the title.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import string
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from ..errors import ImportRejected
from .events import (
    EVENT_TYPES, EntryCorrected, Event, NoteAdded, PassStarted, ProgressLogged, RatingSet, StatusChanged, TrackerAdded, event_from,
)
from .rules import FUTURE_TOLERANCE, NOTE_MAX_LENGTH
from .vocabulary import CUSTOM, OWN_KINDS

FORMATS = ("goodreads", "trakt", "spotify", "progress-service")
FORMAT_NAMES = {"goodreads": "a Goodreads library export (CSV)", "trakt": "a Trakt history (JSON)",
                "spotify": "a Spotify streaming history (JSON)",
                "progress-service": "a progress-service export (JSON)"}


@dataclass(frozen=True)
class TitleRef:
    """The title a row names, as the file names it."""

    kind: str                # a catalog kind of domain/vocabulary.py (book, tv_show, song, …) or custom
    name: str
    creator: str | None
    year: int | None         # None when the file does not say (a Spotify play)
    total: int | None        # units when the file knows them (pages), for a new own title
    unit: str | None = None  # a custom title's own unit (progress-service format)
    own: bool = False        # the user's own title in the file (progress-service format)

    def key(self) -> tuple[str, str, int | None]:
        return normalized(self.name), normalized(self.creator or ""), self.year


@dataclass(frozen=True)
class ImportedEntry:
    row: int                 # 1-based row of the file (CSV data row, JSON list item)
    fingerprint: str         # the same row of a newer export gives the same fingerprint
    title: TitleRef
    event: Event             # an event of domain/events.py
    occurred_at: datetime    # aware, UTC
    source_id: int | None = None       # progress-service format: the entry's log id in the file
    source_version: int | None = None  # progress-service format: its version in the file's stream


@dataclass(frozen=True)
class Skipped:
    row: int
    reason: str              # a sentence a person understands ("no title in this row")


@dataclass(frozen=True)
class Parsed:
    format: str
    rows: int
    # Per title (in the order the file first names them), in the order to append: the order they
    # occurred, ties in the file's order; for the progress-service format, the stream's own order
    # (its versions), which its corrections, retractions and rollbacks refer to.
    entries: tuple[ImportedEntry, ...]
    skipped: tuple[Skipped, ...]


def parse(format: str, body: bytes, *, now: datetime) -> Parsed:
    """The entries a file of ``format`` holds; ImportRejected for a problem with the whole file."""
    if format not in FORMATS:
        raise ImportRejected(f"There is no import format {format!r}: format is one of {', '.join(FORMATS)}.")
    text = _text(body, format)
    rows, found, skipped = _READERS[format](text)
    entries = _entries(format, found, now=now, in_stream_order=format == "progress-service")
    return Parsed(format, rows, entries, tuple(skipped))


def normalized(text: str) -> str:
    """``text`` with case, accents and punctuation aside, so "Amélie!" and "amelie" name one title."""
    if not text.isascii():  # plain ASCII has no accents to take off
        text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return " ".join(text.casefold().translate(_PUNCTUATION).split())


# title_key in sql/schema.sql (the matching index of imports) is a copy of normalized: change both together.
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation + "‘’“”–—…·"})


def with_total(event: Event, total: int | None) -> Event:
    """``event`` with the title's total where the event carries one (as ``decide`` puts it there);
    progress past it is the title's end (a show the file counts more episodes of than the catalog)."""
    if isinstance(event, ProgressLogged):
        progress = event.progress if total is None or event.progress is None else min(event.progress, total)
        return replace(event, total=total, progress=progress)
    if isinstance(event, (TrackerAdded, StatusChanged, PassStarted)):
        return replace(event, total=total)
    if isinstance(event, EntryCorrected):  # what it corrects to counts in the same title's units
        return replace(event, change=with_total(event.change, total))
    return event


# -- what every format shares -----------------------------------------------------------------------

class _Unreadable(Exception):
    """One row that cannot be read: it is skipped with this sentence as the reason."""


@dataclass(frozen=True)
class _Found:
    """An entry a row makes, before it has its fingerprint."""

    row: int
    title: TitleRef
    event: Event
    occurred_at: datetime
    source_id: int | None = None
    source_version: int | None = None


Reader = Callable[[str], tuple[int, list[_Found], list[Skipped]]]


def _text(body: bytes, format: str) -> str:
    if not body.strip():
        raise ImportRejected(f"The file is empty; send {FORMAT_NAMES[format]}.")
    try:
        return body.decode("utf-8-sig")  # the byte order mark some programs write is not part of the file
    except UnicodeDecodeError as error:
        raise ImportRejected(f"The file is not UTF-8 text (at byte {error.start + 1}); send "
                             f"{FORMAT_NAMES[format]} as its service wrote it.") from None


def _entries(format: str, found: list[_Found], *, now: datetime, in_stream_order: bool) -> tuple[ImportedEntry, ...]:
    to_come = [item for item in found if item.occurred_at > now + FUTURE_TOLERANCE]
    if to_come:
        first = min(to_come, key=lambda item: item.row)
        raise ImportRejected(f"Row {first.row} says it happened on {first.occurred_at:%d %b %Y at %H:%M} UTC, "
                             "which is still to come; an import holds only what has happened.")
    keys: dict[TitleRef, tuple[Any, ...]] = {}
    by_title: dict[tuple[Any, ...], list[_Found]] = defaultdict(list)
    for item in found:  # a dict keeps the order titles first appear in
        if item.title not in keys:
            keys[item.title] = (*item.title.key(), item.title.kind, item.title.own, item.title.unit)
        by_title[keys[item.title]].append(item)
    entries: list[ImportedEntry] = []
    for key, items in by_title.items():  # sorted is stable: ties keep the file's order
        items = sorted(items, key=(lambda item: item.source_version or 0) if in_stream_order
                       else (lambda item: item.occurred_at))
        seen: dict[str, int] = defaultdict(int)
        for item in items:
            said = _said(format, key, item)
            seen[said] += 1  # the same entry twice at one time (a song played twice in a minute) is two
            entries.append(ImportedEntry(item.row, _digest(said, seen[said]), item.title, item.event,
                                         item.occurred_at, item.source_id, item.source_version))
    return tuple(entries)


def _said(format: str, title: tuple[Any, ...], item: _Found) -> str:
    """What an entry says, as its fingerprint weighs it: the format, the title (its key and kind),
    the change and its time. Progress by a delta is the delta (a play), not the count it reached:
    Spotify's history covers a year, so a newer export would count the same play differently."""
    data = item.event.data()
    if isinstance(item.event, ProgressLogged) and item.event.delta is not None:
        data = {key: value for key, value in data.items() if key != "progress"}
    return json.dumps([format, list(title[:4]), item.event.type, data, item.occurred_at.isoformat()],
                      sort_keys=True, default=str)


def _digest(said: str, occurrence: int) -> str:
    return hashlib.sha256(f"{said}#{occurrence}".encode()).hexdigest()


def _json_list(text: str, format: str) -> list[Any]:
    """The list a JSON format holds, rejected when the file is not that."""
    if text.lstrip()[:1] not in ("[", "{"):
        raise ImportRejected(f"The file is not JSON; {format} is {FORMAT_NAMES[format]}.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(f"The file is not valid JSON (line {error.lineno}, column {error.colno}: "
                             f"{error.msg}); {format} is {FORMAT_NAMES[format]}.") from None
    if not isinstance(document, list):
        raise ImportRejected(f"The file's JSON is {_json_kind(document)}, not a list; {format} is "
                             f"{FORMAT_NAMES[format]}: a list of entries.")
    if not document:
        raise ImportRejected("The file's list is empty: there is nothing to import.")
    return document


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")


def _json_format(items: list[Any], format: str, keys: tuple[str, ...]) -> None:
    """Reject a JSON list none of whose items has the format's ``keys``, naming the format it is."""
    if any(isinstance(item, dict) and all(key in item for key in keys) for item in items):
        return
    for other, other_keys in _JSON_KEYS.items():
        if other != format and any(isinstance(item, dict) and all(key in item for key in other_keys)
                                   for item in items):
            raise ImportRejected(f"This file is {FORMAT_NAMES[other]}, not {FORMAT_NAMES[format]}; import it "
                                 f"as format {other}.")
    raise ImportRejected(f"This file is not {FORMAT_NAMES[format]}: no item of its list has "
                         f"{', '.join(keys)}.")


def _each(items: Iterable[Any], read: Callable[[Any], Any]) -> tuple[list[tuple[int, Any]], list[Skipped]]:
    """Each row read on its own, with its 1-based number: one that cannot be read is skipped with its reason."""
    read_rows: list[tuple[int, Any]] = []
    skipped: list[Skipped] = []
    for row, item in enumerate(items, start=1):
        try:
            read_rows.append((row, read(item)))
        except _Unreadable as unreadable:
            skipped.append(Skipped(row, str(unreadable)))
    return read_rows, skipped


def _value(item: Any, path: str, kind: type, what: str, *, required: bool = True) -> Any:
    """The value at ``path`` ("show.title") of a JSON item, of ``kind``; text comes stripped."""
    value = item
    for key in path.split("."):
        if not isinstance(value, dict):
            raise _Unreadable("This item is not an object." if value is item else f"No {what} in this item ({path}).")
        value = value.get(key)
    if value is None or (kind is str and isinstance(value, str) and not value.strip()):
        if required:
            raise _Unreadable(f"No {what} in this item ({path}).")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        wanted = {str: "text", int: "a whole number", dict: "an object", bool: "true or false"}[kind]
        raise _Unreadable(f"The {what} in this item ({path}) is {json.dumps(value)[:40]}, not {wanted}.")
    return value.strip() if kind is str else value


def _moment(text: str, what: str, pattern: str, example: str) -> datetime:
    """A time of the file, in UTC (every format here writes UTC)."""
    try:
        moment = datetime.strptime(text, pattern) if pattern else datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise _Unreadable(f"The {what} {text!r} is not a time like {example}.") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


# -- goodreads: the library export ("My Books" → Import and export), a CSV -------------------------

GOODREADS_COLUMNS = (
    "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13", "My Rating",
    "Average Rating", "Publisher", "Binding", "Number of Pages", "Year Published", "Original Publication Year",
    "Date Read", "Date Added", "Bookshelves", "Bookshelves with positions", "Exclusive Shelf", "My Review",
    "Spoiler", "Private Notes", "Read Count", "Owned Copies",
)
# The columns read here; a file without one of them cannot be imported.
_GOODREADS_READ = ("Title", "Author", "My Rating", "Number of Pages", "Year Published", "Original Publication Year",
                   "Date Read", "Date Added", "Exclusive Shelf", "My Review", "Private Notes", "Read Count")
_SHELVES = ("to-read", "currently-reading", "read")
_SERIES = re.compile(r"\s*\([^()]*#\s*\d[\d.\-–]*\)\s*$")  # "Dune (Dune Chronicles, #1)": the series, not the name
_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # how Goodreads writes a review's line breaks


def _goodreads(text: str) -> tuple[int, list[_Found], list[Skipped]]:
    if text.lstrip()[:1] in ("[", "{"):
        raise ImportRejected(f"This file is JSON, not {FORMAT_NAMES['goodreads']}.")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportRejected(f"The file cannot be read as CSV ({error}); goodreads is "
                             f"{FORMAT_NAMES['goodreads']}.") from None
    header = [name.strip() for name in records[0]]
    missing = [name for name in _GOODREADS_READ if name not in header]
    if len(missing) == len(_GOODREADS_READ):
        raise ImportRejected(f"This is not {FORMAT_NAMES['goodreads']}: its first row should name the columns "
                             f"{', '.join(GOODREADS_COLUMNS)}.")
    if missing:
        raise ImportRejected(f"This Goodreads export has no column {', '.join(missing)}; export the library "
                             "from Goodreads again and import that file.")
    rows = [record for record in records[1:] if any(cell.strip() for cell in record)]
    if not rows:
        raise ImportRejected("The file has the Goodreads header row but no books under it: there is nothing to "
                             "import.")
    read, skipped = _each(rows, lambda record: _goodreads_row(header, record))
    return len(rows), [_Found(row, title, event, at) for row, (title, made) in read for event, at in made], skipped


def _goodreads_row(header: list[str], record: list[str]) -> tuple[TitleRef, list[tuple[Event, datetime]]]:
    """The book a row names and the entries it makes: added (planned), started or read (each read
    a pass: a completion, and a new pass before each after the first), its rating and notes."""
    if len(record) != len(header):
        raise _Unreadable(f"This row has {len(record)} fields where the header has {len(header)}; it may have been "
                          "cut short or edited by hand.")
    cells = {name: cell.strip() for name, cell in zip(header, record)}
    name = _SERIES.sub("", cells["Title"]) or cells["Title"]
    if not name:
        raise _Unreadable("No title in this row.")
    shelf = cells["Exclusive Shelf"]
    if not shelf:
        raise _Unreadable("This row names no shelf (Exclusive Shelf).")
    if shelf not in _SHELVES:
        raise _Unreadable(f"The shelf {shelf!r} is none of {', '.join(_SHELVES)}, so whether the book is planned, "
                          "being read or read is not known.")
    added = _goodreads_date(cells, "Date Added")
    read_on = _goodreads_date(cells, "Date Read")
    if added is None and (shelf != "read" or read_on is None):
        raise _Unreadable("This row has no date (Date Added) to put its entries at.")
    rating = _goodreads_number(cells, "My Rating", high=5)
    times_read = _goodreads_number(cells, "Read Count", high=1000)
    pages = _goodreads_number(cells, "Number of Pages") or None
    year = _year(cells["Original Publication Year"]) or _year(cells["Year Published"])
    title = TitleRef("book", name, cells["Author"] or None, year, pages)

    made: list[tuple[Event, datetime]] = []
    if shelf == "read":
        finished = read_on or added
        if added is not None and added <= finished:  # a book read before it was shelved was never planned
            made.append((TrackerAdded(status="planned", total=pages), added))
        for number in range(1, max(times_read or 1, 1) + 1):
            if number > 1:  # Goodreads keeps the last read's date alone: each read before it is on that day too
                made.append((PassStarted(number=number, total=pages), finished))
            status = StatusChanged(status="completed", total=pages)
            made.append((status if made else TrackerAdded(status="completed", total=pages), finished))
        at = finished
    else:
        made.append((TrackerAdded(status="planned", total=pages), added))
        if shelf == "currently-reading":
            made.append((StatusChanged(status="in_progress", total=pages), added))
        at = added
    if rating:  # 0 is Goodreads' "not rated"
        made.append((RatingSet(rating=float(rating)), at))
    for column in ("My Review", "Private Notes"):
        made.extend((NoteAdded(text=part), at) for part in _note_parts(cells[column]))
    return title, made


def _goodreads_date(cells: dict[str, str], column: str) -> datetime | None:
    if not cells[column]:
        return None
    written = _DATE.fullmatch(cells[column])
    try:
        if written:  # a day without a time: its start, in UTC
            return datetime(*map(int, written.groups()), tzinfo=timezone.utc)
    except ValueError:
        pass
    raise _Unreadable(f"The {column} {cells[column]!r} is not a date like 2019/05/01.")


def _goodreads_number(cells: dict[str, str], column: str, *, high: int | None = None) -> int | None:
    if not cells[column]:
        return None
    if not cells[column].isdigit() or (high is not None and int(cells[column]) > high):
        wanted = "a whole number" if high is None else f"0 to {high}"
        raise _Unreadable(f"The {column} {cells[column]!r} is not {wanted}.")
    return int(cells[column])


def _year(text: str) -> int | None:
    """A year the file gives; one it gives unreadably is as good as none (it only helps matching)."""
    return int(text) if re.fullmatch(r"-?\d{1,4}", text) and int(text) != 0 else None


def _note_parts(text: str) -> Iterator[str]:
    """A review's text as notes of at most NOTE_MAX_LENGTH characters, cut at a space where one is near."""
    text = _LINE_BREAK.sub("\n", text.replace("\r\n", "\n")).strip()
    while text:
        if len(text) <= NOTE_MAX_LENGTH:
            yield text
            return
        cut = text.rfind(" ", NOTE_MAX_LENGTH // 2, NOTE_MAX_LENGTH + 1)
        cut = cut if cut > 0 else NOTE_MAX_LENGTH
        yield text[:cut].strip()
        text = text[cut:].strip()


# -- trakt: the history of plays (/sync/history, or a backup of it), a JSON list --------------------

def _trakt(text: str) -> tuple[int, list[_Found], list[Skipped]]:
    items = _json_list(text, "trakt")
    _json_format(items, "trakt", _JSON_KEYS["trakt"])
    read, skipped = _each(items, _trakt_play)
    plays: dict[TitleRef, list[tuple[int, datetime, int, int]]] = defaultdict(list)
    first_row: dict[tuple[TitleRef, datetime, int, int], int] = {}
    for row, play in read:
        if play in first_row:  # Trakt keeps a play synced twice (a scrobble and a check-in) as two
            skipped.append(Skipped(row, f"The same play as row {first_row[play]}: this episode at this time."))
            continue
        first_row[play] = row
        title, at, season, number = play
        plays[title].append((row, at, season, number))
    skipped.sort(key=lambda skip: skip.row)
    found: list[_Found] = []
    for title, show_plays in plays.items():
        found.extend(_Found(row, title, event, at) for row, event, at in _show_entries(show_plays))
    return len(items), found, skipped


def _trakt_play(item: Any) -> tuple[TitleRef, datetime, int, int]:
    kind = _value(item, "type", str, "type")
    if kind != "episode":
        raise _Unreadable(f"A {kind} play: a Trakt import brings episodes of shows, so this one is left out.")
    at = _moment(_value(item, "watched_at", str, "time it was watched"), "watched_at", "", "2024-01-05T20:15:00.000Z")
    season = _value(item, "episode.season", int, "season number")
    number = _value(item, "episode.number", int, "episode number")
    if season == 0:
        raise _Unreadable("A special (season 0): specials are not among a show's counted episodes, so this play "
                          "is left out.")
    if season < 0 or number < 1:
        raise _Unreadable(f"Season {season}, episode {number} is not an episode of a show.")
    title = TitleRef("tv_show", _value(item, "show.title", str, "show title"), None,
                     _value(item, "show.year", int, "show year", required=False), None)
    return title, at, season, number


def _show_entries(plays: list[tuple[int, datetime, int, int]]) -> Iterator[tuple[int, Event, datetime]]:
    """One show's plays as progress: at each play, the furthest episode of this pass watched; a play of
    an episode this pass has seen starts a new pass (a rewatch).

    A show's episodes are counted across its seasons in order without the catalog: an episode is
    its number plus, for each earlier season, the highest episode of it that the file has a play
    of (a season watched to its end gives its length; a newer export keeps it, so the count keeps
    its fingerprint). Completion is left to the fold: once the service puts the title's total on
    the entries (``with_total``), progress reaching it completes the show, as logged progress does."""
    highest: dict[int, int] = defaultdict(int)
    for _, _, season, number in plays:
        highest[season] = max(highest[season], number)
    seasons = sorted(highest)
    before = {season: sum(highest[earlier] for earlier in seasons[:i]) for i, season in enumerate(seasons)}
    seen: set[int] = set()
    furthest, number_of_pass = 0, 1
    for row, at, season, number in sorted(plays, key=lambda play: play[1]):
        episode = before[season] + number
        if episode in seen:
            number_of_pass += 1
            seen, furthest = set(), 0
            yield row, PassStarted(number=number_of_pass), at
        seen.add(episode)
        furthest = max(furthest, episode)
        yield row, ProgressLogged(progress=furthest), at


# -- spotify: the streaming history (Account privacy → "Account data"), a JSON list ----------------

PLAY_MS = 30_000  # a play counts from 30 seconds, as the streaming services count one


def _spotify(text: str) -> tuple[int, list[_Found], list[Skipped]]:
    items = _json_list(text, "spotify")
    _json_format(items, "spotify", _JSON_KEYS["spotify"])
    read, skipped = _each(items, _spotify_play)
    plays: dict[TitleRef, int] = defaultdict(int)
    found: list[_Found] = []
    for row, (title, at) in sorted(read, key=lambda row_play: row_play[1][1]):
        plays[title] += 1  # a play is one more, as a play logged by hand (delta 1) is
        found.append(_Found(row, title, ProgressLogged(progress=plays[title], delta=1), at))
    return len(items), found, skipped


def _spotify_play(item: Any) -> tuple[TitleRef, datetime]:
    at = _moment(_value(item, "endTime", str, "time it ended"), "endTime", "%Y-%m-%d %H:%M", "2024-01-05 20:15")
    played = _value(item, "msPlayed", int, "time played")
    if played < PLAY_MS:
        raise _Unreadable(f"Played for {played // 1000} seconds: a play counts from {PLAY_MS // 1000} seconds.")
    return TitleRef("song", _value(item, "trackName", str, "track name"),
                    _value(item, "artistName", str, "artist name"), None, None), at


# -- progress-service: this service's own export (GET .../export?format=json), a JSON list ----------

def _own_export(text: str) -> tuple[int, list[_Found], list[Skipped]]:
    items = _json_list(text, "progress-service")
    _json_format(items, "progress-service", _JSON_KEYS["progress-service"])
    read, skipped = _each(items, _own_entry)
    return len(items), [_Found(row, *entry) for row, entry in read], skipped


def _own_entry(item: Any) -> tuple[TitleRef, Event, datetime, int, int]:
    """An entry of the export as it stands in the log: its title, its event (a correction, retraction
    or rollback too, naming the entry it rewrites by its id and version in the file) and its place."""
    kind = _value(item, "title.kind", str, "title kind")
    if kind not in OWN_KINDS:
        raise _Unreadable(f"The title kind {kind!r} is none of {', '.join(OWN_KINDS)}.")
    unit = _value(item, "title.unit", str, "unit", required=False)
    if kind == CUSTOM and unit is None:
        raise _Unreadable("This entry's custom title names no unit (title.unit).")
    title = TitleRef(kind, _value(item, "title.name", str, "title name"),
                     _value(item, "title.creator", str, "creator", required=False),
                     _value(item, "title.year", int, "year", required=False),
                     _value(item, "title.total_units", int, "total", required=False),
                     unit if kind == CUSTOM else None,
                     bool(_value(item, "title.own", bool, "own", required=False)))
    type_ = _value(item, "event.type", str, "entry type")
    if type_ not in EVENT_TYPES:
        raise _Unreadable(f"The entry type {type_!r} is not one progress-service records.")
    try:
        event = event_from(type_, _value(item, "event.data", dict, "entry data"))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _Unreadable(f"The data of this {type_} entry is not what such an entry holds.") from None
    at = _moment(_value(item, "event.occurred_at", str, "time it occurred"), "occurred_at", "",
                 "2024-01-05T20:15:00+00:00")
    return (title, event, at, _value(item, "event.id", int, "entry id"),
            _value(item, "event.version", int, "entry version"))


# What an item of each JSON format has, to tell one format from another.
_JSON_KEYS = {"trakt": ("watched_at",), "spotify": ("endTime", "msPlayed"), "progress-service": ("event", "title")}
_READERS: dict[str, Reader] = {"goodreads": _goodreads, "trakt": _trakt, "spotify": _spotify,
                               "progress-service": _own_export}
