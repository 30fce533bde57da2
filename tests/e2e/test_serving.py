"""progress_service.prefork as a real process on loopback: workers share the connections evenly,
a worker that dies leaves the others taking new connections and is replaced, workers that keep
dying make it give up, and an error out of the app is problem+json. The app served is a small one
that answers with the pid of the worker that served the request."""
from __future__ import annotations

import collections
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from progress_service.prefork import DEATHS
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2

APP = """
import os, sys
from flask import Flask, Response
from progress_service.config import Config
from progress_service.prefork import serve

def broken():
    raise RuntimeError("the answer's body could not be made")
    yield b""

def large():  # 64 MB, more than the kernel's and waitress's buffers together
    for _ in range(64):
        yield bytes(1 << 20)

def make_app():
    if os.environ.get("PID_APP_FAILS"):
        raise RuntimeError("this app cannot start")
    app = Flask("pid")
    app.add_url_rule("/pid", "pid", lambda: str(os.getpid()))
    app.add_url_rule("/broken", "broken", lambda: Response(broken()))  # raises out of the app, inside waitress
    app.add_url_rule("/large", "large", lambda: Response(large()))
    return app

sys.exit(serve(make_app, host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]), threads=1,
               ident="pid", config=Config.from_env()))
"""


def start(tmp_path: Path, workers: int, environment: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-c", APP, str(port), str(workers)], cwd=ROOT,
                                   env={**os.environ, **(environment or {})}, stdout=log, stderr=subprocess.STDOUT)
    return process, port


def wait_served(process: subprocess.Popen, port: int, log: Path, but: int | None = None) -> int:
    """The pid of the worker that answers /pid, once one other than ``but`` does."""
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        conn = connect(port)
        try:
            pid = served_by(conn)
            if pid != but:
                return pid
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        assert time.monotonic() < deadline, "no worker answered within 30 s"
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path):
    process, port = start(tmp_path, WORKERS)
    wait_served(process, port, tmp_path / "serve.log")
    yield port
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def served_by(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/pid")
    response = conn.getresponse()
    assert response.status == 200
    return int(response.read())


def open_at_once(port: int, count: int) -> list[tuple[http.client.HTTPConnection, int]]:
    """``count`` keep-alive connections opened together, each with the worker that serves it."""
    def one(_):
        conn = connect(port)
        return conn, served_by(conn)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_connections_opened_together_are_shared_evenly_and_stay_with_their_worker(server):
    for _ in range(3):  # a race for accept() alone splits them evenly now and then, never three times running
        opened = open_at_once(server, 4 * WORKERS)

        assert sorted(collections.Counter(pid for _, pid in opened).values()) == [4] * WORKERS
        for conn, pid in opened:  # keep-alive: the next request on a connection goes to the same worker
            assert served_by(conn) == pid
            conn.close()


def test_when_a_worker_dies_the_others_take_every_new_connection(server):
    first = open_at_once(server, WORKERS)
    victim = first[0][1]
    for conn, _ in first:
        conn.close()
    os.kill(victim, signal.SIGKILL)

    opened = open_at_once(server, 3)  # more than one: a survivor must not wait for the dead worker's turn

    assert len(opened) == 3 and victim not in {pid for _, pid in opened}
    for conn, _ in opened:
        conn.close()


def test_workers_that_keep_dying_make_serve_give_up_with_status_1(tmp_path):
    process, port = start(tmp_path, 1)
    try:
        pid = wait_served(process, port, tmp_path / "serve.log")
        for _ in range(DEATHS - 1):  # each is replaced, after a growing pause
            os.kill(pid, signal.SIGKILL)
            pid = wait_served(process, port, tmp_path / "serve.log", but=pid)
        os.kill(pid, signal.SIGKILL)

        assert process.wait(timeout=15) == 1
    finally:
        process.kill()
    assert f"{DEATHS} deaths within 60 s; stopping" in (tmp_path / "serve.log").read_text()


def test_a_worker_that_cannot_start_makes_serve_stop_at_once_with_status_1(tmp_path):
    process, _ = start(tmp_path, WORKERS, {"PID_APP_FAILS": "1"})
    try:
        assert process.wait(timeout=30) == 1
    finally:
        process.kill()
    log = (tmp_path / "serve.log").read_text()
    assert "this app cannot start" in log and "before it began serving" in log


def test_an_error_raised_out_of_the_app_is_a_500_problem(server):
    broken, after = connect(server), connect(server)
    try:
        broken.request("GET", "/broken")
        response = broken.getresponse()

        assert response.status == 500 and response.getheader("Content-Type") == "application/problem+json"
        assert json.loads(response.read()) == {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                                               "detail": "Something went wrong on our side; it has been logged."}
        assert served_by(after) > 0  # and the workers serve on
    finally:
        broken.close()
        after.close()


def test_a_client_that_stops_reading_a_large_answer_does_not_hold_its_worker(tmp_path):
    process, port = start(tmp_path, 1, {"PROGRESS_SERVICE_IDLE_TIMEOUT": "1"})
    try:
        wait_served(process, port, tmp_path / "serve.log")
        with socket.create_connection(("127.0.0.1", port)) as stalled:
            stalled.sendall(b"GET /large HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # and reads none of it
            started = time.monotonic()
            conn = connect(port)  # the one worker's one thread is writing to the stalled client
            try:
                assert served_by(conn) > 0
            finally:
                conn.close()
            assert time.monotonic() - started < 5

            stalled.settimeout(10)
            received = 0
            try:
                while chunk := stalled.recv(1 << 20):
                    received += len(chunk)
            except ConnectionResetError:
                pass
            assert received < 64 << 20  # let go: what it had not read is dropped
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
