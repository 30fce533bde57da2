"""User ids checked against a real user service on loopback before anything is written."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from progress_service.user_service import UserServiceClient
from progress_service.domain.rules import AddProgress
from progress_service.errors import ServiceUnavailable, UserNotFound
from progress_service.services import Trackers


class StubUserService:
    """Answers GET /users/{id}: 200 for known ids, 404 otherwise, slowly for ids in ``slow``."""

    def __init__(self):
        self.known: set[int] = set()
        self.slow: set[int] = set()
        self.asked: list[int] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                user_id = int(self.path.rsplit("/", 1)[-1])
                stub.asked.append(user_id)
                if user_id in stub.slow:
                    time.sleep(1.0)
                self.send_response(200 if user_id in stub.known else 404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/users"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    service = StubUserService()
    yield service
    service.stop()


def events_of(db, user_id):
    with db.read() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u"), {"u": user_id}).scalar()


def test_a_known_user_writes_and_an_unknown_one_is_404_with_nothing_appended(db, stub, make_user, song):
    known, unknown = make_user(), make_user()
    stub.known.add(known)
    tracker = Trackers(db, users=UserServiceClient(stub.url, timeout=0.5))
    assert tracker.log(known, song[0], [AddProgress(1)]).state.progress == 1
    with pytest.raises(UserNotFound) as refused:
        tracker.log(unknown, song[0], [AddProgress(1)])
    assert refused.value.status == 404
    assert (events_of(db, known), events_of(db, unknown)) == (1, 0)


def test_a_slow_or_missing_user_service_is_503_with_nothing_appended(db, stub, make_user, song):
    slow = make_user()
    stub.known.add(slow)
    stub.slow.add(slow)
    tracker = Trackers(db, users=UserServiceClient(stub.url, timeout=0.2))
    with pytest.raises(ServiceUnavailable):
        tracker.log(slow, song[0], [AddProgress(1)])
    stub.stop()
    gone = Trackers(db, users=UserServiceClient(stub.url, timeout=0.2))
    with pytest.raises(ServiceUnavailable) as unavailable:
        gone.log(make_user(), song[0], [AddProgress(1)])
    assert unavailable.value.status == 503 and events_of(db, slow) == 0


def test_answers_are_remembered_for_a_while(db, stub, make_user, song):
    user = make_user()
    stub.known.add(user)
    tracker = Trackers(db, users=UserServiceClient(stub.url, timeout=0.5, ttl=60))
    for _ in range(3):
        tracker.log(user, song[0], [AddProgress(1)])
    assert stub.asked == [user]


def test_a_user_the_service_did_not_know_may_write_once_it_does(db, stub, make_user, song):
    user = make_user()
    tracker = Trackers(db, users=UserServiceClient(stub.url, timeout=0.5, ttl=60))
    with pytest.raises(UserNotFound):
        tracker.log(user, song[0], [AddProgress(1)])
    stub.known.add(user)  # made in the user service a moment later
    assert tracker.log(user, song[0], [AddProgress(1)]).state.progress == 1


def test_once_the_short_memory_of_a_user_is_gone_a_down_service_refuses_writes(db, stub, make_user, song):
    user = make_user()
    stub.known.add(user)
    tracker = Trackers(db, users=UserServiceClient(stub.url, timeout=0.2, ttl=0.3))
    tracker.log(user, song[0], [AddProgress(1)])
    stub.stop()
    time.sleep(0.4)
    for _ in range(2):  # and the service's absence is not remembered either: asked again each time
        with pytest.raises(ServiceUnavailable):
            tracker.log(user, song[0], [AddProgress(1)])
    assert events_of(db, user) == 1

