"""How many round trips to PostgreSQL each kind of write costs: each one is latency a person
waits for, so the write path's shape is pinned here.

A round trip is one statement batch sent on a connection and its answer. A statement is prepared
once per connection, in a round trip of its own; those are counted apart, since they happen once
in a connection's life, not on every write.
"""
from __future__ import annotations

import uuid

import pytest

from progress_service import db as db_module
from progress_service.db import Database
from progress_service.domain.rules import AddProgress, Rate, SetStatus
from progress_service.services import Idempotency, Trackers


class RoundTrips:
    def __init__(self):
        self.sent: list[str] = []

    @property
    def count(self) -> int:
        return sum(1 for query in self.sent if not query.lstrip().upper().startswith("PREPARE"))

    def reset(self) -> None:
        self.sent.clear()


@pytest.fixture
def round_trips(monkeypatch) -> RoundTrips:
    """Every round trip the service's connections make, as sent."""
    counted = RoundTrips()
    bounded = db_module._Cursor._bounded

    def counting(cursor, send, query, arguments):
        counted.sent.append(query if isinstance(query, str) else query.decode())
        return bounded(cursor, send, query, arguments)

    monkeypatch.setattr(db_module._Cursor, "_bounded", counting)
    return counted


@pytest.fixture
def one_connection(database_url) -> Database:
    """The test database on a pool of one connection, so that statements prepared once stay prepared."""
    database = Database(database_url, pool_size=1)
    with database.read():  # SQLAlchemy asks a new connection's server about itself first
        pass
    yield database
    database.dispose()


def writes(round_trips: RoundTrips, write) -> int:
    round_trips.reset()
    write()
    return round_trips.count


def test_an_entry_costs_one_round_trip_when_the_process_wrote_the_tracker_last(round_trips, one_connection, user,
                                                                              show):
    trackers = Trackers(one_connection)
    # The first entry loads the tracker under its stream lock (1), then appends with every
    # projection, commits and reads back the positions (2).
    assert writes(round_trips, lambda: trackers.log(user, show[0], [SetStatus("planned")])) == 2, round_trips.sent
    # The next decides on the state the last write left, and proves it in the round trip that appends.
    assert writes(round_trips, lambda: trackers.log(user, show[0], [AddProgress(1)])) == 1
    assert writes(round_trips, lambda: trackers.log(user, show[0], [Rate(4)], expected_version=2)) == 1
    assert writes(round_trips, lambda: trackers.remove(user, show[0])) == 1


def test_an_entry_after_another_process_wrote_loads_the_tracker_again(one_connection, database_url, user, show,
                                                                     round_trips):
    trackers, elsewhere = Trackers(one_connection), Trackers(one_connection)
    trackers.log(user, show[0], [SetStatus("planned")])
    elsewhere.log(user, show[0], [AddProgress(1)])
    # The remembered state fails its proof (1); the tracker is loaded (2) and the entry appended (3).
    assert writes(round_trips, lambda: trackers.log(user, show[0], [AddProgress(1)])) == 3
    assert trackers.log(user, show[0], [AddProgress(1)]).state.progress == 3


def test_a_keyed_entry_looks_for_its_key_and_a_repeated_one_appends_nothing(one_connection, user, show,
                                                                           round_trips):
    trackers = Trackers(one_connection)
    trackers.log(user, show[0], [SetStatus("planned")])
    key = Idempotency(f"key-{uuid.uuid4().hex}", "fingerprint")
    # Load (1), look for the key (2), append with the key's row (3).
    assert writes(round_trips, lambda: trackers.log(user, show[0], [AddProgress(1)], idempotency=key)) == 3
    # Load (1), find the key (2), read the entries it made (3), end the transaction (4).
    assert writes(round_trips, lambda: trackers.log(user, show[0], [AddProgress(1)], idempotency=key)) == 4


def test_rewriting_the_past_reads_the_stream_once(one_connection, user, show, round_trips):
    trackers = Trackers(one_connection)
    first = trackers.log(user, show[0], [AddProgress(1)]).entries[0]
    trackers.log(user, show[0], [AddProgress(1)])
    # Find the entry (1), load the tracker (2), read its stream (3), append (4).
    assert writes(round_trips, lambda: trackers.correct(user, first.id, AddProgress(3))) == 4
    assert writes(round_trips, lambda: trackers.retract(user, first.id)) == 4
    # A rollback decided on a remembered state needs the stream: load (1), read it (2), append (3).
    assert writes(round_trips, lambda: trackers.roll_back(user, show[0], to_version=1)) == 3


def test_a_logged_entry_through_the_api_costs_one_round_trip(client, register, show, round_trips):
    _, headers = register()
    body = {"title_id": show[0], "delta": 1}
    assert client.post("/api/progress/log", json=body, headers=headers).status_code == 201
    # The token's proof rides on the request's first statement; the entry goes out in one batch.
    round_trips.reset()
    assert client.post("/api/progress/log", json=body, headers=headers).status_code == 201
    assert round_trips.count == 1, round_trips.sent
