"""The NATS relay (`python -m progress_service relay`, and `serve` with NATS_URL) against a real
nats-server of the test's own: every event arrives in the stream PROGRESS once, in feed order,
whatever happens to the broker or to the relay, and only one relay publishes at a time."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from progress_service import eventstore
from progress_service.db import Database
from progress_service.domain.events import NoteAdded, Recorded
from progress_service.domain.rules import AddNote, AddProgress, Rate, SetStatus
from progress_service.eventstore import Stream
from progress_service.relay import relay_lag
from progress_service.schema import prepare_schema
from progress_service.services import Trackers
from tests.broker import Nats
from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT, serving
from tests.helpers import get, post, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def nats_server(tmp_path) -> Iterator[Nats]:
    server = Nats(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def relay_db(new_database) -> Iterator[Database]:
    """A database of the test's own: the relay's checkpoint is one per database."""
    db = Database(new_database(), pool_size=8)
    prepare_schema(db)
    yield db
    db.dispose()


class Relay:
    """A `python -m progress_service relay` process, its output in a file."""

    def __init__(self, db: Database, server: Nats, log_path: Path):
        self.log_path = log_path
        env = {**os.environ, "PROGRESS_SERVICE_DATA_DIR": str(log_path.parent)}
        env.pop("DATABASE_URL", None)
        env.pop("NATS_URL", None)
        with log_path.open("a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "progress_service", "relay", "--database-url",
                                             db.url, "--nats-url", server.url], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def says(self, pattern: str) -> bool:
        assert self.process.poll() is None or self.process.returncode == -signal.SIGKILL, \
            "the relay exited:\n" + self.log
        return re.search(pattern, self.log) is not None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@contextlib.contextmanager
def relaying(db: Database, server: Nats, log_path: Path) -> Iterator[Relay]:
    relay = Relay(db, server, log_path)
    try:
        yield relay
    finally:
        relay.stop()


def a_user(db: Database) -> int:
    with db.transaction() as conn:
        return conn.execute(sa.text("INSERT INTO users (username, password_hash) VALUES (:name, '-') RETURNING id"),
                            {"name": f"relay_{uuid.uuid4().hex[:12]}"}).scalar_one()


def songs(db: Database, count: int) -> list[int]:
    with db.read() as conn:
        return list(conn.execute(sa.text("SELECT id FROM titles WHERE kind = 'song' AND owner_id IS NULL ORDER BY id "
                                         "LIMIT :n"), {"n": count}).scalars())


def append_notes(db: Database, events: int, *, per_stream: int = 100) -> None:
    """Append ``events`` notes straight to the log (the relay reads the log, not the projections)."""
    now = datetime.now(timezone.utc)
    title = songs(db, 1)[0]
    for _ in range(events // per_stream):
        stream = Stream(a_user(db), title)
        with db.transaction() as conn:
            eventstore.append(conn, stream, [Recorded(v, NoteAdded(f"note {v}"), now)
                                             for v in range(1, per_stream + 1)], expected_version=0)


def feed(db: Database) -> list[sa.Row]:
    """Every event of the log in feed order, as the table holds it."""
    with db.read() as conn:
        return conn.execute(sa.text("SELECT id, tx::text AS tx, user_id, title_id, version, type, data, occurred_at, "
                                    "recorded_at FROM events ORDER BY tx, id")).all()


def lag(db: Database) -> int | None:
    with db.read() as conn:
        return relay_lag(conn)


def assert_every_event_once_in_feed_order(db: Database, server: Nats) -> None:
    ids = [str(row.id) for row in feed(db)]
    messages = server.messages()
    assert len(messages) == len(ids)  # none twice
    assert [m.msg_id for m in messages] == ids  # none missing, in feed order


def test_every_event_arrives_once_in_feed_order_by_type_with_the_event_object(relay_db, nats_server, tmp_path):
    db = relay_db
    trackers = Trackers(db)
    user, (first, second) = a_user(db), songs(db, 2)
    trackers.log(user, first, [SetStatus("in_progress"), AddProgress(1)])
    trackers.log(user, second, [Rate(4.5)])
    trackers.log(user, first, [AddNote("the chorus stays with me")])
    assert lag(db) is None  # no relay has run on this database
    with relaying(db, nats_server, tmp_path / "relay.log") as relay:
        wait_until(lambda: nats_server.count() == len(feed(db)), 30, "the events so far in the stream")
        trackers.log(user, second, [AddProgress(3)])  # while it runs
        wait_until(lambda: lag(db) == 0 and nats_server.count() == len(feed(db)), 30,
                   "the relay catching up with the feed")
        assert relay.says(r"holds the lock: publishing from the feed's start")
    rows, messages = feed(db), nats_server.messages()
    assert [m.msg_id for m in messages] == [str(row.id) for row in rows]
    assert {row.type for row in rows} == {"tracker_added", "progress_logged", "rating_set", "note_added"}
    for row, message in zip(rows, messages):
        assert message.subject == f"progress.events.{row.type}"
        body = message.body
        assert (body["id"], body["user_id"], body["title_id"], body["version"], body["type"], body["data"]) == \
            (row.id, row.user_id, row.title_id, row.version, row.type, row.data)
        assert datetime.fromisoformat(body["occurred_at"]) == row.occurred_at
        assert datetime.fromisoformat(body["recorded_at"]) == row.recorded_at
        assert body["position"] == f"{row.tx}:{row.id}"
    assert any(m.body["data"].get("text") == "the chorus stays with me" for m in messages)


def test_nats_stopped_for_10_s_under_writes_loses_no_event_and_doubles_none(relay_db, nats_server, tmp_path):
    db = relay_db
    trackers = Trackers(db)
    user, titles = a_user(db), songs(db, 4)
    writing, written = threading.Event(), []
    writing.set()

    def write():
        while writing.is_set():
            for title in titles:
                written.extend(trackers.log(user, title, [AddProgress(1)]).entries)
            time.sleep(0.005)

    writer = threading.Thread(target=write)
    with relaying(db, nats_server, tmp_path / "relay.log") as relay:
        writer.start()
        try:
            wait_until(lambda: nats_server.count() >= 50, 30, "the first events in the stream")
            before = nats_server.count()
            nats_server.stop()
            stopped_at = len(written)
            time.sleep(10)  # the outage the relay must ride out, while the writer goes on
            assert len(written) > stopped_at + 100  # the log grew while NATS was down
            nats_server.start()  # the same port and store
            wait_until(lambda: nats_server.count() > before, 30, "the relay publishing again")
        finally:
            writing.clear()
            writer.join(timeout=30)
        wait_until(lambda: lag(db) == 0 and nats_server.count() >= len(feed(db)), 30,
                   "the relay catching up with the feed")
        assert relay.says(r"lost NATS at nats://127\.0\.0\.1:\d+")
        assert relay.says(r"has NATS at nats://127\.0\.0\.1:\d+ back after")
    assert len(feed(db)) == len(written)
    assert_every_event_once_in_feed_order(db, nats_server)


def test_a_relay_killed_between_the_acks_and_its_checkpoint_resumes_from_it_with_no_gap_and_no_duplicate(
        relay_db, nats_server, tmp_path):
    db = relay_db
    with relaying(db, nats_server, tmp_path / "first.log") as first:
        wait_until(lambda: lag(db) is not None, 30, "the relay's checkpoint at the feed's start")
        with db.transaction() as holding:
            # Keep the checkpoints from changing (a table lock: it holds no transaction id, so the feed flows):
            # the relay publishes its first batch, has the acks, and waits to record them.
            holding.execute(sa.text("LOCK TABLE relay_checkpoints IN SHARE MODE"))
            holder = holding.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            append_notes(db, 2000)
            wait_until(lambda: waiting_for(db, holder), 30, "the relay waiting to record its checkpoint")
            published = nats_server.count()
            assert 0 < published < 2000
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            # Its session goes as PostgreSQL would end it once it saw the client gone, the checkpoint unrecorded.
            with db.read() as conn:
                ended = conn.execute(sa.text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                                             "WHERE :holder = ANY(pg_blocking_pids(pid))"), {"holder": holder})
                assert ended.scalars().all() == [True]  # gone before the lock is let go
    assert lag(db) == 2000  # the checkpoint is still at the start: none of the published batch was recorded
    assert nats_server.count() == published
    with relaying(db, nats_server, tmp_path / "second.log") as second:
        wait_until(lambda: lag(db) == 0, 30, "the restarted relay catching up with the feed")
        assert second.says(r"publishing from the feed's start")
    assert_every_event_once_in_feed_order(db, nats_server)  # the batch published again was dropped by its Msg-Ids


def waiting_for(db: Database, holder: int) -> bool:
    """Whether a session waits for a lock the session ``holder`` holds."""
    with db.read() as conn:
        return conn.execute(sa.text("SELECT EXISTS (SELECT FROM pg_stat_activity "
                                    "WHERE :holder = ANY(pg_blocking_pids(pid)))"), {"holder": holder}).scalar()


def test_of_two_relays_started_at_once_one_publishes_and_the_other_takes_over_when_it_dies(
        relay_db, nats_server, tmp_path):
    db = relay_db
    append_notes(db, 1000)
    with relaying(db, nats_server, tmp_path / "one.log") as one, relaying(db, nats_server, tmp_path / "two.log") as two:
        wait_until(lambda: any(r.says("holds the lock") for r in (one, two))
                   and any(r.says("waits to take over") for r in (one, two)), 30, "one relay publishing, one waiting")
        publisher, waiter = (one, two) if one.says("holds the lock") else (two, one)
        assert not waiter.says("holds the lock")
        wait_until(lambda: lag(db) == 0, 30, "the first relay publishing the feed")
        assert nats_server.relay_clients() == [f"progress-service relay (process {publisher.process.pid})"]
        publisher.process.send_signal(signal.SIGKILL)
        publisher.process.wait(timeout=10)
        append_notes(db, 500)
        wait_until(lambda: waiter.says("takes over the lock"), 30, "the waiting relay taking over")
        wait_until(lambda: lag(db) == 0, 30, "the second relay publishing what came since")
        assert nats_server.relay_clients() == [f"progress-service relay (process {waiter.process.pid})"]
    assert_every_event_once_in_feed_order(db, nats_server)


def metrics_text(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
        return response.read().decode()


def test_serve_with_a_nats_url_relays_what_the_api_records_and_is_ready_while_nats_is_down(
        new_database, nats_server, tmp_path):
    with serving(new_database(), tmp_path, ADMIN, ADMIN_PASSWORD, environment={"NATS_URL": nats_server.url},
                 arguments=("--workers", "1")) as service:
        account = post(service.url + "/api/auth/register",
                       {"username": f"u_{uuid.uuid4().hex[:10]}", "password": "correct horse battery"})
        status, titles = get(service.url + "/api/titles?kind=song&limit=1")
        assert status == 200
        event = post(service.url + "/api/progress/log", {"title_id": titles["items"][0]["id"], "delta": 1},
                     account["access_token"])
        wait_until(lambda: str(event["id"]) in {m.msg_id for m in nats_server.messages()}, 30, "the entry in the stream")
        [published] = [m for m in nats_server.messages() if m.msg_id == str(event["id"])]
        assert published.subject == f"progress.events.{event['type']}"
        assert {key: published.body[key] for key in event} == event  # the event object the API answered
        wait_until(lambda: "progress_relay_lag_events 0.0" in metrics_text(service.url), 30, "relay lag 0 in /metrics")
        nats_server.stop()
        assert get(service.url + "/readyz")[0] == 200  # ready is about the database
