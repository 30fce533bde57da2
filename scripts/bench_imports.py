#!/usr/bin/env python
"""Benchmark of imports: a 10,000-row Goodreads library export against the same entries appended
one by one through the log's service, in one run on one server.

    python scripts/bench_imports.py [--database-url SERVER_URL] [--rows 10000] [--keep] [--markdown FILE]

It makes a fresh database ``progress_bench_<random>`` on the server (DATABASE_URL, else an embedded
PostgreSQL in a temporary folder), applies the schema, and drops it at the end unless ``--keep``.
The file is made up here: books of made-up names (each becomes one of the user's own titles) and
one row in twenty naming a catalog book in another case, read (with a rating and one review in
four), being read, or planned.

  1. ours: ``Imports.start`` of the file for a new user, on the database as requests use it
     (statements and round trips bounded): parse, match, make the titles, decide, append in one
     transaction. Rows/s, and entries/s;
  2. the ceiling: the same entries, decided from the same file, appended for a second new user
     through ``Trackers.log`` (what ``POST /api/progress/log`` runs), one entry per call, in
     occurred order, after making the same own titles for that user (not timed);
  3. the dry run of the same file for a third user (the preview's cost), and the file imported a
     second time (every row known: what a repeated import costs).

The target is ours ≥ 0.5 × the ceiling. This is a benchmark, not a test: it prints figures and a
Markdown table and exits 0 whether or not the target is met.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchlib import Figure, bench_database, log, log_server, markdown_table, report  # noqa: E402
from progress_service import catalog  # noqa: E402
from progress_service.config import Config  # noqa: E402
from progress_service.db import Database  # noqa: E402
from progress_service.domain.imports import GOODREADS_COLUMNS, parse, with_total  # noqa: E402
from progress_service.domain.rules import LogChanges, command_for  # noqa: E402
from progress_service.imports import Imports  # noqa: E402
from progress_service.schema import prepare_schema  # noqa: E402
from progress_service.services import Trackers  # noqa: E402

WORDS = ("amber", "lantern", "river", "salt", "orbit", "glass", "meridian", "harbour", "iron", "quiet", "paper",
         "north", "winter", "cedar", "ember", "hollow", "signal", "tide", "atlas", "copper")


def goodreads_file(rows: int, catalog_books: list[tuple[str, str, int]], seed: int = 15) -> bytes:
    """A Goodreads library export of ``rows`` books, as Goodreads writes one."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GOODREADS_COLUMNS)
    for n in range(rows):
        if n % 20 == 0 and catalog_books:
            name, author, year = catalog_books[n // 20 % len(catalog_books)]
            name, author = name.upper(), author.lower()  # matched whatever the case
        else:
            name = f"The {rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}"
            author, year = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}son", rng.randint(1950, 2024)
        added = f"{rng.randint(2015, 2022)}/{rng.randint(1, 12):02}/{rng.randint(1, 28):02}"
        shelf = rng.choices(("read", "to-read", "currently-reading"), (6, 3, 1))[0]
        read_on = f"{int(added[:4]) + 1}/{rng.randint(1, 12):02}/{rng.randint(1, 28):02}" if shelf == "read" else ""
        rating = rng.randint(1, 5) if shelf == "read" and rng.random() < 0.8 else 0
        review = "A slow start, then I could not put it down." if shelf == "read" and rng.random() < 0.25 else ""
        cells = {"Book Id": str(50_000_000 + n), "Title": name, "Author": author, "My Rating": str(rating),
                 "Number of Pages": str(rng.randint(90, 900)), "Year Published": str(year),
                 "Original Publication Year": str(year), "Date Read": read_on, "Date Added": added,
                 "Exclusive Shelf": shelf, "My Review": review, "Read Count": "1" if shelf == "read" else "0",
                 "ISBN": '=""', "ISBN13": '=""', "Owned Copies": "0"}
        writer.writerow([cells.get(column, "") for column in GOODREADS_COLUMNS])
    return buffer.getvalue().encode()


def new_user(db: Database, name: str) -> int:
    with db.transaction() as conn:
        return conn.execute(sa.text("INSERT INTO users (username, password_hash) VALUES (:name, 'not-a-login') "
                                    "RETURNING id"), {"name": name}).scalar_one()


def entries_of(db: Database, user_id: int) -> int:
    with db.read() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u"), {"u": user_id}).scalar_one()


