"""Driver errors become progress-service errors in one place; requests wait on the database a bounded time."""
from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from progress_service.config import Config
from progress_service.db import BEGIN, COMMIT, Database, run_together
from progress_service.errors import Conflict, ServiceUnavailable
from tests.proxy import FreezableProxy


def test_a_duplicate_username_is_a_conflict_with_a_sentence(db):
    insert = sa.text("INSERT INTO users (username, password_hash) VALUES (:name, '-')")
    with db.transaction() as conn:
        conn.execute(insert, {"name": "twice_named"})
    with pytest.raises(Conflict) as conflict, db.transaction() as conn:
        conn.execute(insert, {"name": "TWICE_NAMED"})
    assert conflict.value.status == 409 and conflict.value.detail == "That username is already taken."


def test_an_unreachable_database_is_service_unavailable():
    gone = Database("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere", pool_size=1)
    with pytest.raises(ServiceUnavailable) as unavailable, gone.transaction():
        pass
    assert unavailable.value.status == 503 and "not answering" in unavailable.value.detail


def _one(db: Database) -> list[dict]:
    with db.read() as conn:
        return run_together(conn, [(sa.text("SELECT 1 AS one"), {})])


def test_a_statement_past_the_timeout_is_a_503_and_the_connection_goes_on(database_url):
    db = Database(database_url, pool_size=1, statement_timeout=1)
    try:
        with pytest.raises(ServiceUnavailable) as slow, db.read() as conn:
            run_together(conn, [(sa.text("SELECT pg_sleep(5)"), {})])
        assert slow.value.detail == "The database took too long to answer; try again shortly."
        assert _one(db) == [{"one": 1}]
    finally:
        db.dispose()


def test_a_write_whose_statement_times_out_mid_batch_saves_nothing(database_url):
    db = Database(database_url, pool_size=1, statement_timeout=1)
    name = f"timed_out_{uuid.uuid4().hex[:8]}"
    try:
        with pytest.raises(ServiceUnavailable), db.connection() as conn:
            run_together(conn, [BEGIN, (sa.text("INSERT INTO users (username, password_hash) VALUES (:name, '-')"),
                                        {"name": name}), (sa.text("SELECT pg_sleep(5)"), {}), COMMIT])
        with db.read() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users WHERE username = :name"),
                                {"name": name}).scalar() == 0
    finally:
        db.dispose()


def test_maintenance_statements_run_as_long_as_they_need(database_url):
    db = Database.for_maintenance(database_url, Config(statement_timeout=1))
    try:
        with db.read() as conn:
            assert run_together(conn, [(sa.text("SELECT true AS slept FROM pg_sleep(2.5)"), {})]) == [{"slept": True}]
    finally:
        db.dispose()


def test_a_hung_database_is_a_503_within_the_deadline_and_serves_again_once_it_answers(database_url):
    with FreezableProxy(database_url) as proxy:
        db = Database(proxy.url, pool_size=2, statement_timeout=1, connect_timeout=2)
        try:
            assert _one(db) == [{"one": 1}]
            proxy.freeze()
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable) as hung, db.connection() as conn:
                run_together(conn, [BEGIN, (sa.text("SELECT 1"), {}), COMMIT])
            waited = time.monotonic() - started
            # statement_timeout 1 s + ANSWER_GRACE 1 s, and the watchdog looks every 0.1 s
            assert 2 <= waited < 3, waited
            assert "did not answer in time" in hung.value.detail and "Idempotency-Key" in hung.value.detail
            started = time.monotonic()
            assert not db.is_ready()  # a new connection: it gives up after the connect timeout
            assert time.monotonic() - started < 3
            proxy.thaw()
            assert _one(db) == [{"one": 1}] and db.is_ready()
        finally:
            db.dispose()


def test_readiness_gives_up_on_a_hung_database_within_a_second(database_url):
    with FreezableProxy(database_url) as proxy:
        db = Database(proxy.url, pool_size=2)  # even one whose statements are not bounded otherwise
        try:
            assert db.is_ready()  # leaves an open connection in the pool
            proxy.freeze()
            started = time.monotonic()
            assert not db.is_ready()
            assert time.monotonic() - started < 1.5
        finally:
            db.dispose()


def test_connections_the_server_ended_are_replaced_at_checkout_without_a_503(database_url):
    db = Database(database_url, pool_size=3, statement_timeout=5)
    other = Database(database_url, pool_size=1)
    try:
        with db.read() as a, db.read() as b, db.read() as c:  # three connections, back in the pool after
            pids = [conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() for conn in (a, b, c)]
        with other.read() as conn:  # as a restart does: the server ends every session
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) pid"),
                         {"pids": pids})
        deadline = time.monotonic() + 5
        while (other_pids := _pids(other, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not other_pids
        for _ in range(3):
            assert _one(db) == [{"one": 1}]
        with db.connection() as conn:
            assert run_together(conn, [BEGIN, (sa.text("SELECT 2 AS two"), {}), COMMIT]) == []
    finally:
        db.dispose()
        other.dispose()


def _pids(db: Database, pids: list[int]) -> list[int]:
    with db.read() as conn:
        return list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"),
                                 {"pids": pids}).scalars())


def test_a_connection_lost_while_a_write_reads_its_stream_is_a_503_and_appends_nothing(database_url, user, show):
    """The unit of work passes a driver's error through the one translation (db.translated_errors),
    wherever in the write it comes: here the read of the stream a retraction needs."""
    from sqlalchemy import event

    from progress_service.domain.rules import SetProgress
    from progress_service.services import Trackers

    db, killer = Database(database_url, pool_size=1), sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    trackers = Trackers(db)
    try:
        entry = trackers.log(user, show[0], [SetProgress(2)]).entries[0]

        def lose_the_connection(conn, cursor, statement, parameters, context, executemany):
            if "ORDER BY version" in statement and "title_id = %(title_id)s" in statement:
                with killer.connect() as other:
                    other.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                  {"pid": conn.connection.driver_connection.get_backend_pid()})
        event.listen(db.engine, "before_cursor_execute", lose_the_connection)
        try:
            with pytest.raises(ServiceUnavailable):
                trackers.retract(user, entry.id)
        finally:
            event.remove(db.engine, "before_cursor_execute", lose_the_connection)
        assert [e.version for e in trackers.history(user, show[0])] == [1]
    finally:
        db.dispose()
        killer.dispose()
