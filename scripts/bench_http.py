#!/usr/bin/env python
"""Benchmark of the progress-service HTTP API against a bare endpoint on the same server, in one run.

    python scripts/bench_http.py [--database-url SERVER_URL] [--seconds 10] [--connections 16]
                                 [--users 320] [--rounds 3] [--workers N] [--threads N] [--quick]
                                 [--markdown FILE]

It makes a fresh database ``progress_http_<random>`` on the server (DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres), starts the real service as a subprocess on a free
loopback port (``python -m progress_service serve`` with PROGRESS_SERVICE_DATA_DIR in a temporary
folder), registers users through ``POST /api/auth/register`` and picks songs (no total,
so ``{"delta": 1}`` never hits a bound) from ``GET /api/titles``. Beside it, in its own subprocess,
runs a *bare endpoint*: a minimal Flask app served as the service is (``progress_service.prefork``:
the same worker processes, threads, sharing of connections, limits and timeouts) with a plain
psycopg2 pool (one autocommit connection per thread) whose ``POST /log`` does one ``INSERT INTO raw_events ...
RETURNING`` into a table made ``(LIKE events INCLUDING ALL)`` and answers 201 with the row as JSON,
and whose ``GET /tracker/<u>/<t>`` and ``GET /history/<u>`` run the same SQL as ``tracker_state.tracker``
and ``tracker_versions.timeline`` on the real tables (that SQL builds the answer's JSON) and pass its answer
on. That is the ceiling.

The load comes from wrk (a thread per connection, ``--connections`` keep-alive connections)
running ``bench_http.lua``: each connection writes as users of its own, in turn, as each person's
client keeps its own connection, and reads for users picked at random; for
``--seconds`` after a warm-up, in ``--rounds`` rounds that alternate ours and the bare endpoint
(rates: the median round; latencies: every request of every round, pooled); the top-up writes
before the reads come from Python threads. Figures, each beside the bare endpoint's in the same
run: ``POST /api/progress/log`` at ``--connections`` and at 1 connection, then
``GET /api/progress/{u}/trackers/{t}`` and ``GET /api/progress/{u}/history?limit=50`` at
``--connections`` (after the writes, and after topping every user up to at least 50 entries, so
each history page is full). CPU of the client, the HTTP server and PostgreSQL is sampled over each
measurement, so a saturated client (or someone else's load on the machine) would show. With
``--quick``: 64 users, one round of 2 s after 0.5 s warm-up, about half a minute in all.

This is a benchmark, not a test: it prints figures and a Markdown table and exits 0 whether or not
targets are met (non-zero only when something fails outright). The server is stopped and the
database dropped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchlib import Figure, log, log_server, markdown_table, percentile, report, psycopg2_kwargs, raw_connect  # noqa: E402
from progress_service import eventstore  # noqa: E402
from progress_service.projections import tracker_moments, tracker_state, tracker_versions  # noqa: E402
from progress_service.__main__ import SERVE_THREADS  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-http-password"

# The same SQL text the service's reads run (as scripts/bench_core.py uses it), for the bare GETs.
RAW_TRACKER_SQL = tracker_state.TRACKER.text.replace(":user_id", "%(user_id)s").replace(":title_id", "%(title_id)s")
RAW_HISTORY_SQL = (eventstore.page_sql(tracker_versions.TIMELINE_ITEM, tracker_versions.TIMELINE_JOINS, ()).text
                   .replace(":user_id", "%(user_id)s").replace(":limit", "%(limit)s"))
RAW_OCCURRED_SQL = (tracker_moments.page_sql(()).text.replace("%", "%%")
                    .replace(":user_id", "%(user_id)s").replace(":limit", "%(limit)s"))
RAW_INSERT_SQL = """
    INSERT INTO raw_events (user_id, title_id, stream, version, type, data, metadata, occurred_at)
    VALUES (%(user_id)s, %(title_id)s, 'tracker-' || %(user_id)s || '-' || %(title_id)s, %(version)s, 'progress_logged',
            %(data)s, %(metadata)s, %(occurred_at)s)
    RETURNING id, user_id, title_id, version, type, data, occurred_at, recorded_at
