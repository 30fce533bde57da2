#!/usr/bin/env python3
"""What one write costs progress-service's own Python, counted rather than timed: the Python
calls per ``Trackers.log`` (+1 on a song, one writer, 40 users, so each write is decided on a
remembered state in one round trip), from cProfile, which counts the same on a busy machine as on
a quiet one. For instructions, run it with ``--plain`` (no profiler) under ``valgrind
--tool=callgrind`` with ``--writes 0`` and ``--writes 2000`` and divide the difference by 2,000.

    python scripts/bench_write_cost.py [--database-url SERVER_URL] [--writes 1000] [--tree PATH] [--plain]

``--tree`` measures the package of another checkout (to compare a change with what came before).
It makes a database ``progress_cost_<random>`` on the server and drops it at the end.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import uuid
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--plain", action="store_true", help="no profiler: for counting instructions")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree))
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    import progress_service.api  # noqa: F401  (the app's modules, loaded as a worker has them)
    from progress_service.config import Config
    from progress_service.db import Database
    from progress_service.domain.rules import AddProgress
    try:
        from progress_service.schema import prepare_schema
        from progress_service.services import Trackers
    except ImportError:  # a checkout from before 2026-12-03 names them so
        from progress_service.db import prepare_schema
        from progress_service.services import Tracker as Trackers

    name = f"progress_cost_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    try:
        maintenance = Database.for_maintenance(url, Config())
        prepare_schema(maintenance)
        maintenance.dispose()
        db = Database.for_requests(url, Config())
        with db.transaction() as conn:
            song = conn.execute(sa.text("SELECT id FROM titles WHERE kind = 'song' ORDER BY id LIMIT 1")).scalar()
            users = conn.execute(sa.text("INSERT INTO users (username, password_hash) SELECT 'cost_' || g, '-' "
                                         "FROM generate_series(1, 40) g RETURNING id")).scalars().all()
        trackers = Trackers(db)
        for user in users:  # each tracker's first entry, and the state it leaves remembered
            trackers.log(user, song, [AddProgress(1)])
        profile = cProfile.Profile()
        started = time.perf_counter()
        if not args.plain:
            profile.enable()
        for i in range(args.writes):
            trackers.log(users[i % len(users)], song, [AddProgress(1)])
        profile.disable()
        seconds = time.perf_counter() - started
        if args.plain:
            print(f"{args.tree}: {args.writes} writes, {1e6 * seconds / max(args.writes, 1):.0f} µs a write")
        else:
            calls = pstats.Stats(profile).total_calls / max(args.writes, 1)
            print(f"{args.tree}: {calls:.0f} Python calls a write; {1e6 * seconds / max(args.writes, 1):.0f} µs a "
                  "write under the profiler (a timing, so noisy)")
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
