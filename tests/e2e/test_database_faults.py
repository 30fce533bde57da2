"""A real `serve` (2 workers) on a PostgreSQL of the test's own, which the test restarts under
writes and freezes behind a proxy: nothing written is lost or doubled, a hung database is a 503
within seconds while /healthz answers, and the service serves again the moment the database does."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psutil
import pytest
import sqlalchemy as sa

from tests.e2e.postgres import own_postgres
from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT, serving
from tests.helpers import wait_until
from tests.proxy import FreezableProxy

pytestmark = pytest.mark.e2e


def call(url: str, method: str, path: str, body: dict | None = None, *, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, dict, str]:
    """(status, JSON body, content type) of one request on a connection of its own."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, method=method, data=data,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get_content_type()


def register(url: str) -> dict:
    """A new account's bearer header."""
    status, body, _ = call(url, "POST", "/api/auth/register",
                           {"username": f"u_{uuid.uuid4().hex[:10]}", "password": "correct horse battery"})
    assert status == 201, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def a_song(url: str) -> int:
    status, body, _ = call(url, "GET", "/api/titles?kind=song&limit=1")
    assert status == 200, body
    return body["items"][0]["id"]


def keys_in_log(database_url: str) -> list[str]:
    """The Idempotency-Key of every progress_logged event, as many times as the log holds it."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT metadata->>'idempotency_key' FROM events "
                                             "WHERE type = 'progress_logged'")).scalars())
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """A person logging +1 after +1 over one keep-alive connection, retrying a write that failed with
    the same Idempotency-Key until it is answered 2xx, as a careful client does."""

    def __init__(self, url: str, song: int):
        super().__init__(daemon=True)
        self.address = urlsplit(url)
        self.headers = {**register(url), "Content-Type": "application/json"}
        self.body = json.dumps({"title_id": song, "delta": 1})
        self.answers: list[tuple[float, int]] = []  # (sent at, status; 0: no answer) of every attempt
        self.saved: list[str] = []  # the key of every write answered 2xx
        self.unexpected: list[str] = []
        self.stop = threading.Event()
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=10)
        conn.connect()
        return conn

    def run(self) -> None:
        give_up = time.monotonic() + 120
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            while time.monotonic() < give_up:
                sent = time.monotonic()
                status = self._post(key)
                self.answers.append((sent, status))
                if 200 <= status < 300:
                    self.saved.append(key)
                    break
                if status not in (0, 503):
                    self.unexpected.append(f"{status} for a +1")
                    self.stop.set()
                    break
                time.sleep(0.05)
            else:
                self.unexpected.append(f"no 2xx for the write {key} within 120 s")
                break
        self.conn.close()

    def _post(self, key: str) -> int:
        try:
            self.conn.request("POST", "/api/progress/log", self.body, {**self.headers, "Idempotency-Key": key})
            response = self.conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = self._connect()
            return 0

    def answered_since(self, moment: float) -> int:
        return sum(1 for sent, status in self.answers if sent >= moment and 200 <= status < 300)


def workers_holding(port: int, writers: list[Writer]) -> set[int]:
    """The processes on the server's side of the writers' connections."""
    ours = {writer.conn.sock.getsockname()[1] for writer in writers}
    return {c.pid for c in psutil.net_connections("tcp")
            if c.laddr.port == port and c.raddr and c.raddr.port in ours}


def test_a_database_restart_under_writes_loses_none_doubles_none_and_no_worker_answers_503_after(tmp_path):
    with own_postgres(tmp_path / "pg") as pg, \
            serving(pg.url, tmp_path, ADMIN, ADMIN_PASSWORD, arguments=("--workers", "2")) as service:
        url = service.url
        song = a_song(url)
        writers = [Writer(url, song) for _ in range(4)]
        for writer in writers:
            writer.start()
        wait_until(lambda: all(len(w.saved) >= 5 for w in writers), 60, "5 writes from every writer")
        # serve shares the four keep-alive connections between its two workers, so both are writing
        assert len(workers_holding(urlsplit(url).port, writers)) == 2

        pg.restart()
        back = time.monotonic()
        wait_until(lambda: all(w.answered_since(back) >= 5 for w in writers), 60,
                   "5 writes from every writer after the restart")
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(timeout=30)
            assert not writer.is_alive() and not writer.unexpected, writer.unexpected

        assert any(status != 201 for w in writers for _, status in w.answers), "the restart failed no write"
        # once the database was back, the first request on each worker, and every one after, succeeded
        after = [status for w in writers for sent, status in w.answers if sent >= back]
        assert after and all(status == 201 for status in after), after
        saved = sorted(key for w in writers for key in w.saved)
        assert sorted(keys_in_log(pg.url)) == saved  # every write once: none lost, none doubled
        verify = subprocess.run([sys.executable, "-m", "progress_service", "verify", "--database-url", pg.url],
                                cwd=ROOT, env={**os.environ, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path)},
                                capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0, verify.stdout + verify.stderr


class HealthPoller(threading.Thread):
    """GET /healthz on a new connection every 0.1 s, each given 1 s."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.answers, self.stop = url, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                status = call(self.url, "GET", "/healthz", timeout=1)[0]
            except OSError as error:
                status = repr(error)
            self.answers.append((status, time.monotonic() - started))
            time.sleep(0.1)


