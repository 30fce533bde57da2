"""The process's watcher of the feed (progress_service.feed.FeedWaiter) on a real database: the
recent events it holds for live streams are every event after where it began, none missing and
none twice, and a follower further behind than they reach is sent to the database."""
from __future__ import annotations

import uuid

import pytest

from progress_service import eventstore
from progress_service.domain.rules import AddProgress
from progress_service.errors import AuthenticationFailed
from progress_service.eventstore import FEED_START
from progress_service.feed import FeedWaiter


def positions(db, outcomes):
    with db.read() as conn:
        return [eventstore.position_of(conn, outcome.entries[0].id) for outcome in outcomes]


def test_the_recent_events_are_every_event_since_the_watcher_began_and_no_further_back(db, tracker, make_user, song):
    waiter = FeedWaiter(db, interval=0.01, keep=8)
    first, second = make_user(), make_user()
    tracker.log(first, song[0], [AddProgress(1)])
    assert waiter.wait_past(FEED_START, 5)  # the watcher's first look: it holds what comes after the high water
    with db.read() as conn:
        began = eventstore.high_water(conn)
    appended = [tracker.log((first, second)[n % 2], song[0], [AddProgress(1)]) for n in range(12)]
    held = positions(db, appended)
    assert waiter.wait_past(held[-2], 5)  # the high water has reached the last of them
    assert waiter.recent(began, 100) is None  # 12 events after it, 8 kept: it no longer reaches back there
    page, onward, _ = waiter.recent(held[3], 100)
    assert [item.position for item in page] == held[4:]
    assert onward >= held[-1]
    assert [item.id for item in page] == [outcome.entries[0].id for outcome in appended[4:]]
    mine = waiter.recent(held[3], 100, user_id=second).items
    assert [item.position for item in mine] == held[5::2]
    short, where, _ = waiter.recent(held[3], 3)
    assert [item.position for item in short] == held[4:7] and where == held[6]
    assert waiter.recent(held[3], 100, types=["rating_set"]).items == []


def test_a_live_streams_credential_is_proved_after_the_events_each_look_reads(db, tracker, make_user, song):
    from progress_service.security import Caller, Tokens
    from progress_service.service_accounts import ServiceAccounts

    services = ServiceAccounts(db, Tokens("a secret for this test only", 60))
    made = services.create(f"reader {uuid.uuid4().hex[:8]}")
    reader = Caller(user_id=None, role="service", service_id=made["id"])
    waiter = FeedWaiter(db, interval=0.01)
    user = make_user()
    with waiter.following(reader):
        assert waiter.wait_past(FEED_START, 5)
        with db.read() as conn:
            began = eventstore.high_water(conn)
        first = positions(db, [tracker.log(user, song[0], [AddProgress(1)])])[0]
        assert waiter.wait_past(began, 5)
        assert waiter.recent(began, 10, caller=reader).proved  # it stood after the events read
        services.revoke(made["name"])
        later = positions(db, [tracker.log(user, song[0], [AddProgress(1)])])[0]
        assert waiter.wait_past(first, 5) and later > first
        with pytest.raises(AuthenticationFailed):  # revoked before the next event committed
            waiter.recent(first, 10, caller=reader)