"""

# The bare endpoint, run with ``python -c``: argv[1] port, argv[2] threads, argv[3] JSON of libpq
# keywords, argv[4] JSON of the SQL texts, argv[5] worker processes. A version counter in each worker
# (stepping by the number of workers) keeps (user_id, title_id, version) unique without a read.
BARE_APP = r'''
import itertools, json, logging, os, sys
from datetime import date, datetime, timezone
from decimal import Decimal
import psycopg2, psycopg2.pool
from flask import Flask, Response, request
from progress_service.config import Config
from progress_service.prefork import serve

port, threads, workers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[5])
dsn, sql = json.loads(sys.argv[3]), json.loads(sys.argv[4])
logging.basicConfig(level=logging.ERROR)

def encode(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))

def answer(body, status=200):
    return Response(json.dumps(body, default=encode), status=status, mimetype="application/json")

def make_app():  # in each worker, as the service's: a pool of its own
    pool = psycopg2.pool.ThreadedConnectionPool(threads, threads, **dsn)
    for conn in [pool.getconn() for _ in range(threads)]:
        conn.autocommit = True
        pool.putconn(conn)
    # (user_id, title_id, version) is unique: each worker counts in a range of its own (forked
    # workers have distinct pids), within the integer column, without a read
    versions = itertools.count((os.getpid() % 2000) * 1_000_000 + 1)
    app = Flask("bare")

    def run(statement, params, many=False):
        conn = pool.getconn()
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                names = [c.name for c in cur.description]
                rows = cur.fetchall() if many else cur.fetchmany(1)
            rows = [dict(zip(names, row)) for row in rows]
            return rows if many else (rows[0] if rows else None)
        finally:
            pool.putconn(conn)

    @app.post("/log")
    def log():
        body = request.get_json()
        user_id = body["user_id"]
        row = run(sql["insert"], {"user_id": user_id, "title_id": body["title_id"], "version": next(versions),
                                  "data": json.dumps({"progress": None, "delta": body["delta"], "total": None}),
                                  "metadata": json.dumps({"actor": user_id}),
                                  "occurred_at": datetime.now(timezone.utc)})
        return answer(row, 201)

    # The reads run the service's own SQL, which builds the answer's JSON; the bare endpoint passes it on.
    @app.get("/tracker/<int:user_id>/<int:title_id>")
    def tracker(user_id, title_id):
        row = run(sql["tracker"], {"user_id": user_id, "title_id": title_id})
        if row is None:
            return answer({"status": 404}, 404)
        return Response(row["body"], mimetype="application/json", headers={"ETag": f'"{row["version"]}"'})

    @app.get("/history/<int:user_id>")
    def history(user_id):
        limit = int(request.args.get("limit", 50))
        return Response(run(sql["history"], {"user_id": user_id, "limit": limit})["body"], mimetype="application/json")

    @app.get("/history_occurred/<int:user_id>")
    def history_occurred(user_id):
        limit = int(request.args.get("limit", 50))
        return Response(run(sql["history_occurred"], {"user_id": user_id, "limit": limit})["body"],
                        mimetype="application/json")

    @app.get("/readyz")
    def readyz():
        return answer({"status": "ready"})

    return app

# Served exactly as the service is (progress_service.prefork): the same workers, threads, balancing and limits.
sys.exit(serve(make_app, host="127.0.0.1", port=port, workers=workers, threads=threads, ident="bare endpoint",
               config=Config.from_env()))
'''


# ------------------------------------------------------------------------------------------------
# Database and processes
# ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen, logfile: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}:\n{tail(logfile)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout:.0f} s:\n{tail(logfile)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class CpuMeter:
    """CPU used by the client (wrk), a server (its process and worker processes) and PostgreSQL over a
    window, in % of one core; "other" is the rest of the machine's busy time, "steal" the time its
    host ran someone else instead."""

    def __init__(self, server_pid: int, postmaster_pid: int | None):
        self.server = psutil.Process(server_pid)
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None

    @staticmethod
    def _client() -> float:
        """CPU of this process's finished children: wrk, once it has been waited for (the servers
        are children too, but are only waited for at the end)."""
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    @staticmethod
    def _cpu(process: psutil.Process) -> float | None:
        try:
            t = process.cpu_times()
            return t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def _sample(self) -> tuple[dict[int, float], dict[int, float]]:
        postgres = {}
        for p in [self.postmaster, *self.postmaster.children()] if self.postmaster else []:  # backends, workers
            used = self._cpu(p)
            if used is not None:
                postgres[p.pid] = used
        server = sum(self._cpu(p) or 0.0 for p in [self.server, *self.server.children()])
        return {0: self._client(), 1: server}, postgres

    @staticmethod
    def _busy(times) -> float:
        return sum(times) - times.idle - getattr(times, "iowait", 0) - getattr(times, "steal", 0)

    def start(self) -> None:
        self.t0, self.s0, self.m0 = time.perf_counter(), self._sample(), psutil.cpu_times()

    def stop(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self.t0
        (ours1, pg1), m1 = self._sample(), psutil.cpu_times()
        ours0, pg0 = self.s0
        # a backend that started inside the window counts whole; one that ended in it is lost
        postgres = sum(used - pg0.get(pid, 0.0) for pid, used in pg1.items())
        used = {"client": ours1[0] - ours0[0], "server": ours1[1] - ours0[1], "postgres": postgres}
        used["other"] = max(0.0, self._busy(m1) - self._busy(self.m0) - sum(used.values()))
        # time the virtual machine's host gave to others while this machine wanted to run: a
        # window with much of it measured a slower machine
        used["steal"] = getattr(m1, "steal", 0.0) - getattr(self.m0, "steal", 0.0)
        return {k: v / elapsed * 100 for k, v in used.items()}


# ------------------------------------------------------------------------------------------------
# HTTP helpers and the load generator
# ------------------------------------------------------------------------------------------------
Request = tuple[str, str, bytes | None, dict[str, str]]


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body).encode() if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else None)


@dataclass
class Result:
    label: str
    connections: int
    seconds: float
    latencies_ms: list[float]
    non_2xx: int                    # over warm-up and measurement
    statuses: dict[Any, int]
    failures: int                   # exceptions (connection reset, timeout)
    cpu: dict[str, float] = field(default_factory=dict)
    rounds: list["Result"] = field(default_factory=list)
    answered_2xx: int = 0           # over warm-up and measurement
    sent: int = 0                   # requests sent, over warm-up and measurement (some unanswered at the end)

    @property
    def rate(self) -> float:
        if self.rounds:  # the median round, as scripts/bench_core.py reports rates
            return statistics.median(r.rate for r in self.rounds)
        return len(self.latencies_ms) / self.seconds

    @classmethod
    def merged(cls, rounds: list["Result"]) -> "Result":
        """Rounds of one measurement: median rate; latencies of every round pooled; CPU averaged."""
        statuses: dict[Any, int] = {}
        for r in rounds:
            for code, count in r.statuses.items():
                statuses[code] = statuses.get(code, 0) + count
        cpu = {k: statistics.mean(r.cpu[k] for r in rounds) for k in rounds[0].cpu}
        return cls(rounds[0].label, rounds[0].connections, sum(r.seconds for r in rounds),
                   [x for r in rounds for x in r.latencies_ms], sum(r.non_2xx for r in rounds), statuses,
                   sum(r.failures for r in rounds), cpu, rounds if len(rounds) > 1 else [],
                   sum(r.answered_2xx for r in rounds), sum(r.sent for r in rounds))

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def server_ms(self) -> float | None:
        """The HTTP server process's CPU per answered request (ms): what a single GIL-bound process pays."""
        if not self.cpu or not self.latencies_ms:
            return None
        return self.cpu["server"] / 100 * self.seconds / len(self.latencies_ms) * 1000

    def line(self) -> str:
        cpu = ", ".join(f"{k} {v:.0f}%" for k, v in self.cpu.items())
        if self.server_ms is not None:
            cpu += f"; server {self.server_ms:.2f} ms CPU/request"
        bad = f"non-2xx {self.non_2xx}" + (f" {dict(self.statuses)}" if self.statuses else "") + \
              (f", failures {self.failures}" if self.failures else "")
        rounds = f" (median of {', '.join(f'{r.rate:,.0f}' for r in self.rounds)})" if self.rounds else ""
        return (f"  {self.label:<44} {self.connections:>2} conn: {self.rate:8,.0f} req/s{rounds}  "
                f"p50 {self.p50:7.2f} ms  p99 {self.p99:7.2f} ms  {bad}  (n={len(self.latencies_ms):,}; CPU {cpu})")


