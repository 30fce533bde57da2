"""The progress log and trackers through the real Flask stack."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from progress_service.schemas import api_time

from tests.helpers import log, problem_of


def test_logging_progress_returns_the_entry_and_creates_the_tracker(client, register, show):
    user, headers = register()
    response = log(client, headers, title_id=show[0], progress=12, occurred_at="2026-11-01T20:00:00+00:00")
    assert response.status_code == 201
    entry = response.json
    assert (entry["user_id"], entry["title_id"], entry["version"], entry["type"]) == (user["id"], show[0], 1, "progress_logged")
    assert entry["data"]["progress"] == 12 and entry["occurred_at"] == "2026-11-01T20:00:00+00:00"
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers)
    assert tracker.status_code == 200 and tracker.headers["ETag"] == '"1"'
    assert (tracker.json["status"], tracker.json["progress"], tracker.json["total"]) == ("in_progress", 12, show[1])
    assert tracker.json["title"]["unit"] == "episode"


@pytest.mark.parametrize("body, status, field", [
    ({"progress": 1, "rating": 4}, 422, "_schema"),
    ({}, 422, "_schema"),
    ({"rating": 7}, 422, "rating"),
    ({"status": "watching"}, 422, "status"),
    ({"progress": -1}, 422, "progress"),
    ({"progress": "12"}, 422, "progress"),
    ({"progress": 1, "occurred_at": "2026-11-21T10:00:00"}, 422, "occurred_at"),
])
def test_invalid_entries_are_422_and_append_nothing(client, register, show, body, status, field):
    user, headers = register()
    assert field in problem_of(log(client, headers, title_id=show[0], **body), status)["errors"]
    assert client.get(f"/api/progress/{user['id']}", headers=headers).json["items"] == []


def test_the_rules_of_trackers_answer_422_with_a_sentence(client, register, show):
    _, headers = register()
    detail = problem_of(log(client, headers, title_id=show[0], progress=show[1] + 1), 422)["detail"]
    assert f"Progress cannot pass the title's {show[1]} units" in detail
    problem_of(log(client, headers, title_id=show[0], rating=4.3), 422)
    problem_of(log(client, headers, title_id=show[0], progress=1, occurred_at="2099-01-01T00:00:00+00:00"), 422)


def test_unknown_titles_bad_json_and_non_json_bodies(client, register):
    _, headers = register()
    problem_of(log(client, headers, title_id=987654321, progress=1), 404)
    problem_of(client.post("/api/progress/log", data="{not json", headers={**headers, "Content-Type": "application/json"}), 400)
    problem_of(client.post("/api/progress/log", data="title_id=1", headers={**headers, "Content-Type": "text/plain"}), 415)


def test_a_retried_request_with_the_same_idempotency_key_appends_once(client, register, song):
    user, headers = register()
    keyed = {**headers, "Idempotency-Key": "tap-1"}
    first = client.post("/api/progress/log", json={"title_id": song[0], "delta": 1}, headers=keyed)
    again = client.post("/api/progress/log", json={"title_id": song[0], "delta": 1}, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201) and first.json == again.json
    problem_of(client.post("/api/progress/log", json={"title_id": song[0], "delta": 2}, headers=keyed), 422)
    assert len(client.get(f"/api/progress/{user['id']}", headers=headers).json["items"]) == 1


def test_if_match_guards_tracker_changes(client, register, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=1)
    url = f"/api/progress/{user['id']}/trackers/{show[0]}"
    changed = client.put(url, json={"progress": 3, "rating": 4.5}, headers={**headers, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"3"'
    assert (changed.json["progress"], changed.json["rating"]) == (3, 4.5)
    problem_of(client.put(url, json={"progress": 4}, headers={**headers, "If-Match": '"1"'}), 412)
    problem_of(client.post(url + "/rollback", json={"to_version": 1}, headers={**headers, "If-Match": '"2"'}), 412)
    assert client.get(url, headers=headers).json["version"] == 3


def test_time_travel_rollback_and_rolling_back_the_rollback(client, register, show):
    user, headers = register()
    url = f"/api/progress/{user['id']}/trackers/{show[0]}"
    log(client, headers, title_id=show[0], progress=2)
    log(client, headers, title_id=show[0], rating=3)
    log(client, headers, title_id=show[0], progress=show[1])
    assert client.get(url, query_string={"version": 2}, headers=headers).json["progress"] == 2
    restored = client.post(url + "/rollback", json={"to_version": 1}, headers=headers)
    assert (restored.json["progress"], restored.json["rating"], restored.json["version"]) == (2, None, 4)
    undone = client.post(url + "/rollback", json={"to_version": 3}, headers=headers)
    assert (undone.json["status"], undone.json["rating"], undone.json["times_completed"]) == ("completed", 3, 1)
    assert "versions 1 to 5" in problem_of(client.get(url, query_string={"version": 99}, headers=headers), 404)["detail"]


def test_corrections_and_retractions_refold_the_tracker(client, register, show):
    user, headers = register()
    first = log(client, headers, title_id=show[0], delta=1).json
    log(client, headers, title_id=show[0], delta=1)
    corrected = client.put(f"/api/progress/log/{first['id']}", json={"progress": 10}, headers=headers)
    assert corrected.status_code == 200 and corrected.json["type"] == "entry_corrected"
    url = f"/api/progress/{user['id']}/trackers/{show[0]}"
    assert client.get(url, headers=headers).json["progress"] == 11
    retracted = client.delete(f"/api/progress/log/{first['id']}", headers=headers)
    assert retracted.status_code == 200 and retracted.json["type"] == "entry_retracted"
    assert client.get(url, headers=headers).json["progress"] == 1
    problem_of(client.delete(f"/api/progress/log/{first['id']}", headers=headers), 409)
    problem_of(client.delete("/api/progress/log/999999999", headers=headers), 404)


def test_the_board_groups_trackers_by_status(client, register, show, song):
    user, headers = register()
    log(client, headers, title_id=show[0], status="planned")
    log(client, headers, title_id=song[0], delta=3)
    board = client.get(f"/api/progress/{user['id']}/trackers", headers=headers).json
    assert [t["title_id"] for t in board["planned"]] == [show[0]]
    assert [t["title_id"] for t in board["in_progress"]] == [song[0]]
    assert board["completed"] == board["paused"] == board["dropped"] == []
    only_songs = client.get(f"/api/progress/{user['id']}/trackers", query_string={"kind": "song"}, headers=headers).json
    assert only_songs["planned"] == [] and len(only_songs["in_progress"]) == 1


def test_removing_a_tracker_hides_it_but_keeps_its_history(client, register, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=4)
    removed = client.delete(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers)
    assert removed.status_code == 200 and removed.json["type"] == "tracker_removed"
    problem_of(client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers), 404)
    assert [e["type"] for e in client.get(f"/api/progress/{user['id']}", headers=headers).json["items"]] == \
        ["tracker_removed", "progress_logged"]


def test_the_log_pages_with_a_cursor(client, register, song):
    user, headers = register()
    for _ in range(5):
        log(client, headers, title_id=song[0], delta=1)
    first = client.get(f"/api/progress/{user['id']}", query_string={"limit": 2}, headers=headers).json
    second = client.get(f"/api/progress/{user['id']}", query_string={"limit": 2, "before": first["next_before"]},
                        headers=headers).json
    third = client.get(f"/api/progress/{user['id']}", query_string={"limit": 2, "before": second["next_before"]},
                       headers=headers).json
    ids = [e["id"] for page in (first, second, third) for e in page["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True) and third["next_before"] is None
    assert "limit" in problem_of(client.get(f"/api/progress/{user['id']}", query_string={"limit": 0}, headers=headers),
                                 400)["errors"]
    problem_of(client.get(f"/api/progress/{user['id']}", query_string={"limit": "many"}, headers=headers), 400)


def test_a_user_reaches_only_their_own_trackers_and_entries(client, register, show):
    owner, owner_headers = register()
    _, other_headers = register()
    entry = log(client, owner_headers, title_id=show[0], progress=1).json
    base = f"/api/progress/{owner['id']}"
    for method, url, body in [("get", base, None), ("get", f"{base}/trackers", None),
                              ("get", f"{base}/trackers/{show[0]}", None),
                              ("put", f"{base}/trackers/{show[0]}", {"progress": 2}),
                              ("delete", f"{base}/trackers/{show[0]}", None),
                              ("post", f"{base}/trackers/{show[0]}/rollback", {"to_version": 1}),
                              ("put", f"/api/progress/log/{entry['id']}", {"progress": 5}),
                              ("delete", f"/api/progress/log/{entry['id']}", None)]:
        response = getattr(client, method)(url, json=body, headers=other_headers)
        problem_of(response, 403)
    problem_of(log(client, other_headers, title_id=show[0], progress=1, user_id=owner["id"]), 403)
    assert client.get(base, headers=owner_headers).json["items"][0]["id"] == entry["id"]


def test_an_entry_and_a_tracker_read_the_same_wherever_they_appear(client, register, show):
    user, headers = register()
    for body in ({"progress": 3, "occurred_at": "2026-11-01T20:00:00.120+01:00"}, {"rating": 4.5},
                 {"note": "pilot was slow"}, {"delta": 1}):
        written = log(client, headers, title_id=show[0], **body).json
        listed = client.get(f"/api/progress/{user['id']}", query_string={"limit": 1}, headers=headers).json["items"]
        timeline = client.get(f"/api/progress/{user['id']}/history", query_string={"limit": 1}, headers=headers).json
        assert listed == [written] and timeline["items"][0]["event"] == written
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers).json
    at_4 = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", query_string={"version": 4}, headers=headers).json
    board = client.get(f"/api/progress/{user['id']}/trackers", headers=headers).json
    assert tracker == at_4 == timeline["items"][0]["state"] == board["in_progress"][0]
    assert (tracker["progress"], tracker["rating"], tracker["notes"]) == (4, 4.5, ["pilot was slow"])
    assert tracker["percent"] == round(400 / show[1], 1)
    first = client.get(f"/api/progress/{user['id']}", query_string={"limit": 4}, headers=headers).json["items"][-1]
    assert first["occurred_at"] == tracker["started_at"] == "2026-11-01T19:00:00.12+00:00"  # one spelling of a time


def test_an_episode_logged_six_weeks_late_leaves_the_tracker_where_today_put_it(client, register, show):
    user, headers = register()
    today = datetime.now(timezone.utc).replace(microsecond=0)
    log(client, headers, title_id=show[0], progress=5, occurred_at=today.isoformat())
    late = log(client, headers, title_id=show[0], progress=2, occurred_at=(today - timedelta(weeks=6)).isoformat())
    assert late.status_code == 201 and late.json["version"] == 2
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers).json
    assert (tracker["progress"], tracker["version"], tracker["status"]) == (5, 2, "in_progress")
    assert tracker["started_at"] == api_time(today - timedelta(weeks=6))  # started six weeks ago
    summary = client.get(f"/api/progress/summary/{user['id']}", headers=headers).json
    assert summary["last_activity_at"] == api_time(today)
    board = client.get(f"/api/progress/{user['id']}/trackers", headers=headers).json
    assert [t["progress"] for t in board["in_progress"]] == [5]


def test_a_tracker_at_a_time_by_what_is_known_now_or_was_known_then(client, register, show):
    user, headers = register()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    days_ago = lambda days: (now - timedelta(days=days)).isoformat()  # noqa: E731
    log(client, headers, title_id=show[0], progress=3, occurred_at=days_ago(10))
    second = log(client, headers, title_id=show[0], progress=8, occurred_at=days_ago(2)).json
    log(client, headers, title_id=show[0], progress=5, occurred_at=days_ago(5))  # learnt of later
    path = f"/api/progress/{user['id']}/trackers/{show[0]}"

    def progress(**query):
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return response.json["progress"], response.json["version"]
    assert [progress(at=days_ago(days)) for days in (6, 4, 1)] == [(3, 3), (5, 3), (8, 3)]
    assert progress() == (8, 3)
    # What was known before the late entry was logged, about four days ago: episode 3.
    assert progress(at=days_ago(4), as_of=second["recorded_at"]) == (3, 2)
    assert progress(at=days_ago(4), version=2) == (3, 2)
    assert progress(at=days_ago(4), version=3) == (5, 3)
    assert problem_of(client.get(path, query_string={"at": days_ago(11)}, headers=headers), 404)
    tomorrow = (now + timedelta(days=1)).isoformat()
    for moment in ({"at": tomorrow}, {"as_of": tomorrow}):
        assert "still to come" in str(problem_of(client.get(path, query_string=moment, headers=headers), 422))


def test_a_rollback_to_a_time_is_told_in_the_timeline_by_that_date(client, register, show):
    user, headers = register()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    log(client, headers, title_id=show[0], progress=3, occurred_at=(now - timedelta(days=9)).isoformat())
    log(client, headers, title_id=show[0], progress=8, occurred_at=(now - timedelta(days=2)).isoformat())
    moment = now - timedelta(days=6)
    rolled = client.post(f"/api/progress/{user['id']}/trackers/{show[0]}/rollback",
                         json={"to_time": moment.isoformat()}, headers=headers)
    assert rolled.status_code == 200, rolled.json
    assert (rolled.json["progress"], rolled.json["version"]) == (3, 3)
    newest = client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"][0]
    assert newest["event"]["data"] == {"to_time": moment.isoformat()}
    assert newest["summary"] == f"Restored to how it was on {moment.day} {moment:%b %Y, %H:%M} UTC"
