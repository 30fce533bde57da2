"""progress_service.serving as a real process on loopback: workers share the connections evenly,
and a worker that dies leaves the others taking new connections. The app served is a small one
that answers with the pid of the worker that served the request."""
from __future__ import annotations

import collections
import http.client
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.test_serve import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2

APP = """
import os, sys
from flask import Flask
from progress_service.serving import serve

def make_app():
    app = Flask("pid")
    app.get("/pid")(lambda: str(os.getpid()))
    return app

serve(make_app, host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]), threads=1, ident="pid")
"""


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-c", APP, str(port), str(WORKERS)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        conn = connect(port)
        try:
            served_by(conn)
            break
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.1)
        finally:
            conn.close()
    yield port
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    log.close()


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