def through_the_log(db: Database, trackers: Trackers, user_id: int, body: bytes, titles_of: dict) -> tuple[int, float]:
    """The ceiling: each entry of the file through Trackers.log, one call each, on titles made first
    (the same own titles the import made, for this user). Returns (entries, seconds)."""
    parsed = parse("goodreads", body, now=trackers.clock())
    ids: dict[tuple, int] = {}
    with db.transaction() as conn:  # not timed: the titles the entries go on
        for entry in parsed.entries:
            key = (entry.title.kind, entry.title.name, entry.title.creator)
            if key in ids:
                continue
            ids[key] = titles_of.get(key) or catalog.create(conn, {
                "kind": "book", "name": entry.title.name, "creator": entry.title.creator or "", "year": entry.title.year,
                "total_units": entry.title.total, "description": ""}, owner_id=user_id)["id"]
    totals = {}
    with db.read() as conn:
        for title_id, total in conn.execute(sa.text("SELECT id, total_units FROM titles WHERE id = ANY(:ids)"),
                                            {"ids": list(ids.values())}):
            totals[title_id] = total
    started = time.perf_counter()
    for entry in parsed.entries:
        title_id = ids[(entry.title.kind, entry.title.name, entry.title.creator)]
        command = command_for(with_total(entry.event, totals[title_id]), entry.occurred_at, version_of=lambda v: None)
        assert isinstance(command, LogChanges)
        trackers.log(user_id, title_id, command.changes, occurred_at=entry.occurred_at)
    return len(parsed.entries), time.perf_counter() - started


def run(db: Database, rows: int, figures: list[Figure]) -> None:
    with db.read() as conn:
        books = [(r.name, r.creator, r.year) for r in conn.execute(sa.text(
            "SELECT name, creator, year FROM titles WHERE kind = 'book' AND owner_id IS NULL ORDER BY id"))]
    body = goodreads_file(rows, books)
    log(f"the file: {rows:,} rows, {len(body) / 1e6:.1f} MB; {len(books)} catalog books among them, in another case")
    trackers = Trackers(db)
    imports = Imports(trackers)

    ours_user, log_user, preview_user = (new_user(db, f"bench_{role}_{uuid.uuid4().hex[:8]}")
                                         for role in ("import", "log", "preview"))
    started = time.perf_counter()
    imported = imports.start(ours_user, "goodreads", body)
    ours_seconds = time.perf_counter() - started
    assert imported.entries == entries_of(db, ours_user) and not imported.skipped, imported.skipped[:3]
    log(f"ours: {imported.entries:,} entries, {len(imported.titles_matched)} titles matched, "
        f"{len(imported.titles_created):,} made, in {ours_seconds:.2f} s")

    started = time.perf_counter()
    preview = imports.start(preview_user, "goodreads", body, dry_run=True)
    preview_seconds = time.perf_counter() - started
    assert preview.entries == imported.entries and entries_of(db, preview_user) == 0

    started = time.perf_counter()
    again = imports.start(ours_user, "goodreads", body)
    again_seconds = time.perf_counter() - started
    assert again.entries == 0

    matched = {(t["kind"], t["name"], t["creator"]): t["title_id"] for t in imported.titles_matched}
    log_entries, log_seconds = through_the_log(db, trackers, log_user, body, matched)
    assert log_entries == imported.entries == entries_of(db, log_user)
    log(f"the ceiling: {log_entries:,} entries through Trackers.log in {log_seconds:.2f} s")

    target = "≥ 0.5 × ceiling"
    figures += [
        Figure(f"goodreads import of {rows:,} rows: rows/s", rows / ours_seconds, rows / log_seconds, "rows/s", True,
               target=target, met=(rows / ours_seconds) >= 0.5 * (rows / log_seconds), section=1),
        Figure("the same: entries/s", imported.entries / ours_seconds, log_entries / log_seconds, "entries/s", True,
               section=1),
        Figure("dry run (the preview): rows/s", rows / preview_seconds, rows / log_seconds, "rows/s", True, section=3),
        Figure("the same file again (appends nothing): rows/s", rows / again_seconds, rows / log_seconds, "rows/s",
               True, section=3),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a PostgreSQL server URL (default: DATABASE_URL, else an embedded server)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the Goodreads file (default 10,000)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--markdown", type=Path, help="also write the results table to this file")
    args = parser.parse_args(argv)
    run_started = time.perf_counter()
    with bench_database(args.database_url, keep=args.keep) as (url, name):
        # the import and the log on the database as requests use it; the schema on the maintenance one
        db, maintenance = Database.for_requests(url, Config()), Database.for_maintenance(url, Config())
        figures: list[Figure] = []
        try:
            log_server(url, name)
            prepare_schema(maintenance)
            run(db, args.rows, figures)
        finally:
            db.dispose()
            maintenance.dispose()
    report(markdown_table(figures, "; the ceiling is the same entries through Trackers.log, one call each."),
           run_started, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