def drive(port: int, streams: list[Iterator[Request | None]]) -> Result:
    """The fill: one thread and one keep-alive connection per request stream, until every stream
    yields None; every request is kept."""
    n = len(streams)
    samples: list[list[float]] = [[] for _ in range(n)]
    statuses: list[dict[int, int]] = [{} for _ in range(n)]
    failures = [0] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for request in streams[i]:
                if request is None:
                    break
                method, path, body, headers = request
                started = time.perf_counter()
                try:
                    conn.request(method, path, body, headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    failures[i] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    continue
                if not 200 <= response.status < 300:
                    statuses[i][response.status] = statuses[i].get(response.status, 0) + 1
                samples[i].append((time.perf_counter() - started) * 1000)
        except BaseException as error:  # a failing worker spoils the fill: surface it
            errors.append(error)
        finally:
            conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} load thread(s) failed: {errors[0]!r}") from errors[0]
    merged: dict[int, int] = {}
    for per in statuses:
        for code, count in per.items():
            merged[code] = merged.get(code, 0) + count
    kept = [x for per in samples for x in per]
    bad = sum(merged.values())
    return Result("fill", n, time.perf_counter() - began, kept, bad, merged, sum(failures),
                  answered_2xx=len(kept) - bad, sent=len(kept) + sum(failures))


WRK_SCRIPT = Path(__file__).with_name("bench_http.lua")


def wrk(port: int, kind: str, targets: Path, connections: int, seconds: float) -> dict[str, Any]:
    """One run of wrk (a thread per keep-alive connection, ``connections`` of them) with bench_http.lua."""
    env = {**os.environ, "BENCH_KIND": kind, "BENCH_TARGETS": str(targets), "BENCH_SLOTS": str(connections)}
    command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "60s",
               "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    fields = dict(part.split("=", 1) for line in finished.stdout.splitlines() if line.startswith("bench: ")
                  for part in line[len("bench: "):].split(" "))
    if finished.returncode != 0 or "requests" not in fields:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    latencies = [int(value) / 1000 for pair in filter(None, fields.get("latency_us", "").split(","))
                 for value, count in [pair.split(":")] for _ in range(int(count))]
    return {"seconds": int(fields["duration_us"]) / 1e6, "requests": int(fields["requests"]),
            "sent": int(fields["sent"]), "non_2xx": int(fields["non_2xx"]),
            "failures": int(fields["socket_errors"]), "latencies_ms": latencies}


def load(port: int, kind: str, targets: Path, connections: int, *, warmup: float, seconds: float, label: str,
         meter: CpuMeter) -> Result:
    """A warm-up run of wrk, then a measured one with the CPU meter around it."""
    warm = wrk(port, kind, targets, connections, warmup)
    meter.start()
    run = wrk(port, kind, targets, connections, seconds)
    cpu = meter.stop()
    non_2xx = warm["non_2xx"] + run["non_2xx"]
    answered = warm["requests"] + run["requests"] - non_2xx
    return Result(label, connections, run["seconds"], run["latencies_ms"], non_2xx,
                  {">399": non_2xx} if non_2xx else {}, warm["failures"] + run["failures"], cpu,
                  answered_2xx=answered, sent=warm["sent"] + run["sent"])


# ------------------------------------------------------------------------------------------------
# The workload
# ------------------------------------------------------------------------------------------------
@dataclass
class User:
    id: int
    token: str
    songs: list[int]  # the songs this user plays

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


