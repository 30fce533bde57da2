"""Small files to import, written as the other services write them (no real person's data)."""
from __future__ import annotations

import csv
import io
import json

from progress_service.domain.imports import GOODREADS_COLUMNS


def goodreads(*books: dict) -> bytes:
    """A Goodreads library export of ``books``: each a dict of the columns it fills (the rest empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GOODREADS_COLUMNS)
    for number, book in enumerate(books, start=1):
        cells = {"Book Id": str(80_000_000 + number), "My Rating": "0", "Read Count": "1", "Owned Copies": "0",
                 "ISBN": '=""', "ISBN13": '=""', **book}
        writer.writerow([cells.get(column, "") for column in GOODREADS_COLUMNS])
    return buffer.getvalue().encode()


def read(title: str, author: str, *, on: str, added: str | None = None, rating: int = 0, pages: int | None = None,
         year: int | None = None, review: str = "") -> dict:
    """A book on the read shelf, finished on ``on`` (YYYY/MM/DD)."""
    return {"Title": title, "Author": author, "Exclusive Shelf": "read", "Date Read": on, "Date Added": added or on,
            "My Rating": str(rating), "Number of Pages": str(pages or ""), "Original Publication Year": str(year or ""),
            "My Review": review}


def to_read(title: str, author: str, *, added: str, year: int | None = None) -> dict:
    return {"Title": title, "Author": author, "Exclusive Shelf": "to-read", "Date Added": added,
            "Original Publication Year": str(year or "")}


def spotify(*plays: tuple[str, str, str]) -> bytes:
    """A Spotify streaming history: (endTime "YYYY-MM-DD HH:MM", artist, track) played for 3 minutes each."""
    return json.dumps([{"endTime": end, "artistName": artist, "trackName": track, "msPlayed": 180_000}
                       for end, artist, track in plays]).encode()
