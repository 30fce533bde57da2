"""Time travel and rollback through the service, on the real log."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from progress_service.projections import tracker_versions
from progress_service.domain.rules import AddProgress, Rate, SetProgress
from progress_service.errors import InvalidChange, TrackerNotFound


def state_at(db, user: int, title_id: int, **moment) -> dict:
    with db.read() as conn:
        body, _ = tracker_versions.tracker_at(conn, user, title_id, **moment)
    return json.loads(body)

def test_a_tracker_at_an_earlier_version_and_as_recorded_at_a_time(db, tracker, user, show):
    tracker.log(user, show[0], [SetProgress(3)])
    tracker.log(user, show[0], [Rate(4)])
    middle = tracker.history(user, show[0])[-1].recorded_at
    tracker.log(user, show[0], [AddProgress(2)])
    first = tracker.history(user, show[0])[0]
    tracker.correct(user, first.id, SetProgress(10))
    at_2 = state_at(db, user, show[0], version=2)
    assert (at_2["progress"], at_2["rating"], at_2["version"]) == (3, 4, 2)  # as it was shown then
    assert state_at(db, user, show[0], as_of=middle) == at_2
    assert state_at(db, user, show[0], version=4)["progress"] == 12  # after the correction
    with pytest.raises(TrackerNotFound):
        state_at(db, user, show[0], as_of=first.recorded_at - timedelta(seconds=1))
    with pytest.raises(TrackerNotFound, match="versions 1 to 4"):  # shared/API.md, "Time": 404
        state_at(db, user, show[0], version=5)

def test_rolling_back_to_a_time_restores_the_state_at_that_time(tracker, user, show):
    tracker.log(user, show[0], [SetProgress(5), Rate(3)])
    moment = tracker.history(user, show[0])[-1].recorded_at
    tracker.log(user, show[0], [SetProgress(9), Rate(5)])
    outcome = tracker.roll_back(user, show[0], to_time=moment)
    assert (outcome.state.progress, outcome.state.rating, outcome.state.version) == (5, 3, 5)
    assert outcome.entries[0].event.to_time == moment.isoformat()  # shared/API.md, "Time": by valid time


def test_rolling_back_to_a_time_counts_what_had_occurred_by_then_even_if_logged_later(tracker, user, show):
    now = datetime.now(timezone.utc)
    tracker.log(user, show[0], [SetProgress(3)], occurred_at=now - timedelta(days=9))
    tracker.log(user, show[0], [SetProgress(8)], occurred_at=now - timedelta(days=5))
    tracker.log(user, show[0], [SetProgress(5)], occurred_at=now - timedelta(days=7))  # logged late
    outcome = tracker.roll_back(user, show[0], to_time=now - timedelta(days=6))
    assert (outcome.state.progress, outcome.state.version) == (5, 4)
    assert tracker.log(user, show[0], [AddProgress(1)]).state.progress == 6
    with pytest.raises(InvalidChange, match="no entries yet"):
        tracker.roll_back(user, show[0], to_time=now - timedelta(days=10))
    with pytest.raises(InvalidChange, match="no entries yet"):
        tracker.roll_back(user, show[0], to_time=datetime(2000, 1, 1, tzinfo=timezone.utc))

def test_a_tracker_that_never_existed_has_no_past(db, user, song):
    with pytest.raises(TrackerNotFound):
        state_at(db, user, song[0], version=1)