JSON = {"Content-Type": "application/json"}


def ours_writes(users: list[User], rng: random.Random, budget: dict[int, int] | None = None
                ) -> Iterator[Request | None]:
    """POST /api/progress/log as each user in turn, +1 play on one of their songs.
    With ``budget`` (user id → writes wanted), stop when it is spent."""
    headers = [{**JSON, **u.auth} for u in users]
    i = 0
    while True:
        if budget is not None:
            users_left = [k for k, u in enumerate(users) if budget.get(u.id, 0) > 0]
            if not users_left:
                yield None
                return
            k = users_left[i % len(users_left)]
            budget[users[k].id] -= 1
        else:
            k = i % len(users)
        user = users[k]
        body = json.dumps({"title_id": rng.choice(user.songs), "delta": 1}).encode()
        yield "POST", "/api/progress/log", body, headers[k]
        i += 1


def split(users: list[User], connections: int) -> list[list[User]]:
    return [users[i::connections] for i in range(connections)]


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------
@dataclass
class Settings:
    seconds: float
    warmup: float
    connections: int
    users: int
    songs_per_user: int
    history_depth: int  # entries every user has before the history reads
    rounds: int

    @classmethod
    def for_args(cls, args: argparse.Namespace) -> "Settings":
        if args.quick:
            s = cls(seconds=2.0, warmup=0.5, connections=args.connections, users=64, songs_per_user=5,
                    history_depth=50, rounds=1)
        else:
            s = cls(seconds=10.0, warmup=2.0, connections=args.connections, users=320, songs_per_user=5,
                    history_depth=50, rounds=3)
        if args.seconds is not None:
            s.seconds = args.seconds
        if args.users is not None:
            s.users = args.users
        if args.rounds is not None:
            s.rounds = args.rounds
        s.users = max(s.users, s.connections)
        return s



def register_users(port: int, count: int, songs: list[int], songs_per_user: int, rng: random.Random,
                   prefix: str) -> list[User]:
    users: list[User | None] = [None] * count
    errors: list[str] = []
    picks = [rng.sample(songs, min(songs_per_user, len(songs))) for _ in range(count)]

    def register(indexes: range) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in indexes:
            body = json.dumps({"username": f"{prefix}{i}", "password": PASSWORD}).encode()
            conn.request("POST", "/api/auth/register", body, JSON)
            response = conn.getresponse()
            data = json.loads(response.read())
            if response.status != 201:
                errors.append(f"{response.status} {data}")
                return
            users[i] = User(data["user"]["id"], data["access_token"], picks[i])
        conn.close()

    workers = 4
    threads = [threading.Thread(target=register, args=(range(w, count, workers),)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"registration failed: {errors[0]}")
    return [u for u in users if u is not None]


def song_ids(port: int, url: str) -> tuple[list[int], str]:
    status, body = call(port, "GET", "/api/titles?kind=song&limit=100")
    if status == 200:
        songs = [t["id"] for t in body["items"] if t["kind"] == "song" and t["total_units"] is None]
        return songs, "GET /api/titles?kind=song"
    conn = raw_connect(url, autocommit=True)  # the catalog route is not there yet: read the ids from the database
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM titles WHERE kind = 'song' AND total_units IS NULL ORDER BY id")
        songs = [r[0] for r in cur.fetchall()]
    conn.close()
    return songs, f"the database (GET /api/titles answered {status})"


def main(argv: list[str] | None = None) -> int:
    """The set-up, then the measured parts in order, each appending its figures; the table."""
    args, settings = parse_args(argv)
    run_started = time.perf_counter()
    figures: list[Figure] = []
    with set_up(args, settings) as bench:
        measure_writes(bench, figures)                                  # [1]
        measure_writes_with_streams(bench, figures)
        check = check_log(bench, fill_history(bench))
        active = settle_log(bench)
        probe_history_page(bench)                                       # [2]
        measure_tracker_reads(bench, active, figures)
        measure_history_pages(bench, figures)
        check_figures(bench, check, figures)
    table = markdown_table(figures, ". Raw ceiling: the bare endpoint (Flask + waitress, same workers and threads, plain "
                                    "psycopg2) — `POST /log` for writes; for reads its `GET` routes running the same SQL "
                                    "as the service's queries, which build the JSON, passed on as it comes.")
    report_cpu(bench)
    report(table, run_started, args.markdown)
    return 0


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER,
                        help=f"a PostgreSQL server URL (default: DATABASE_URL, else {DEFAULT_SERVER})")
    parser.add_argument("--seconds", type=float, help="measured seconds per figure (default 10; --quick 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--users", type=int, help="users to register (default 320; --quick 64)")
    parser.add_argument("--rounds", type=int, help="rounds per figure, ours and bare alternating (default 3; "
                        "--quick 1); rates are the median round, latencies pool every round")
    parser.add_argument("--quick", action="store_true", help="~2 s per measurement: a smoke check under a minute")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes for the service and the bare endpoint alike (default: one per CPU, "
                             "as serve runs)")
    parser.add_argument("--threads", type=int, default=SERVE_THREADS,
                        help=f"waitress threads per worker, for both (default {SERVE_THREADS}, as serve runs)")
    parser.add_argument("--markdown", type=Path, help="also write the results table to this file")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("the load comes from wrk, which is not installed here (Debian: apt-get install wrk)")
    return args, Settings.for_args(args)