def test_a_hung_database_is_a_503_within_seconds_while_healthz_answers_and_requests_succeed_once_it_thaws(tmp_path):
    # statement_timeout 2 s: a round trip waits 3 s at most, opening a connection 2 s. One thread per
    # worker, as serve runs by default: /healthz is answered by the worker's loop, never queued
    # behind a request waiting on the database.
    environ = {"PROGRESS_SERVICE_STATEMENT_TIMEOUT": "2", "PROGRESS_SERVICE_CONNECT_TIMEOUT": "2"}
    with own_postgres(tmp_path / "pg") as pg, FreezableProxy(pg.url) as proxy, \
            serving(proxy.url, tmp_path, ADMIN, ADMIN_PASSWORD, arguments=("--workers", "2"),
                    environment=environ) as service:
        url = service.url
        headers, song = register(url), a_song(url)
        assert call(url, "POST", "/api/progress/log", {"title_id": song, "delta": 1}, headers=headers)[0] == 201
        assert call(url, "GET", "/readyz")[0] == 200
        poller = HealthPoller(url)
        poller.start()
        try:
            proxy.freeze()
            key = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            # other requests wait on the database meanwhile, one on each worker's only thread
            with ThreadPoolExecutor(2) as pool:
                waiting = [pool.submit(call, url, "GET", "/api/users/me", headers=headers) for _ in range(2)]
                started = time.monotonic()
                status, problem, kind = call(url, "POST", "/api/progress/log", {"title_id": song, "delta": 1},
                                             headers=key)
                assert (status, kind) == (503, "application/problem+json"), problem
                assert "database" in problem["detail"]
                # 3 s at most, behind at most one request that waits as long, and room for a busy machine
                assert time.monotonic() - started < 8
                assert {future.result()[0] for future in waiting} == {503}

            started = time.monotonic()
            status, problem, kind = call(url, "GET", "/readyz")
            assert (status, kind) == (503, "application/problem+json"), problem
            assert time.monotonic() - started < 4  # 1 s for SELECT 1 on an open connection, else 2 s to connect

            proxy.thaw()
            # the same write again, with its key: it appends once, whatever became of the first try
            assert call(url, "POST", "/api/progress/log", {"title_id": song, "delta": 1}, headers=key)[0] == 201
            assert call(url, "GET", "/readyz")[0] == 200
            assert call(url, "POST", "/api/progress/log", {"title_id": song, "delta": 1}, headers=headers)[0] == 201
            assert keys_in_log(pg.url).count(key["Idempotency-Key"]) == 1
        finally:
            poller.stop.set()
            poller.join(timeout=5)
        assert len(poller.answers) >= 20
        late = [(status, round(took, 2)) for status, took in poller.answers if status != 200 or took >= 1]
        assert not late, late
