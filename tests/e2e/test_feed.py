"""The feed over HTTP against a real `serve` (2 workers): 16 writers whose commits land in any
order and 2 followers that each see every event exactly once, in one order; 20 open streams that
each get every event while ordinary requests go on being answered."""
from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT
from tests.helpers import get, post

pytestmark = pytest.mark.e2e

WRITERS, WRITES = 16, 25


def sign_up(server: str) -> tuple[int, str]:
    token = post(f"{server}/api/auth/register", {"username": f"feed_{uuid.uuid4().hex[:10]}",
                                                  "password": "correct horse battery"})["access_token"]
    return get(f"{server}/api/users/me", token)[1]["id"], token


def admin_token(server: str) -> str:
    return post(f"{server}/api/auth/login", {"username": ADMIN, "password": ADMIN_PASSWORD})["access_token"]


def a_show(server: str) -> int:
    return get(f"{server}/api/titles?kind=tv_show&limit=1")[1]["items"][0]["id"]


def write_all(server: str, users: list[tuple[int, str]], show: int) -> list[int]:
    """Each user adds WRITES notes at once with the others; the log ids the service gave."""
    def write(user: tuple[int, str]) -> list[int]:
        return [post(f"{server}/api/progress/log", {"title_id": show, "note": f"note {n}"}, user[1])["id"]
                for n in range(WRITES)]
    with ThreadPoolExecutor(len(users)) as pool:
        return [event_id for ids in pool.map(write, users) for event_id in ids]


def test_two_followers_see_every_event_of_16_writers_exactly_once_in_one_order(server):
    token, show = admin_token(server), a_show(server)
    start = get(f"{server}/api/events?limit=1", token)[1]["high_water"]
    users = [sign_up(server) for _ in range(WRITERS)]
    ids = {user_id for user_id, _ in users}
    seen: list[list[int]] = [[], []]

    def follow(into: list[int]) -> None:
        after, expected = start, WRITERS * WRITES
        deadline = time.monotonic() + 120
        while len(into) < expected and time.monotonic() < deadline:
            status, page = get(f"{server}/api/events?after={after}&limit=37&wait=2", token)
            assert status == 200, page
            into.extend(item["id"] for item in page["items"] if item["user_id"] in ids)
            after = page["next_after"]

    followers = [threading.Thread(target=follow, args=(into,)) for into in seen]
    for follower in followers:
        follower.start()
    written = write_all(server, users, show)
    for follower in followers:
        follower.join(timeout=150)
    assert len(written) == WRITERS * WRITES
    for into in seen:
        assert len(into) == len(set(into)) == len(written)  # none twice
        assert set(into) == set(written)  # none skipped
    assert seen[0] == seen[1]  # and the one order of the feed


def open_stream(server: str, token: str, after: int) -> http.client.HTTPResponse:
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", f"/api/events/stream?after={after}", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    return response


def read_events(response: http.client.HTTPResponse, ids: set[int], count: int) -> list[int]:
    """The ids of the events of ``ids``' users the stream sends, until ``count`` of them."""
    got: list[int] = []
    event: dict[str, str] = {}
    while len(got) < count:
        line = response.readline().decode().rstrip("\n")
        if line.startswith(("id:", "event:", "data:")):
            name, _, value = line.partition(": ")
            event[name] = value
        elif not line and "data" in event:
            body = json.loads(event["data"])
            assert int(event["id"]) == body["id"] and event["event"] == body["type"]
            if body["user_id"] in ids:
                got.append(body["id"])
            event = {}
    return got


def test_twenty_open_streams_each_get_every_event_and_ordinary_requests_still_answer(server):
    token, show = admin_token(server), a_show(server)
    start = get(f"{server}/api/events?limit=1", token)[1]["high_water"]
    users = [sign_up(server) for _ in range(4)]
    ids = {user_id for user_id, _ in users}
    streams = [open_stream(server, token, start) for _ in range(20)]
    with ThreadPoolExecutor(20) as readers:
        reading = [readers.submit(read_events, stream, ids, 4 * WRITES) for stream in streams]
        written = write_all(server, users, show)  # ordinary requests, with 20 streams open
        assert get(f"{server}/healthz")[0] == 200
        for future in reading:
            got = future.result(timeout=60)
            assert len(got) == len(set(got)) and set(got) == set(written)
    for stream in streams:
        stream.close()


def test_the_example_consumer_prints_each_event_once_and_resumes_from_its_file(server, tmp_path):
    token, show = admin_token(server), a_show(server)
    user_id, user_token = sign_up(server)
    state = tmp_path / "feed.position"

    def consume() -> list[str]:
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "follow_feed.py"), "--url", server, "--token",
                               token, "--state", str(state), "--once"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if f"user {user_id} " in line]

    post(f"{server}/api/progress/log", {"title_id": show, "note": "first"}, user_token)
    assert [line.split("  ")[-2:] for line in consume()] == [["note_added", '{"text": "first"}']]
    assert re.fullmatch(r"\d+:\d+", state.read_text())  # the place, as the feed's position
    post(f"{server}/api/progress/log", {"title_id": show, "note": "second"}, user_token)
    assert [line.split("  ")[-2:] for line in consume()] == [["note_added", '{"text": "second"}']]  # not first again