# ------------------------------------------------------------------------------------------------
# Set-up and teardown
# ------------------------------------------------------------------------------------------------
@dataclass
class Started:
    """What the set-up has started so far, for the teardown to stop."""
    workdir: Path
    service: subprocess.Popen | None = None
    bare: subprocess.Popen | None = None
    raw: Any = None  # a psycopg2 autocommit connection to the run's database


@dataclass
class Bench:
    """What the measurements share: the set-up, and the results so far."""
    settings: Settings
    workdir: Path
    port: int
    bare_port: int
    raw: Any
    users: list[User]
    rng: random.Random
    ours_meter: CpuMeter
    bare_meter: CpuMeter
    results: dict[str, Result] = field(default_factory=dict)
    busy_elsewhere: list[str] = field(default_factory=list)

    def targets(self, name: str, rows: list[tuple[User, list[int]]]) -> Path:
        """A file for bench_http.lua: a user, their token and their titles on each line."""
        path = self.workdir / f"{name}.targets"
        path.write_text("".join(f"{u.id} {u.token} {','.join(map(str, titles))}\n" for u, titles in rows))
        return path

    def compare(self, key: str, connections: int, kinds: tuple[str, str], labels: tuple[str, str],
                targets_file: Path) -> None:
        """Ours and the bare endpoint, ``settings.rounds`` rounds each, alternating which goes first."""
        settings = self.settings
        runs: dict[str, list[Result]] = {"ours": [], "bare": []}
        sides = [("ours", self.port, self.ours_meter, kinds[0], labels[0]),
                 ("bare", self.bare_port, self.bare_meter, kinds[1], labels[1])]
        for round_ in range(settings.rounds):
            for side, on_port, meter, kind, label in (sides if round_ % 2 == 0 else sides[::-1]):
                result = load(on_port, kind, targets_file, connections, warmup=settings.warmup,
                              seconds=settings.seconds, label=label, meter=meter)
                runs[side].append(result)
                if settings.rounds > 1:
                    log(result.line().replace("  ", f"  r{round_ + 1} ", 1))
                if result.cpu.get("other", 0) > 25:
                    self.busy_elsewhere.append(f"{label} ({connections} conn): other {result.cpu['other']:.0f}%")
                if result.cpu.get("steal", 0) > 10:
                    self.busy_elsewhere.append(f"{label} ({connections} conn): steal {result.cpu['steal']:.0f}%")
        for side, name in (("ours", key), ("bare", f"bare_{key}")):
            self.results[name] = Result.merged(runs[side])
            log(self.results[name].line())


@contextmanager
def set_up(args: argparse.Namespace, settings: Settings) -> Iterator[Bench]:
    """A fresh database with the service and the bare endpoint on it, and the users; afterwards, even
    on a failure, the servers stopped, the database dropped and the temporary folder removed."""
    server_url = args.database_url
    name = f"progress_http_{uuid.uuid4().hex[:10]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = raw_connect(server_url, autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    started = Started(Path(tempfile.mkdtemp(prefix="progress_http_")))
    try:
        log_server(server_url, name)
        log(f"settings: {settings}")
        yield start_run(started, url, args, settings)
    finally:
        stop_run(started)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(started.workdir, ignore_errors=True)


def start_run(started: Started, url: str, args: argparse.Namespace, settings: Settings) -> Bench:
    """The service, the bare endpoint beside it, the users (through the service) and the CPU meters."""
    env = {**os.environ, "PROGRESS_SERVICE_DATA_DIR": str(started.workdir / "data")}
    env.pop("DATABASE_URL", None)
    port = start_service(started, url, env, args)
    started.raw = raw = raw_connect(url, autocommit=True)
    bare_port = start_bare(started, url, env, args)
    rng = random.Random(42)
    users = make_users(port, url, settings, rng)
    with raw.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    try:  # PostgreSQL's CPU is measured when it runs on this machine
        postmaster = psutil.Process(backend).ppid()
    except psutil.Error:
        postmaster = None
    return Bench(settings, started.workdir, port, bare_port, raw, users, rng,
                 CpuMeter(started.service.pid, postmaster), CpuMeter(started.bare.pid, postmaster))


def start_service(started: Started, url: str, env: dict[str, str], args: argparse.Namespace) -> int:
    """``python -m progress_service serve`` on a free port, once ready; the port."""
    port = free_port()
    service_log = started.workdir / "service.log"
    command = [sys.executable, "-m", "progress_service", "serve", "--port", str(port), "--database-url", url,
               "--threads", str(args.threads), "--workers", str(args.workers)]
    began = time.perf_counter()
    with open(service_log, "wb") as out:
        started.service = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(port, started.service, service_log)
    log(f"service: {' '.join(command[1:])} (pid {started.service.pid}) ready in {time.perf_counter() - began:.1f} s")
    return port


def start_bare(started: Started, url: str, env: dict[str, str], args: argparse.Namespace) -> int:
    """The bare endpoint and its raw_events table, once ready; its port."""
    with started.raw.cursor() as cur:
        cur.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
    bare_port = free_port()
    bare_log = started.workdir / "bare.log"
    sql = {"insert": RAW_INSERT_SQL, "tracker": RAW_TRACKER_SQL, "history": RAW_HISTORY_SQL,
           "history_occurred": RAW_OCCURRED_SQL}
    with open(bare_log, "wb") as out:
        started.bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port), str(args.threads),
                                         json.dumps(psycopg2_kwargs(url)), json.dumps(sql), str(args.workers)],
                                        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(bare_port, started.bare, bare_log)
    log(f"bare endpoint: Flask + waitress ({args.workers} worker(s) x {args.threads} threads), psycopg2 pool of "
        f"{args.threads} autocommit connections, INSERT INTO raw_events (LIKE events INCLUDING ALL) "
        f"(pid {started.bare.pid})")
    return bare_port


