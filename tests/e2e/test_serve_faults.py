"""`python -m progress_service serve` with 2 workers, as a stranger meets it from outside: a burst
of fresh connections, floods of idle and of slow connections, more connections than it takes, a
body too large, bytes that are not HTTP, and a worker killed under write load. The server's
timeouts are made small (through the configuration keys) so that its closing shows within a test."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psutil
import pytest
import sqlalchemy as sa

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, Service, closed_within, serving

pytestmark = pytest.mark.e2e

WORKERS = 2
IDLE_TIMEOUT = REQUEST_TIMEOUT = 2  # seconds
CONNECTION_LIMIT = 200  # per worker: twice the 100 a worker took before, with room for the idle flood
MAX_BODY_BYTES = 1_048_576  # the default
IMPORT_MAX_BYTES = 20_971_520  # the default for an imported file


@pytest.fixture(scope="module")
def database(new_database) -> str:
    return new_database()


@pytest.fixture(scope="module")
def service(database, tmp_path_factory) -> Service:
    environment = {"PROGRESS_SERVICE_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
                   "PROGRESS_SERVICE_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
                   "PROGRESS_SERVICE_CONNECTION_LIMIT": str(CONNECTION_LIMIT)}
    with serving(database, tmp_path_factory.mktemp("faults"), ADMIN, ADMIN_PASSWORD, environment,
                 ("--workers", str(WORKERS))) as service:
        yield service


@dataclass(frozen=True)
class Writer:
    user_id: int
    token: str
    songs: list[int]


def call(port: int, method: str, path: str, body=None, *, token: str | None = None, headers: dict | None = None,
         conn: http.client.HTTPConnection | None = None) -> tuple[int, http.client.HTTPResponse, object]:
    """One request (on ``conn``, else on a connection of its own): status, response, JSON body."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        if own:
            conn.close()
    return response.status, response, json.loads(data) if data else None


def register(port: int) -> Writer:
    status, _, answer = call(port, "POST", "/api/auth/register",
                             {"username": f"u{uuid.uuid4().hex[:12]}", "password": "a stranger's password"})
    assert status == 201, answer
    _, _, titles = call(port, "GET", "/api/titles?kind=song&limit=20")
    return Writer(answer["user"]["id"], answer["access_token"], [title["id"] for title in titles["items"]])


def timed_health(port: int) -> tuple[int, float]:
    """GET /healthz on a fresh connection: its status and how long it took."""
    started = time.monotonic()
    status, _, _ = call(port, "GET", "/healthz")
    return status, time.monotonic() - started


def assert_problem(response: http.client.HTTPResponse, body, status: int) -> None:
    assert response.status == status
    assert response.getheader("Content-Type") == "application/problem+json"
    assert set(body) == {"type", "title", "status", "detail"} and body["status"] == status
    assert body["detail"].endswith(".") and len(body["detail"].split()) > 4  # a sentence


def test_64_writes_on_fresh_connections_all_answer_within_2_s(service):
    writer = register(service.port)
    # two clients hold keep-alive connections open between requests, as open browser tabs do;
    # the writes come while the tabs are quiet, after a pause as between a person's clicks
    tabs = [http.client.HTTPConnection("127.0.0.1", service.port, timeout=20) for _ in range(2)]
    for tab in tabs:
        assert call(service.port, "GET", "/healthz", conn=tab)[0] == 200
    time.sleep(0.5)
    kept: list[http.client.HTTPConnection] = []

    def write(index: int) -> tuple[int, float]:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=20)
        kept.append(conn)  # left open after its answer, as a client's keep-alive connection is
        status, _, _ = call(service.port, "POST", "/api/progress/log",
                            {"title_id": writer.songs[index % len(writer.songs)], "delta": 1},
                            token=writer.token, conn=conn)
        return status, time.monotonic() - started

    try:
        with ThreadPoolExecutor(64) as pool:
            answers = list(pool.map(write, range(64)))
    finally:
        for conn in kept + tabs:
            conn.close()

    assert [status for status, _ in answers] == [201] * 64
    slowest = max(seconds for _, seconds in answers)
    assert slowest < 2, f"the slowest of 64 writes took {slowest:.2f} s"


