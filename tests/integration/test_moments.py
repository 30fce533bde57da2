"""The tracker at a time, as known at a version: the prepared lookups of tracker_moments agree
with folding the log in Python, on random histories written through the service."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from progress_service.domain.tracker import fold_at
from progress_service.errors import TrackerNotFound
from progress_service.projections import tracker_versions
from tests.histories import service_writes, write_through
from tests.integration.test_projections import differences, three_titles

MICROSECOND = timedelta(microseconds=1)


def _shown(state, title_total=None) -> dict:
    """What a tracker object says of a folded state on a title of ``title_total`` units."""
    total = state.total if state.total is not None else title_total
    return {"status": state.status, "progress": state.progress, "total": total, "rating": state.rating,
            "notes": list(state.notes), "times_completed": state.times_completed, "version": state.version,
            "started_at": state.started_at, "completed_at": state.completed_at, "updated_at": state.updated_at}


def _read(db, user, title, **moment):
    try:
        with db.read() as conn:
            body, _ = tracker_versions.tracker_at(conn, user, title, **moment)
    except TrackerNotFound:
        return None
    tracker = json.loads(body)
    for key in ("started_at", "completed_at", "updated_at"):
        tracker[key] = tracker[key] and datetime.fromisoformat(tracker[key])
    return {key: tracker[key] for key in _shown(fold_at([], None))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=service_writes)
def test_a_tracker_at_any_time_as_known_at_any_version_is_the_fold_of_what_was_known(
        tracker, db, make_user, show, song, script, now):
    user = make_user()
    titles = three_titles(db, show, song)
    write_through(tracker, user, titles, script, now)
    for title in titles:
        history = tracker.history(user, title)
        with db.read() as conn:
            title_total = conn.execute(sa.text("SELECT total_units FROM titles WHERE id = :id"), {"id": title}).scalar()
        times = sorted({t for entry in history for t in (entry.occurred_at - MICROSECOND, entry.occurred_at)})
        for version in range(1, len(history) + 1):
            known = history[:version]
            for moment in times:
                state = fold_at(known, moment)
                expected = _shown(state, title_total) if state.active else None
                assert _read(db, user, title, at=moment, version=version) == expected, (version, moment)
    assert differences(db) == []