def make_users(port: int, url: str, settings: Settings, rng: random.Random) -> list[User]:
    """``settings.users`` users registered through the service, each with songs of their own to play."""
    songs, source = song_ids(port, url)
    if not songs:
        raise RuntimeError("no songs in the catalog")
    began = time.perf_counter()
    users = register_users(port, settings.users, songs, settings.songs_per_user, rng,
                           prefix=f"h{uuid.uuid4().hex[:6]}_")
    log(f"{len(songs)} songs from {source}; {len(users)} users registered through POST /api/auth/register "
        f"in {time.perf_counter() - began:.1f} s, {settings.songs_per_user} songs each")
    return users


def stop_run(started: Started) -> None:
    """The teardown's first half: the raw connection closed, both servers stopped, a failed one's log shown."""
    if started.raw is not None:
        started.raw.close()
    stop(started.service)
    stop(started.bare)
    for process, logfile in ((started.service, started.workdir / "service.log"),
                             (started.bare, started.workdir / "bare.log")):
        if process is not None and process.returncode not in (0, -signal.SIGTERM, None):
            log(f"server pid {process.pid} exited with {process.returncode}:\n{tail(logfile)}")


# ------------------------------------------------------------------------------------------------
# The measured parts, in the order main runs them
# ------------------------------------------------------------------------------------------------
def measure_writes(bench: Bench, figures: list[Figure]) -> None:
    """[1]: ``POST /api/progress/log`` at ``--connections`` and at 1 connection, ours and bare."""
    settings, c = bench.settings, bench.settings.connections
    log(f"\n[1] log writes: {settings.rounds} round(s) of {settings.warmup:.1f} s warm-up + "
        f"{settings.seconds:.0f} s measured, ours and bare alternating")
    writers = bench.targets("writes", [(u, u.songs) for u in bench.users])
    for connections in dict.fromkeys((c, 1)):
        bench.compare(f"write{connections}", connections, ("write", "bare_write"),
                      ("POST /api/progress/log", "bare POST /log"), writers)
    for connections in dict.fromkeys((c, 1)):
        o, b = bench.results[f"write{connections}"], bench.results[f"bare_write{connections}"]
        conn_label = f"{connections} connection" + ("s" if connections > 1 else "")
        figures.append(Figure(f"`POST /api/progress/log` req/s, {conn_label}", o.rate, b.rate, "/s", True,
                              "≥ 0.5 of raw", o.rate / b.rate >= 0.5))
        figures.append(Figure(f"`POST /api/progress/log` p50, {conn_label}", o.p50, b.p50, "ms", False))
        figures.append(Figure(f"`POST /api/progress/log` p99, {conn_label}", o.p99, b.p99, "ms", False))