def test_an_idle_flood_locks_no_one_out_and_the_server_closes_it(service):
    flood = [socket.create_connection(("127.0.0.1", service.port)) for _ in range(300)]
    try:
        status, seconds = timed_health(service.port)
        assert status == 200 and seconds < 1, f"a fresh request took {seconds:.2f} s beside 300 idle connections"

        closed, _ = closed_within(flood, IDLE_TIMEOUT + 3)
        assert len(closed) == len(flood), f"{len(flood) - len(closed)} idle connections still open"
    finally:
        for sock in flood:
            sock.close()


def test_a_slow_client_flood_locks_no_one_out_and_each_gets_408(service):
    slow = [socket.create_connection(("127.0.0.1", service.port)) for _ in range(100)]
    try:
        for sock in slow:  # a request line, then a header that never ends, a byte every 0.2 s
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        with ThreadPoolExecutor(1) as pool:
            fresh = pool.submit(lambda: (time.sleep(0.5), timed_health(service.port))[1])
            started = time.monotonic()
            # the deadline, then up to as long again reading what the client still sends
            closed, _ = closed_within(slow, 2 * REQUEST_TIMEOUT + 3, trickle=0.2)
            took = time.monotonic() - started
            status, seconds = fresh.result()

        assert status == 200 and seconds < 1, f"a fresh request took {seconds:.2f} s beside 100 slow clients"
        assert len(closed) == len(slow), f"{len(slow) - len(closed)} slow connections still open after {took:.1f} s"
        for answer in closed.values():
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.split(b"\r\n")[0].endswith(b" 408 Request Timeout")
            assert b"Content-Type: application/problem+json" in head
            assert json.loads(body)["status"] == 408
    finally:
        for sock in slow:
            sock.close()


def test_past_the_connection_limit_a_new_connection_gets_503_at_once(service):
    held = [socket.create_connection(("127.0.0.1", service.port)) for _ in range(WORKERS * CONNECTION_LIMIT)]
    try:
        started = time.monotonic()
        status, response, body = call(service.port, "GET", "/healthz")
        seconds = time.monotonic() - started

        assert_problem(response, body, 503)
        assert response.getheader("Connection") == "close" and response.getheader("Retry-After") == "1"
        assert seconds < 1, f"the 503 took {seconds:.2f} s"
    finally:
        for sock in held:
            sock.close()


def answered_before_the_body(port: int, path: str, length: int, token: str | None = None):
    """Send a request's headers announcing a body of ``length`` bytes, and none of the body: only an
    answer that comes without reading it comes at all (the socket would time out otherwise)."""
    headers = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" \
              f"Content-Length: {length}\r\n" + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n"
    return raw_answer(port, headers.encode())


def test_a_body_over_the_limit_gets_413_naming_it_and_the_workers_serve_on(service):
    status, response, body = call(service.port, "POST", "/api/auth/login", b"x" * 12_500_000,
                                  headers={"Content-Type": "application/json"})
    assert_problem(response, body, 413)
    assert f"{MAX_BODY_BYTES:,} bytes" in body["detail"]
    response, body = answered_before_the_body(service.port, "/api/auth/login", 12_500_000)
    assert_problem(response, body, 413)  # refused on its length alone, before the body is read
    for _ in range(2 * WORKERS):
        status, seconds = timed_health(service.port)
        assert status == 200 and seconds < 1


def test_the_import_route_takes_a_file_past_the_body_limit_and_refuses_50_mb_naming_its_own(service):
    writer = register(service.port)
    path = f"/api/progress/{writer.user_id}/imports?format=spotify"
    status, response, body = call(service.port, "POST", path, b"[" + b" " * (50 * 1024 * 1024) + b"]",
                                  token=writer.token, headers={"Content-Type": "application/json"})
    assert_problem(response, body, 413)
    assert f"{IMPORT_MAX_BYTES:,} bytes" in body["detail"]
    response, body = answered_before_the_body(service.port, path, 50 * 1024 * 1024, writer.token)
    assert_problem(response, body, 413)  # refused on its length alone, before 50 MB are read
    # two megabytes: past every other route's limit, within an import's
    plays = json.dumps([{"endTime": f"2024-03-{1 + n // 1440:02} {n // 60 % 24:02}:{n % 60:02}", "artistName": "Queen",
                         "trackName": "Bohemian Rhapsody", "msPlayed": 180_000, "reasonEnd": "trackdone" * 20}
                        for n in range(6000)]).encode()
    assert MAX_BODY_BYTES < len(plays) < IMPORT_MAX_BYTES
    status, response, body = call(service.port, "POST", path, plays, token=writer.token,
                                  headers={"Content-Type": "application/json"})
    assert status == 201 and body["entries"] == 6000, body
    status, response, body = call(service.port, "POST", "/api/progress/log", plays, token=writer.token,
                                  headers={"Content-Type": "application/json"})
    assert_problem(response, body, 413)
    assert f"{MAX_BODY_BYTES:,} bytes" in body["detail"]


