"""What exists in both languages agrees on random input: the API's event object (built in Python for
the answer to a write, in SQL for every read) and a tracker's percent (TrackerState.percent, and
tracker_json in SQL, which the answers use). The fold and title stats, whose SQL copies serve the
rebuild, are checked the same way in test_projections (docs/ARCHITECTURE.md, "What lives in SQL")."""
from __future__ import annotations

import json

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from progress_service.api.common import event_json
from progress_service.domain.tracker import TrackerState
from progress_service.errors import ProgressServiceError
from tests.histories import changes, logged

writes = st.lists(st.one_of(
    st.tuples(st.just("log"), st.lists(logged, min_size=1, max_size=3)),
    st.tuples(st.just("correct"), st.tuples(st.floats(0, 1), changes)),
    st.tuples(st.just("retract"), st.floats(0, 1)),
), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=writes, on_song=st.booleans())
def test_the_event_object_of_a_write_is_the_one_every_read_returns(tracker, db, make_user, show, song, script,
                                                                    on_song):
    user, title = make_user(), (song if on_song else show)[0]
    answered = []
    for kind, arg in script:
        history = tracker.history(user, title)
        pick = lambda fraction: history[int(fraction * (len(history) - 1))].id  # noqa: E731
        try:
            if kind == "log":
                outcome = tracker.log(user, title, arg)
            elif not history:
                continue
            elif kind == "correct":
                outcome = tracker.correct(user, pick(arg[0]), arg[1])
            else:
                outcome = tracker.retract(user, pick(arg))
        except ProgressServiceError:
            continue
        answered += [(entry.id, json.loads(event_json(outcome.stream, entry))) for entry in outcome.entries]
    with db.read() as conn:
        read = dict(conn.execute(sa.text("SELECT e.id, event_json(e)::text FROM events e WHERE e.user_id = :user"),
                                 {"user": user}).all())
    assert len(read) == len(answered)
    for entry_id, written in answered:
        assert written == json.loads(read[entry_id])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(progress=st.integers(0, 5000), total=st.one_of(st.none(), st.integers(1, 5000)))
@example(progress=1, total=16).via("a half: 6.25 is 6.3 in the answers")
@example(progress=1, total=80).via("a half: 1.25 is 1.3")
def test_a_trackers_percent_is_the_same_in_python_and_in_the_answers(db, song, progress, total):
    with db.read() as conn:
        answered = conn.execute(sa.text(
            "SELECT (tracker_json(1, t, 'in_progress', :progress, :total, NULL, '{}', NULL, NULL, 0, 1, now(), 1)"
            " ->> 'percent')::numeric FROM titles t WHERE t.id = :title"),
            {"progress": progress, "total": total, "title": song[0]}).scalar_one()
    percent = TrackerState(progress=progress, total=total).percent
    assert (None if answered is None else float(answered)) == percent