class FeedStreams:
    """``count`` open ``GET /api/events/stream`` connections (an admin's token), each read on a thread
    of its own, counting the events each receives."""

    def __init__(self, port: int, token: str, count: int, after: int):
        self.received = [0] * count
        self.connections: list[http.client.HTTPConnection] = []
        self.threads = []
        for i in range(count):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", f"/api/events/stream?after={after}", headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            if response.status != 200:
                raise RuntimeError(f"a feed stream answered {response.status}: {response.read()[:300]!r}")
            self.connections.append(conn)
            thread = threading.Thread(target=self._read, args=(i, response), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _read(self, i: int, response: http.client.HTTPResponse) -> None:
        try:
            for line in response:
                if line.startswith(b"id: "):
                    self.received[i] += 1
        except (OSError, ValueError, http.client.HTTPException):  # closed at the end of the measurement
            pass

    def close(self) -> None:
        for conn in self.connections:
            if conn.sock is not None:
                conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()


def measure_writes_with_streams(bench: Bench, figures: list[Figure], streams: int = 20) -> None:
    """[1b]: the writes of [1] at ``--connections``, in rounds without and with ``streams`` feed
    streams open (alternating, so both see the same machine), each stream receiving every event
    appended while it was open: the target is a rate within 10% of the rate without them."""
    c = bench.settings.connections
    admin = bench.users[0]
    with bench.raw.cursor() as cur:  # the streams need an admin's (or a service's) token
        cur.execute("UPDATE users SET role = 'admin' WHERE id = %s RETURNING username", (admin.id,))
        username = cur.fetchone()[0]
    status, answer = call(bench.port, "POST", "/api/auth/login", {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"the admin's login answered {status}: {answer}")
    token = answer["access_token"]
    log(f"\n[1b] log writes at {c} connections, rounds without and with {streams} feed streams open")
    writers = bench.targets("writes", [(u, u.songs) for u in bench.users])
    without_runs, with_runs, short, appended = [], [], [], 0
    for round_number in range(1, bench.settings.rounds + 1):
        without_runs.append(load(bench.port, "write", writers, c, warmup=bench.settings.warmup,
                                 seconds=bench.settings.seconds, label="POST /api/progress/log, no streams",
                                 meter=bench.ours_meter))
        log(without_runs[-1].line().replace("  ", f"  r{round_number} ", 1))
        status, page = call(bench.port, "GET", "/api/events?limit=1", token=token)
        open_streams = FeedStreams(bench.port, token, streams, page["high_water"])
        try:
            with_runs.append(load(bench.port, "write", writers, c, warmup=bench.settings.warmup,
                                  seconds=bench.settings.seconds,
                                  label=f"POST /api/progress/log, {streams} streams open",
                                  meter=bench.ours_meter))
            log(with_runs[-1].line().replace("  ", f"  r{round_number} ", 1))
            time.sleep(1)  # the streams catch up with the last writes
            with bench.raw.cursor() as cur:
                cur.execute("SELECT count(*) FROM events WHERE id > %s", (page["high_water"],))
                appended = cur.fetchone()[0]
            short += [n for n in open_streams.received if n < appended]
            log(f"  {appended} events appended while the streams were open; each stream received "
                f"{min(open_streams.received)}..{max(open_streams.received)}")
        finally:
            open_streams.close()
    without = bench.results[f"write{c}_without_streams"] = Result.merged(without_runs)  # counted in check_log
    result = bench.results[f"write{c}_streams"] = Result.merged(with_runs)
    log(without.line())
    log(result.line())
    figures.append(Figure(f"`POST /api/progress/log` req/s, {c} connections, {streams} feed streams open "
                          f"(raw: the same writes without them, in alternating rounds)", result.rate, without.rate,
                          "/s", True, "≥ 0.9 of without", result.rate / without.rate >= 0.9))
    figures.append(Figure(f"feed streams that missed an event appended while they were open (last round: "
                          f"{appended})", len(short), 0, "", False, "0", not short))


def fill_history(bench: Bench) -> int:
    """Every user topped up to ``history_depth`` entries, so history pages are full; the writes answered 2xx."""
    settings = bench.settings
    with bench.raw.cursor() as cur:
        cur.execute("SELECT user_id, count(*) FROM events GROUP BY user_id")
        have = dict(cur.fetchall())
    budget = {u.id: max(0, settings.history_depth - have.get(u.id, 0)) for u in bench.users}
    needed = sum(budget.values())
    if not needed:
        return 0
    started = time.perf_counter()
    fill = drive(bench.port, [ours_writes(g, random.Random(bench.rng.random()), budget)
                              for g in split(bench.users, settings.connections)])
    log(f"\nfill: {needed:,} more log writes so every user has ≥ {settings.history_depth} entries, in "
        f"{time.perf_counter() - started:.1f} s (non-2xx {fill.non_2xx}, failures {fill.failures})")
    if fill.non_2xx or fill.failures:
        raise RuntimeError(f"the fill had failures: {fill.statuses}")
    return fill.answered_2xx


@dataclass
class LogCheck:
    """The log after the writes: writes answered and sent on each side, what each log holds, and the
    streams whose versions or tracker_state row are off."""
    ours_201: int
    ours_sent: int
    logged: int      # progress_logged events in the service's log
    bare_201: int
    bare_sent: int
    bare_rows: int   # rows in raw_events
    gaps: int
    unlike: int


def check_log(bench: Bench, filled: int) -> LogCheck:
    """Nothing lost, versions contiguous, projections equal to the log."""
    # wrk stops with a request in flight on each connection: the server may still have written
    # it, so a write is lost when answered 2xx but not in the log, doubled when the log holds
    # more than was sent
    results = bench.results
    ours_201 = filled + sum(r.answered_2xx for k, r in results.items() if k.startswith("write"))
    bare_201 = sum(r.answered_2xx for k, r in results.items() if k.startswith("bare_write"))
    ours_sent = filled + sum(r.sent for k, r in results.items() if k.startswith("write"))
    bare_sent = sum(r.sent for k, r in results.items() if k.startswith("bare_write"))
    with bench.raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM events WHERE type = 'progress_logged'")
        logged = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM raw_events")
        bare_rows = cur.fetchone()[0]
        cur.execute("""
            WITH streams AS (
                SELECT user_id, title_id, count(*) AS n, min(version) AS low, max(version) AS high,
                       count(*) FILTER (WHERE type = 'progress_logged') AS plays
                FROM events GROUP BY user_id, title_id)
            SELECT count(*) FILTER (WHERE s.n <> s.high OR s.low <> 1),
                   count(*) FILTER (WHERE t.user_id IS NULL OR t.version <> s.high OR t.progress <> s.plays)
            FROM streams s LEFT JOIN tracker_state t USING (user_id, title_id)""")
        gaps, unlike = cur.fetchone()
    log(f"writes answered 2xx / sent: ours {ours_201:,} / {ours_sent:,}, progress_logged events in the log "
        f"{logged:,}; bare {bare_201:,} / {bare_sent:,}, rows in raw_events {bare_rows:,}; "
        f"streams with version gaps {gaps}, tracker_state rows unlike their stream (version, plays) {unlike}")
    return LogCheck(ours_201, ours_sent, logged, bare_201, bare_sent, bare_rows, gaps, unlike)


def settle_log(bench: Bench) -> list[tuple[int, int]]:
    """The log's size, then VACUUM ANALYZE as autovacuum would have by now; the active trackers."""
    with bench.raw.cursor() as cur:
        cur.execute("SELECT sum(n), count(*), min(n), max(n) FROM "
                    "(SELECT user_id, count(*) n FROM events GROUP BY user_id) x")
        events, streams_users, low, high = cur.fetchone()
        cur.execute("SELECT count(*), max(version) FROM tracker_state WHERE active")
        trackers, longest = cur.fetchone()
        cur.execute("SELECT user_id, title_id FROM tracker_state WHERE active")
        active = cur.fetchall()
        # as autovacuum would have by now: statistics and hint bits for the tables the reads use
        for table in ("events", "tracker_state", "tracker_versions", "titles"):
            cur.execute(f"VACUUM ANALYZE {table}")
    log(f"log: {events:,} events of {streams_users} users ({low}–{high} each), {trackers:,} trackers, "
        f"longest stream {longest} events")
    return active


def probe_history_page(bench: Bench) -> None:
    """[2]'s heading, with one history page read through the service to show it is full."""
    probe = bench.users[0]
    status, page = call(bench.port, "GET", f"/api/progress/{probe.id}/history?limit=50", token=probe.token)
    items = page["items"] if status == 200 else []
    log(f"\n[2] reads, as [1]; a history page "
        f"of user {probe.id}: {status}, {len(items)} entries over "
        f"{len({i['title']['id'] for i in items})} titles")


def measure_tracker_reads(bench: Bench, active: list[tuple[int, int]], figures: list[Figure]) -> None:
    """[2]: ``GET /api/progress/{u}/trackers/{t}`` of the active trackers, ours and bare (same SQL)."""
    by_id = {u.id: u for u in bench.users}
    trackers_file = bench.targets("trackers", [(by_id[user_id], [title_id]) for user_id, title_id in active
                                               if user_id in by_id])
    measure_read(bench, "tracker", ("GET /api/progress/{u}/trackers/{t}", "bare GET /tracker/{u}/{t} (same SQL)"),
                 trackers_file, "`GET …/trackers/{title_id}`", figures)


def measure_history_pages(bench: Bench, figures: list[Figure]) -> None:
    """[2]: ``GET /api/progress/{u}/history?limit=50`` of every user, in recorded and in occurred
    order, ours and bare (same SQL)."""
    targets = bench.targets("history", [(u, [0]) for u in bench.users])
    measure_read(bench, "history",
                 ("GET /api/progress/{u}/history?limit=50", "bare GET /history/{u}?limit=50 (same SQL)"),
                 targets, "`GET …/history?limit=50`", figures)
    measure_read(bench, "history_occurred",
                 ("GET /api/progress/{u}/history?order=occurred&limit=50",
                  "bare GET /history_occurred/{u}?limit=50 (same SQL)"),
                 targets, "`GET …/history?order=occurred&limit=50`", figures)


def measure_read(bench: Bench, key: str, labels: tuple[str, str], targets_file: Path, route: str,
                 figures: list[Figure]) -> None:
    """One read at ``--connections``, ours and bare, and its figures: rate, p50, p99."""
    c = bench.settings.connections
    bench.compare(key, c, (key, f"bare_{key}"), labels, targets_file)
    o, b = bench.results[key], bench.results[f"bare_{key}"]
    conns = f"{c} connection" + ("s" if c > 1 else "")
    figures.append(Figure(f"{route} req/s, {conns}", o.rate, b.rate, "/s", True))
    figures.append(Figure(f"{route} p50, {conns}", o.p50, b.p50, "ms", False))
    figures.append(Figure(f"{route} p99, {conns}", o.p99, b.p99, "ms", False, "< 25 ms", o.p99 < 25))


def check_figures(bench: Bench, check: LogCheck, figures: list[Figure]) -> None:
    """The checks over every measurement: failed requests, lost or doubled writes, streams unlike the log."""
    r = bench.results
    ours_bad = sum(v.non_2xx + v.failures for k, v in r.items() if not k.startswith("bare"))
    bare_bad = sum(v.non_2xx + v.failures for k, v in r.items() if k.startswith("bare"))
    figures.append(Figure("non-2xx answers or failed requests, all measurements (incl. warm-up)", ours_bad,
                          bare_bad, "count", False, "0", ours_bad == 0))
    ours_lost = max(0, check.ours_201 - check.logged) + max(0, check.logged - check.ours_sent)
    bare_lost = max(0, check.bare_201 - check.bare_rows) + max(0, check.bare_rows - check.bare_sent)
    figures.append(Figure("writes answered 2xx but not in the log, or in it more than sent", ours_lost,
                          bare_lost, "count", False, "0", ours_lost == 0))
    gaps_unlike = check.gaps + check.unlike
    figures.append(Figure("streams with version gaps + tracker_state rows unlike their stream", gaps_unlike,
                          None, "count", False, "0", gaps_unlike == 0))


def report_cpu(bench: Bench) -> None:
    """The CPU of every measured window, and a warning where something else kept the machine busy."""
    log(f"\nCPU over each measured window, % of one core ({os.cpu_count()} cores = {os.cpu_count() * 100}%); "
        "other = the machine's busy time not used by the client, the server or PostgreSQL:")
    for v in bench.results.values():
        log(f"  {v.label} ({v.connections} conn): " + ", ".join(f"{k} {x:.0f}%" for k, x in v.cpu.items())
            + f"; server {v.server_ms:.2f} ms CPU/request")
    if bench.busy_elsewhere:
        log("WARNING: something else kept the machine busy (> 25% of a core) during: "
            + "; ".join(bench.busy_elsewhere))


if __name__ == "__main__":
    sys.exit(main())