def test_a_file_of_more_than_ten_thousand_rows_is_carried_out_by_the_queue_serve_runs(service):
    writer = register(service.port)
    plays = json.dumps([{"endTime": f"2024-{1 + n // 1440 % 12:02}-{1 + n // 60 % 24:02} {n // 60 % 24:02}:{n % 60:02}",
                         "artistName": "Queen", "trackName": "Bohemian Rhapsody", "msPlayed": 180_000}
                        for n in range(10_001)]).encode()
    status, _, queued = call(service.port, "POST", f"/api/progress/{writer.user_id}/imports?format=spotify", plays,
                             token=writer.token, headers={"Content-Type": "application/json"})
    assert status == 202 and queued["state"] == "queued", queued
    deadline, landed = time.monotonic() + 90, queued
    while landed["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.5)
        _, _, landed = call(service.port, "GET", f"/api/progress/{writer.user_id}/imports/{queued['import_id']}",
                            token=writer.token)
    assert (landed["state"], landed["progress"], landed["entries"]) == ("done", 100, 10_001)


def raw_answer(port: int, data: bytes) -> tuple[http.client.HTTPResponse, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response, json.loads(response.read())


@pytest.mark.parametrize("data, status", [
    (b"GE T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),  # a malformed request line
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: many\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Large: " + b"a" * 300_000 + b"\r\n\r\n", 431),
])
def test_what_the_server_refuses_itself_is_problem_json(service, data, status):
    response, body = raw_answer(service.port, data)

    assert_problem(response, body, status)
    assert response.getheader("Connection") == "close"


def web_workers(supervisor: psutil.Process) -> set[int]:
    """The processes of `serve` that take HTTP connections: those holding the listening socket (the
    mail worker beside them does not)."""
    return {child.pid for child in supervisor.children()
            if any(conn.status == psutil.CONN_LISTEN for conn in child.net_connections("tcp"))}


def test_a_worker_killed_under_write_load_is_replaced_and_no_write_is_lost_or_doubled(service, database):
    writers = [register(service.port) for _ in range(8)]
    made = [0] * len(writers)
    retried = [0] * len(writers)
    errors: list[BaseException] = []
    kill_after = threading.Event()

    def write_many(index: int) -> None:
        writer, conn = writers[index], None
        try:
            for n in range(60):
                key = uuid.uuid4().hex  # a failed request is sent again with the same key
                deadline = time.monotonic() + 30
                while True:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", service.port, timeout=20)
                    try:
                        status, _, answer = call(service.port, "POST", "/api/progress/log",
                                                 {"title_id": writer.songs[n % 5], "delta": 1}, token=writer.token,
                                                 headers={"Idempotency-Key": key}, conn=conn)
                        if status in (200, 201):
                            break
                        assert status >= 500, answer
                    except (OSError, http.client.HTTPException):
                        pass
                    conn.close()
                    conn = None
                    retried[index] += 1
                    assert time.monotonic() < deadline, "a write failed for 30 s"
                made[index] += 1
                if n == 15:
                    kill_after.set()
        except BaseException as error:
            errors.append(error)
        finally:
            if conn:
                conn.close()

    supervisor = psutil.Process(service.process.pid)
    before = web_workers(supervisor)
    assert len(before) == WORKERS
    threads = [threading.Thread(target=write_many, args=(index,)) for index in range(len(writers))]
    for thread in threads:
        thread.start()
    assert kill_after.wait(30)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join(120)
    assert not errors, errors[0]

    deadline = time.monotonic() + 10
    while len(now := web_workers(supervisor)) < WORKERS:
        assert time.monotonic() < deadline, "the killed worker was not replaced within 10 s"
        time.sleep(0.05)
    assert victim not in now and len(now - before) == 1
    assert sum(retried) > 0  # the kill cut some writers' connections
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            logged = dict(conn.execute(sa.text(
                "SELECT user_id, count(*) FROM events WHERE user_id = ANY(:users) GROUP BY user_id"),
                {"users": [writer.user_id for writer in writers]}).all())
    finally:
        engine.dispose()
    assert [logged.get(writer.user_id, 0) for writer in writers] == made == [60] * len(writers)
