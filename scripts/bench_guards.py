#!/usr/bin/env python
"""What the database guards cost the hot path, in one process, paired.

    python scripts/bench_guards.py [--database-url SERVER_URL] [--runs 4000]

The guards are those of ``Database.for_requests``: the server's statement_timeout, the watchdog's
deadline on every round trip, and the poll of a connection's socket at checkout. Against it runs
the database as it was before them (the same engine options without those), on the same server,
in the same process: writes (``Trackers.log``, +1 on a song, one writer, each side on users of its
own, as one person's client writes), then ``tracker_state.tracker`` and ``eventstore.entries_page(limit=50)``
reads of the same trackers and pages (after a VACUUM ANALYZE on a connection of neither side, as
autovacuum would have run by then), guarded and bare taking turns run by run, so that both meet
the same machine. Per operation it prints p50 and p99 of the wall time and p50 of the process's
CPU time (the watchdog's thread included), which on a machine that others share is the steadier
of the two. It makes a fresh database ``progress_guards_<random>`` with ``prepare_schema`` and
drops it at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchlib import log, log_server, percentile  # noqa: E402
from progress_service import db as database  # noqa: E402
from progress_service import eventstore  # noqa: E402
from progress_service.projections import tracker_state  # noqa: E402
from progress_service.config import Config  # noqa: E402
from progress_service.db import Database  # noqa: E402
from progress_service.schema import prepare_schema  # noqa: E402
from progress_service.domain.rules import AddProgress  # noqa: E402
from progress_service.services import Trackers  # noqa: E402

USERS, SONGS = 40, 5


def bare(url: str) -> Database:
    """The database as requests used it before the guards: no timeout, no deadline, no check at checkout."""
    db = Database(url)
    db.engine.dispose()
    db.engine = sa.create_engine(url, pool_size=20, max_overflow=20, isolation_level="AUTOCOMMIT",
                                 connect_args={"options": database.SESSION_OPTIONS, "connect_timeout": 5})
    return db


def paired(operations: dict[str, Callable[[int], Any]], count: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU µs of each run of each side's operation, the sides taking turns run by run
    (the order flipping each time), so that both meet the same machine."""
    samples: dict[str, tuple[list[float], list[float]]] = {side: ([], []) for side in operations}
    for i in range(count):
        for side in (tuple(operations) if i % 2 == 0 else tuple(operations)[::-1]):
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            operations[side](i)
            samples[side][1].append((time.process_time_ns() - cpu) / 1e3)
            samples[side][0].append((time.perf_counter_ns() - wall) / 1e3)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=4000, help="runs of each operation on each side")
    args = parser.parse_args(argv)
    name = f"progress_guards_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    maintenance = Database.for_maintenance(url, Config())
    sides = {"guarded": Database.for_requests(url, Config()), "bare": bare(url)}
    try:
        log_server(url, name)
        prepare_schema(maintenance)
        run(sides, maintenance, args.runs)
    finally:
        for db in (maintenance, *sides.values()):
            db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


def run(sides: dict[str, Database], maintenance: Database, runs: int) -> None:
    with sides["bare"].transaction() as conn:
        songs = list(conn.execute(sa.text("SELECT id FROM titles WHERE kind = 'song' AND total_units IS NULL "
                                          "ORDER BY id LIMIT :n"), {"n": SONGS}).scalars())
        users = {side: list(conn.execute(sa.text(
            "INSERT INTO users (username, password_hash) SELECT :side || '_' || g, '-' "
            "FROM generate_series(1, :n) g RETURNING id"), {"side": side, "n": USERS}).scalars()) for side in sides}
    streams = {side: [(user, song) for user in users[side] for song in songs] for side in sides}
    trackers = {side: Trackers(db) for side, db in sides.items()}

    def write(side):
        return lambda i: trackers[side].log(*streams[side][i % len(streams[side])], [AddProgress(1)])

    def tracker_read(side):  # both sides read the same trackers and pages
        def read(i):
            with sides[side].read() as conn:
                tracker_state.tracker(conn, *streams["bare"][i % len(streams["bare"])])
        return read

    def history_read(side):
        def read(i):
            with sides[side].read() as conn:
                eventstore.entries_page(conn, users["bare"][i % USERS], limit=50)
        return read

    log(f"{runs} runs a side of each, taking turns run by run; {USERS} users × {SONGS} songs a side")
    for label, make in (("Trackers.log (+1)", write), ("tracker_state.tracker", tracker_read),
                        ("eventstore.entries_page(limit=50)", history_read)):
        if make is tracker_read:  # as autovacuum would have by now, before either side plans a read
            with maintenance.read() as conn:
                for table in ("events", "tracker_state", "tracker_versions", "titles"):
                    conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        paired({side: make(side) for side in sides}, 500)  # warm-up: connections, prepared statements, states
        samples = paired({side: make(side) for side in sides}, runs)
        wall = {side: (percentile(samples[side][0], 50), percentile(samples[side][0], 99)) for side in sides}
        cpu = {side: percentile(samples[side][1], 50) for side in sides}
        log(f"{label:>26}: p50 {wall['bare'][0]:7.1f} → {wall['guarded'][0]:7.1f} µs "
            f"({wall['guarded'][0] / wall['bare'][0] - 1:+.1%}), p99 {wall['bare'][1]:7.1f} → "
            f"{wall['guarded'][1]:7.1f} µs; CPU p50 {cpu['bare']:6.1f} → {cpu['guarded']:6.1f} µs "
            f"({cpu['guarded'] - cpu['bare']:+.1f} µs, {cpu['guarded'] / cpu['bare'] - 1:+.1%})")


if __name__ == "__main__":
    sys.exit(main())
