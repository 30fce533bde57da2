#!/usr/bin/env python
"""The serving layer from outside: load and faults against `serve`, or against gunicorn for comparison.

    python scripts/bench_serving.py [--database-url SERVER_URL] [--seconds 5] [--workers 2] [--threads 1]
                                    [--gunicorn PATH_TO_GUNICORN]

It makes a fresh database on the server (DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres),
prepares it with ``create-admin``, and starts the service on a free loopback port: ``python -m
progress_service serve`` (waitress in its pre-forked workers), or with ``--gunicorn`` that gunicorn
running ``progress_service:create_app()`` in gthread workers (``-k gthread``, the same workers and
threads, ``--keep-alive`` as PROGRESS_SERVICE_IDLE_TIMEOUT). It registers 64 users with 5 songs
each (as scripts/bench_http.py does) and measures, in this order:

- load from wrk with scripts/bench_http.lua: ``POST /api/progress/log`` at 16 connections and at 1,
  ``GET .../trackers/{t}`` at 16, ``--seconds`` each after a 1 s warm-up;
- a burst: 64 writes on fresh connections (each left open) while 2 clients hold idle keep-alive
  connections: the slowest answer;
- an idle flood: 300 connections that send nothing: how long a fresh request then takes, and when
  the server has closed the idle ones;
- slow clients: 100 connections sending a header a byte every 0.2 s: a fresh request, and when the
  server has closed them;
- a body of 12.5 MB to ``POST /api/auth/login``: status, content type, time;
- a request line that is not HTTP: status and content type;
- a worker killed (SIGKILL) under 8 writing clients: how long until a new worker serves, and
  whether the other clients' requests failed meanwhile.

The fault timeouts of `serve` are its defaults (idle 15 s, request 10 s); a wait is cut at 30 s.
It prints what it saw; it is a benchmark, not a test, and exits 0 unless something fails outright.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from bench_http import (DEFAULT_SERVER, JSON, REPO, free_port, percentile, raw_connect, register_users, song_ids,
                        stop, tail, wait_ready, wrk)
from sqlalchemy.engine import make_url

from progress_service.config import Config
from tests.e2e.serving import closed_within

CUT = 30.0  # seconds: the longest any wait for the server is allowed
CRLF = b"\r\n"


def start_server(args: argparse.Namespace, url: str, workdir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PROGRESS_SERVICE_DATA_DIR": str(workdir / "data")}
    env.pop("DATABASE_URL", None)
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", "bench_admin", "--password",
                           "bench admin password", "--database-url", url], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    if made.returncode != 0:
        raise RuntimeError(made.stdout + made.stderr)
    if args.gunicorn:
        command = [args.gunicorn, "-k", "gthread", "-w", str(args.workers), "--threads", str(args.threads),
                   "--keep-alive", str(Config().idle_timeout), "--backlog", "1024", "-b", f"127.0.0.1:{port}",
                   "progress_service:create_app()"]
        env["DATABASE_URL"] = url
    else:
        command = [sys.executable, "-m", "progress_service", "serve", "--port", str(port), "--database-url", url,
                   "--workers", str(args.workers), "--threads", str(args.threads)]
    print(f"server: {' '.join(command)}", flush=True)
    log_path = workdir / "server.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(port, process, log_path)
    return process


def post_write(port: int, user, conn: http.client.HTTPConnection | None = None, key: str | None = None) -> float:
    """One +1 write; the seconds it took (raises on a failure or a non-2xx)."""
    started = time.monotonic()
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=CUT)
    headers = {**JSON, **user.auth, **({"Idempotency-Key": key} if key else {})}
    try:
        conn.request("POST", "/api/progress/log", json.dumps({"title_id": user.songs[0], "delta": 1}), headers)
        response = conn.getresponse()
        response.read()
    finally:
        if own:
            conn.close()
    if response.status >= 300:
        raise RuntimeError(f"a write answered {response.status}")
    return time.monotonic() - started


def fresh_request(port: int) -> str:
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CUT)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
        conn.close()
        return f"{status} in {time.monotonic() - started:.2f} s"
    except (OSError, http.client.HTTPException) as error:
        return f"failed after {time.monotonic() - started:.2f} s ({error.__class__.__name__})"


def closed_after(sockets: list[socket.socket], trickle: float | None = None) -> str:
    closed, seconds = closed_within(sockets, CUT, trickle)
    if len(closed) < len(sockets):
        return f"{len(sockets) - len(closed)} of {len(sockets)} still open after {CUT:.0f} s"
    return f"all closed by the server within {seconds:.1f} s"


def burst(port: int, users) -> str:
    tabs = [http.client.HTTPConnection("127.0.0.1", port, timeout=CUT) for _ in range(2)]
    for tab in tabs:
        tab.request("GET", "/healthz")
        tab.getresponse().read()
    time.sleep(0.5)  # the tabs are quiet when the burst comes
    kept: list[http.client.HTTPConnection] = []

    def one(i: int) -> float | None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CUT)
        kept.append(conn)
        try:
            return post_write(port, users[i % len(users)], conn)
        except (OSError, http.client.HTTPException, RuntimeError):
            return None

    with ThreadPoolExecutor(64) as pool:
        took = list(pool.map(one, range(64)))
    for conn in kept + tabs:
        conn.close()
    answered = [t for t in took if t is not None]
    return f"{len(answered)}/64 answered, slowest {max(answered, default=0):.2f} s"


def flood(port: int, count: int, trickle: float | None) -> tuple[str, str]:
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    if trickle is not None:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    try:
        with ThreadPoolExecutor(1) as pool:
            fresh = pool.submit(lambda: (time.sleep(0.5), fresh_request(port))[1])
            closing = closed_after(sockets, trickle)
            return fresh.result(), closing
    finally:
        for sock in sockets:
            sock.close()


def raw(port: int, data: bytes) -> str:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=CUT) as sock:
        try:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.read()
        except OSError as error:
            return f"failed after {time.monotonic() - started:.2f} s ({error.__class__.__name__})"
        return (f"{response.status} {response.getheader('Content-Type')} "
                f"in {time.monotonic() - started:.2f} s")


def large_body(port: int) -> str:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CUT)
    try:
        conn.request("POST", "/api/auth/login", b"x" * 12_500_000, JSON)
        response = conn.getresponse()
        body = response.read()
        return (f"{response.status} {response.getheader('Content-Type')}, {len(body):,} bytes back, "
                f"in {time.monotonic() - started:.2f} s")
    except (OSError, http.client.HTTPException) as error:
        return f"failed after {time.monotonic() - started:.2f} s ({error.__class__.__name__})"
    finally:
        conn.close()


def killed_worker(port: int, server: subprocess.Popen, users) -> str:
    supervisor = psutil.Process(server.pid)
    before = {child.pid for child in supervisor.children()}
    stopping, failed, slowest = threading.Event(), [0], [0.0]

    def client(user) -> None:
        conn = None
        while not stopping.is_set():
            key = uuid.uuid4().hex
            while not stopping.is_set():
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=CUT)
                try:
                    slowest[0] = max(slowest[0], post_write(port, user, conn, key))
                    break
                except (OSError, http.client.HTTPException, RuntimeError):
                    failed[0] += 1
                    conn.close()
                    conn = None
        if conn:
            conn.close()

    threads = [threading.Thread(target=client, args=(user,)) for user in users[:8]]
    for thread in threads:
        thread.start()
    time.sleep(1)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    while len({child.pid for child in supervisor.children()} - {victim}) < len(before):
        if time.monotonic() > killed + CUT:
            break
        time.sleep(0.01)
    replaced = time.monotonic() - killed
    time.sleep(1)
    stopping.set()
    for thread in threads:
        thread.join()
    new = {child.pid for child in supervisor.children()} - before
    return (f"{'replaced' if new else 'NOT replaced'} after {replaced:.2f} s; {failed[0]} failed requests "
            f"(retried with their Idempotency-Key), slowest write {slowest[0]:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per load figure (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--gunicorn", help="the gunicorn executable to measure instead of serve")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("the load comes from wrk, which is not installed here (Debian: apt-get install wrk)")
    name = f"progress_serving_{uuid.uuid4().hex[:10]}"
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    admin = raw_connect(args.database_url, autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    workdir = Path(tempfile.mkdtemp(prefix="progress_serving_"))
    server = None
    try:
        port = free_port()
        server = start_server(args, url, workdir, port)
        songs, _ = song_ids(port, url)
        users = register_users(port, 64, songs, 5, random.Random(42), prefix=f"s{uuid.uuid4().hex[:6]}_")
        targets = workdir / "targets"
        targets.write_text("".join(f"{u.id} {u.token} {','.join(map(str, u.songs))}\n" for u in users))
        for kind, connections in (("write", 16), ("write", 1), ("tracker", 16)):
            wrk(port, kind, targets, connections, 1)
            run = wrk(port, kind, targets, connections, args.seconds)
            print(f"{kind} at {connections:>2} connections: {run['requests'] / run['seconds']:7,.0f} req/s, "
                  f"p50 {percentile(run['latencies_ms'], 50):6.2f} ms, p99 {percentile(run['latencies_ms'], 99):6.2f} ms, "
                  f"non-2xx {run['non_2xx']}, socket errors {run['failures']}", flush=True)
        print(f"burst of 64 fresh connections beside 2 idle ones: {burst(port, users)}", flush=True)
        fresh, closing = flood(port, 300, None)
        print(f"300 idle connections: a fresh request {fresh}; {closing}", flush=True)
        fresh, closing = flood(port, 100, 0.2)
        print(f"100 slow clients: a fresh request {fresh}; {closing}", flush=True)
        print(f"12.5 MB login body: {large_body(port)}", flush=True)
        print(f"malformed request line: {raw(port, b'GE T / HTTP/1.1' + CRLF + b'Host: x' + CRLF + CRLF)}", flush=True)
        print(f"worker killed under 8 writing clients: {killed_worker(port, server, users)}", flush=True)
    finally:
        stop(server)
        if server is not None and server.returncode not in (0, None):
            print(tail(workdir / "server.log"), file=sys.stderr)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
