"""Rebuild every projection from the log, and verify the live projections against a rebuild.

The tables of tracker states are filled from the fold (``fold``): set-based in SQL for the
streams without meta entries, in Python for the rest; every other table then builds itself from
them or from the log (each module's ``build``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import sqlalchemy as sa

from ..db import Database
from ..domain.events import Recorded
from ..domain.tracker import TrackerState
from ..eventstore import Stream
from . import REGISTERED, TABLES, fold
from .change import COLUMNS, Difference, rows_json
from .tracker_versions import render_states

Progress = Callable[[int], None]

_FOLDED = [projection for projection in REGISTERED if hasattr(projection, "from_stream")]
_BUILT = [projection for projection in REGISTERED if hasattr(projection, "build")]


def build(conn: sa.Connection, *, into: dict[str, str], progress: Progress = lambda events: None,
          second: Database | None = None) -> None:
    """Fill the tables named in ``into`` (projection -> table) from the log; they start empty.

    ``progress`` is told how many events each step has folded. With a ``second`` database
    handle, the streams with meta entries re-fold in Python on a connection of their own (sharing
    this transaction's snapshot) while the server folds the others.
    """
    conn.execute(sa.text("SET LOCAL work_mem = '256MB'"))  # the fold sorts the whole log once
    total = count_events(conn)
    with ThreadPoolExecutor(max_workers=1) as pool:
        if second is None:
            meta = pool.submit(fold.meta_streams, conn)
            meta.result()  # on this connection, before the big query
        else:
            meta = pool.submit(_meta_streams_on, second, conn.execute(
                sa.text("SELECT pg_export_snapshot()")).scalar_one())
        # The log lies in time order: one scan and an in-memory sort beat walking the stream index.
        conn.execute(sa.text("SET LOCAL enable_indexscan = off"))
        conn.execute(sa.text(f"WITH states AS MATERIALIZED ({fold.STATES_QUERY}),\n"
                             + ",\n".join(_fold_insert(p, into[p.TABLE]) for p in _FOLDED) + "\nSELECT"))
        conn.execute(sa.text("SET LOCAL enable_indexscan = on"))
        folded = meta.result()
    meta_events = sum(len(entries) for _, entries, _ in folded)
    progress(total - meta_events)
    for projection in _FOLDED:
        table, columns = into[projection.TABLE], ", ".join(_columns(projection))
        rows = [row for stream, entries, states in folded for row in projection.from_stream(stream, entries, states)]
        insert = sa.text(f"INSERT INTO {table} ({columns}) SELECT {columns} "
                         f"FROM jsonb_populate_recordset(NULL::{table}, CAST(:rows AS jsonb))")
        for start in range(0, len(rows), 5000):
            conn.execute(insert, {"rows": rows_json(rows[start:start + 5000])})
    progress(meta_events)
    for projection in _BUILT:
        projection.build(conn, into)


def _columns(projection) -> tuple[str, ...]:
    return getattr(projection, "ROW_COLUMNS", COLUMNS)


def _fold_insert(projection, table: str) -> str:
    """The part of the set-based fold's statement that fills ``table`` for ``projection``: its
    rows (``FOLD_ROWS``) of the states, each column as ``FOLD_SELECT`` says or of the same name."""
    columns = _columns(projection)
    select = ", ".join(getattr(projection, "FOLD_SELECT", {}).get(column, column) for column in columns)
    return (f"into_{projection.TABLE} AS (INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {select} FROM states {getattr(projection, 'FOLD_ROWS', '')})")


def _meta_streams_on(db: Database, snapshot: str) -> list[tuple[Stream, list[Recorded], list[TrackerState]]]:
    with db.transaction(isolation_level="REPEATABLE READ", snapshot=snapshot) as conn:
        return fold.meta_streams(conn)


def count_events(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()


def rebuild(conn: sa.Connection, *, progress: Progress = lambda events: None,
            second: Database | None = None) -> None:
    """Replace every projection with one recomputed from the log.

    Appends write their projections before they draw positions, so holding these table locks
    keeps the log still until the rebuild commits.
    """
    conn.execute(sa.text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
    conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES)}"))
    # Checking foreign keys row by row costs more than the fold: drop them, load, add them back.
    foreign_keys = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'f' AND conrelid::regclass::text IN ({', '.join(repr(t) for t in TABLES)})")).all()
    for table, name, _ in foreign_keys:
        conn.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    build(conn, into={table: table for table in TABLES}, progress=progress, second=second)
    for table, name, definition in foreign_keys:
        conn.execute(sa.text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def render_all_states(db: Database, *, progress: Progress = lambda states: None, users_per_batch: int = 500) -> int:
    """Render every missing or stale tracker object of tracker_versions (a rebuild leaves them out),
    a batch of users per transaction so that appends go on meanwhile; returns how many."""
    with db.read() as conn:
        last_user = conn.execute(sa.text("SELECT coalesce(max(user_id), 0) FROM tracker_versions")).scalar_one()
    rendered = 0
    for low in range(0, last_user + 1, users_per_batch):
        with db.transaction() as conn:
            count = render_states(conn, users=(low, low + users_per_batch))
        rendered += count
        progress(count)
    return rendered


def _in_whole_units(row: dict | None) -> dict | None:
    """A row as verify tells it: whole progress as a whole number (99, not the numeric column's 99.0)."""
    progress = (row or {}).get("progress")
    return {**row, "progress": int(progress)} if isinstance(progress, float) and progress.is_integer() else row


def verify(conn: sa.Connection, *, progress: Progress = lambda events: None,
           second: Database | None = None) -> list[Difference]:
    """Every difference between the live projections and a rebuild from the same snapshot.

    Run it in a REPEATABLE READ transaction: the log and the projections commit together.
    """
    into = {table: f"rebuilt_{table}" for table in TABLES}
    for table, rebuilt in into.items():
        conn.execute(sa.text(f"CREATE TEMP TABLE {rebuilt} (LIKE {table} INCLUDING ALL) ON COMMIT DROP"))
    build(conn, into=into, progress=progress, second=second)
    differences = []
    for projection in REGISTERED:
        keys, columns = projection.KEY, getattr(projection, "COMPARED", "*")
        rows_compared = getattr(projection, "COMPARED_ROWS", "")
        rows = conn.execute(sa.text(f"""
            WITH live AS (SELECT {columns} FROM {projection.TABLE} {rows_compared}),
                 rebuilt AS (SELECT {columns} FROM {into[projection.TABLE]} {rows_compared}),
                 only_live AS (SELECT * FROM live EXCEPT SELECT * FROM rebuilt),
                 only_rebuilt AS (SELECT * FROM rebuilt EXCEPT SELECT * FROM live)
            SELECT to_jsonb(l) AS live, to_jsonb(r) AS rebuilt
            FROM only_live l FULL JOIN only_rebuilt r USING ({', '.join(keys)})
            ORDER BY {', '.join(f'coalesce(l.{k}, r.{k})' for k in keys)}
        """)).all()
        for row in rows:
            side = row.live or row.rebuilt
            differences.append(Difference(projection.TABLE, " ".join(f"{k}={side[k]}" for k in keys),
                                          _in_whole_units(row.live), _in_whole_units(row.rebuilt)))
    for projection in REGISTERED:
        if hasattr(projection, "differences"):
            differences += projection.differences(conn)
    return differences
