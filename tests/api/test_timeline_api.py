"""The history timeline, the summary, export, and clearing a log, through the real Flask stack."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from tests.helpers import problem_of
from tests.helpers import log


def test_the_timeline_says_what_happened_and_shows_the_state_after_each_entry(client, register, show, song):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=2)
    log(client, headers, title_id=show[0], delta=1)
    log(client, headers, title_id=show[0], rating=4)
    log(client, headers, title_id=song[0], delta=1)
    page = client.get(f"/api/progress/{user['id']}/history", headers=headers).json
    assert [item["summary"] for item in page["items"]] == [
        "Played it (1 play so far)", "Rated 4", f"Watched episode 3 of {show[1]}", f"Watched episode 2 of {show[1]}"]
    assert [item["state"]["progress"] for item in page["items"]] == [1, 3, 3, 2]
    assert [item["state"]["rating"] for item in page["items"]] == [None, 4, None, None]
    assert page["items"][1]["title"]["kind"] == "tv_show" and page["next_before"] is None
    only_show = client.get(f"/api/progress/{user['id']}/history", query_string={"title_id": show[0], "limit": 2},
                           headers=headers).json
    assert [item["event"]["version"] for item in only_show["items"]] == [3, 2]
    rest = client.get(f"/api/progress/{user['id']}/history",
                      query_string={"title_id": show[0], "limit": 2, "before": only_show["next_before"]}, headers=headers).json
    assert [item["event"]["version"] for item in rest["items"]] == [1]


def test_a_corrected_entry_keeps_its_old_state_in_the_timeline(client, register, show):
    user, headers = register()
    first = log(client, headers, title_id=show[0], progress=2).json
    client.put(f"/api/progress/log/{first['id']}", json={"progress": 7}, headers=headers)
    items = client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]
    assert [item["state"]["progress"] for item in items] == [7, 2]
    assert items[0]["summary"] == f"Corrected entry {first['id']} to: episode 7"


def test_every_timeline_item_names_the_entries_that_corrected_or_retracted_it(client, register, show):
    user, headers = register()
    first = log(client, headers, title_id=show[0], progress=2).json
    second = log(client, headers, title_id=show[0], rating=4).json
    once = client.put(f"/api/progress/log/{first['id']}", json={"progress": 7}, headers=headers).json
    again = client.put(f"/api/progress/log/{first['id']}", json={"progress": 8}, headers=headers).json
    retraction = client.delete(f"/api/progress/log/{second['id']}", headers=headers).json
    items = {item["event"]["id"]: item for item in
             client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]}
    assert (items[first["id"]]["corrected_by"], items[first["id"]]["retracted_by"]) == (again["id"], None)
    assert (items[second["id"]]["corrected_by"], items[second["id"]]["retracted_by"]) == (None, retraction["id"])
    assert all((items[entry["id"]]["corrected_by"], items[entry["id"]]["retracted_by"]) == (None, None)
               for entry in (once, again, retraction))


def test_the_summary_counts_trackers_units_ratings_and_todays_activity(client, register, show, song):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=show[1])
    log(client, headers, title_id=show[0], rating=5)
    log(client, headers, title_id=song[0], delta=3)
    log(client, headers, title_id=song[0], rating=4)
    summary = client.get(f"/api/progress/summary/{user['id']}", headers=headers).json
    assert summary["counts"] == {"planned": 0, "in_progress": 1, "completed": 1, "paused": 0, "dropped": 0}
    assert summary["by_kind"]["tv_show"]["completed"] == 1 and summary["by_kind"]["song"]["in_progress"] == 1
    assert summary["units"] == {"episode": show[1], "page": 0, "track": 0, "play": 3}
    assert summary["ratings"] == {"count": 2, "average": 4.5}
    assert len(summary["activity"]) == 30
    assert summary["activity"][-1] == {"date": datetime.now(timezone.utc).date().isoformat(), "events": 4}


def test_export_gives_every_entry_with_its_title_and_state(client, register, show, song):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=5)
    log(client, headers, title_id=song[0], delta=1)
    log(client, headers, title_id=show[0], rating=3.5)
    as_json = client.get(f"/api/progress/{user['id']}/export", headers=headers)
    assert as_json.status_code == 200
    assert [(item["event"]["type"], item["state"]["progress"]) for item in as_json.json] == \
        [("progress_logged", 5), ("progress_logged", 1), ("rating_set", 5)]
    as_csv = client.get(f"/api/progress/{user['id']}/export", query_string={"format": "csv"}, headers=headers)
    assert as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert len(rows) == 3 and rows[2]["rating"] == "3.5" and rows[0]["title"] == as_json.json[0]["title"]["name"]
    problem_of(client.get(f"/api/progress/{user['id']}/export", query_string={"format": "xml"}, headers=headers), 400)


def test_clearing_a_log_removes_every_tracker_but_keeps_the_history(client, register, show, song):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=1)
    log(client, headers, title_id=song[0], delta=1)
    cleared = client.delete(f"/api/progress/user/{user['id']}/logs", headers=headers)
    assert cleared.status_code == 200 and cleared.json == {"retracted": 2}
    board = client.get(f"/api/progress/{user['id']}/trackers", headers=headers).json
    assert all(column == [] for column in board.values())
    assert len(client.get(f"/api/progress/{user['id']}", headers=headers).json["items"]) == 4
    problem_of(client.delete(f"/api/progress/user/{user['id']}/logs", query_string={"purge": "true"},
                             headers=headers), 403)


def test_an_admin_purges_a_users_events(client, app, register, make_user, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=1)
    log(client, headers, title_id=show[0], rating=2)
    admin = {"Authorization": "Bearer " + app.extensions["progress_service.tokens"].issue(make_user("admin"), "admin", 0)}
    purged = client.delete(f"/api/progress/user/{user['id']}/logs", query_string={"purge": "true"}, headers=admin)
    assert purged.status_code == 200 and purged.json == {"purged": 2}
    assert client.get(f"/api/progress/{user['id']}", headers=headers).json["items"] == []
    assert client.get(f"/api/progress/{user['id']}", headers=admin).status_code == 200  # an admin reads anyone's


def test_these_routes_are_the_users_own(client, register):
    owner, _ = register()
    _, other = register()
    for url in (f"/api/progress/{owner['id']}/history", f"/api/progress/summary/{owner['id']}",
                f"/api/progress/{owner['id']}/export"):
        problem_of(client.get(url, headers=other), 403)
    problem_of(client.delete(f"/api/progress/user/{owner['id']}/logs", headers=other), 403)


def test_a_range_that_ends_before_it_starts_is_refused_in_words(client, register):
    user, headers = register()
    moments = {"since": "2026-11-10T00:00:00+00:00", "until": "2026-11-10T00:00:00+00:00"}
    for path in (f"/api/progress/{user['id']}", f"/api/progress/{user['id']}/history"):
        problem = problem_of(client.get(path, query_string=moments, headers=headers), 422)
        assert "until" in problem["detail"] and "must come after since" in problem["detail"]


def test_the_timeline_in_occurred_order_shows_each_tracker_as_it_was_when_things_happened(client, register, show,
                                                                                        book):
    user, headers = register()
    now = datetime.now(timezone.utc)
    route = f"/api/progress/{user['id']}/history"
    today = log(client, headers, title_id=show[0], progress=5).json
    weeks_ago = log(client, headers, title_id=show[0], progress=2,
                    occurred_at=(now - timedelta(weeks=6)).isoformat()).json
    days_ago = log(client, headers, title_id=book[0], progress=10, occurred_at=(now - timedelta(days=3)).isoformat()).json
    items = client.get(route, query_string={"order": "occurred"}, headers=headers).json["items"]
    assert [item["event"]["id"] for item in items] == [today["id"], days_ago["id"], weeks_ago["id"]]
    assert [item["state"]["progress"] for item in items] == [5, 10, 2]  # six weeks ago the show stood at 2
    assert items[2]["summary"] == f"Watched episode 2 of {show[1]}"
    assert [item["event"]["id"] for item in client.get(route, headers=headers).json["items"]] == [
        days_ago["id"], weeks_ago["id"], today["id"]]  # recorded order, as before

    # Everything known now: the late entry corrected to episode 3, then retracted and brought back.
    correction = client.put(f"/api/progress/log/{weeks_ago['id']}", json={"progress": 3}, headers=headers).json
    retraction = client.delete(f"/api/progress/log/{days_ago['id']}", headers=headers).json
    client.delete(f"/api/progress/log/{retraction['id']}", headers=headers)
    items = {item["event"]["id"]: item for item in
             client.get(route, query_string={"order": "occurred"}, headers=headers).json["items"]}
    assert items[weeks_ago["id"]]["state"]["progress"] == 3 and items[weeks_ago["id"]]["corrected_by"] == correction["id"]
    assert items[days_ago["id"]]["retracted_by"] is None and items[days_ago["id"]]["state"]["progress"] == 10
    assert items[today["id"]]["state"]["progress"] == 5


def test_the_timeline_in_occurred_order_pages_with_next_cursor(client, register, show):
    user, headers = register()
    now = datetime.now(timezone.utc)
    route = f"/api/progress/{user['id']}/history"
    made = [log(client, headers, title_id=show[0], progress=episode,
                occurred_at=(now - timedelta(days=10 - episode)).isoformat()).json for episode in (1, 4, 2, 3)]
    first = client.get(route, query_string={"order": "occurred", "limit": 3}, headers=headers).json
    assert "next_before" not in first and first["next_cursor"]
    rest = client.get(route, query_string={"order": "occurred", "limit": 3, "cursor": first["next_cursor"]},
                      headers=headers).json
    assert rest["next_cursor"] is None
    ids = [item["event"]["id"] for item in first["items"] + rest["items"]]
    by_episode = {entry["data"]["progress"]: entry["id"] for entry in made}
    assert ids == [by_episode[4], by_episode[3], by_episode[2], by_episode[1]]
    assert [item["state"]["progress"] for item in first["items"] + rest["items"]] == [4, 3, 2, 1]


def test_the_cursors_of_the_two_orders_are_not_mixed_up(client, register):
    user, headers = register()  # a query parameter that does not fit is a 400, as an unknown one is
    route = f"/api/progress/{user['id']}/history"
    assert "cursor" in problem_of(client.get(route, query_string={"cursor": "1.2.3"}, headers=headers), 400)["errors"]
    assert "before" in problem_of(client.get(route, query_string={"order": "occurred", "before": 5}, headers=headers),
                                  400)["errors"]
    assert "cursor" in problem_of(client.get(route, query_string={"order": "occurred", "cursor": "yesterday"},
                                             headers=headers), 400)["errors"]
    assert "order" in problem_of(client.get(route, query_string={"order": "sideways"}, headers=headers), 400)["errors"]


def test_an_entry_says_the_same_sentence_in_both_orders_even_once_retracted(client, register, show):
    user, headers = register()
    route = f"/api/progress/{user['id']}/history"
    first = log(client, headers, title_id=show[0], progress=3).json
    log(client, headers, title_id=show[0], delta=1)
    client.delete(f"/api/progress/log/{first['id']}", headers=headers)
    in_order = {order: {item["event"]["id"]: item["summary"] for item in
                        client.get(route, query_string={"order": order}, headers=headers).json["items"]}
                for order in ("recorded", "occurred")}
    assert in_order["occurred"] == in_order["recorded"]
    assert in_order["occurred"][first["id"]] == f"Watched episode 3 of {show[1]}"  # what it logged, retracted or not
