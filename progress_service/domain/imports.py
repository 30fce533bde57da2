"""Imports: the files people bring from elsewhere, read into the entries of their trackers.

Pure: a file's bytes in, the entries to append (and the rows skipped, with reasons) out. Storing
them, matching titles to the catalog and running the job are the service's.
"""
from __future__ import annotations

import hashlib
import json
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from progress_service.domain.events import Event
from progress_service.errors import ImportRejected

FORMATS = ("goodreads", "trakt", "spotify", "progress-service")


@dataclass(frozen=True)
class TitleRef:
    """The title a row names, as the file names it."""

    kind: str                # a catalog kind of domain/vocabulary.py (book, show, song, …)
    name: str
    creator: str | None
    year: int | None
    total: int | None        # units when the file knows them (pages), for a new own title
    unit: str | None = None  # a custom title's own unit (progress-service format)

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
    entries: tuple[ImportedEntry, ...]  # per title in occurred order (the order to append)
    skipped: tuple[Skipped, ...]


def parse(format: str, body: bytes, *, now: datetime) -> Parsed:
    """The entries a file of ``format`` holds; ImportRejected for a problem with the whole file."""
    if format not in FORMATS:
        raise ImportRejected(f"There is no import format {format!r}: format is one of {', '.join(FORMATS)}.")
    raise ImportRejected(f"Importing a {format} file is not ready yet.")


_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation + "‘’“”–—…·"})


def normalized(text: str) -> str:
    """``text`` with case, accents and punctuation aside, so "Amélie!" and "amelie" name one title."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().translate(_PUNCTUATION).split())


def fingerprint(format: str, title: TitleRef, event: Event, occurred_at: datetime) -> str:
    """One digest per entry of a file: the same row of a newer export gives the same one."""
    said = json.dumps([format, list(title.key()), event.type, event.data(), occurred_at.isoformat()],
                      sort_keys=True, default=str)
    return hashlib.sha256(said.encode()).hexdigest()
