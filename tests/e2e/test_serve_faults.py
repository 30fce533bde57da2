"""`python -m progress_service serve` with 2 workers, as a stranger meets it from outside: a burst
of fresh connections."""
from __future__ import annotations

import http.client
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, Service, serving

pytestmark = pytest.mark.e2e

WORKERS = 2


@pytest.fixture(scope="module")
def database(new_database) -> str:
    return new_database()


@pytest.fixture(scope="module")
def service(database, tmp_path_factory) -> Service:
    with serving(database, tmp_path_factory.mktemp("faults"), ADMIN, ADMIN_PASSWORD,
                 arguments=("--workers", str(WORKERS))) as service:
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
