"""Passes (rewatch, reread, relisten) through the real Flask stack: `restart: true` on the log, the
tracker's `pass`, and GET .../trackers/{title_id}/passes."""
from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.helpers import log, problem_of


@pytest.fixture
def admin_headers(app):
    accounts = app.extensions["progress_service.accounts"]
    admin = accounts.create_admin(f"passes_{uuid.uuid4().hex[:8]}", "admin password")
    return {"Authorization": f"Bearer {accounts.token_for(admin)}"}


def logged(client, headers, **body) -> dict:
    response = log(client, headers, **body)
    assert response.status_code == 201, response.json
    return response.json


def watched_once(client, headers, show) -> None:
    """The whole show, 3 Jan to 14 Feb 2026, rated 4 on the last evening."""
    logged(client, headers, title_id=show[0], status="in_progress", occurred_at="2026-01-03T20:00:00+00:00")
    logged(client, headers, title_id=show[0], progress=show[1], occurred_at="2026-02-14T20:00:00+00:00")
    logged(client, headers, title_id=show[0], rating=4, occurred_at="2026-02-14T21:00:00+00:00")


def test_starting_a_show_again_begins_its_second_pass_and_a_second_completion_counts(client, register, show):
    user, headers = register()
    watched_once(client, headers, show)
    entry = logged(client, headers, title_id=show[0], restart=True, occurred_at="2026-03-01T20:00:00+00:00")
    assert (entry["type"], entry["version"], entry["data"]) == ("pass_started", 4, {"number": 2, "total": show[1]})
    url = f"/api/progress/{user['id']}/trackers/{show[0]}"
    tracker = client.get(url, headers=headers).json
    assert (tracker["pass"], tracker["status"], tracker["progress"], tracker["percent"]) == (2, "in_progress", 0, 0)
    assert (tracker["times_completed"], tracker["rating"]) == (1, 4)
    assert (tracker["started_at"], tracker["completed_at"]) == ("2026-01-03T20:00:00+00:00",
                                                                "2026-02-14T20:00:00+00:00")

    logged(client, headers, title_id=show[0], progress=show[1], occurred_at="2026-04-02T20:00:00+00:00")
    tracker = client.get(url, headers=headers).json
    assert (tracker["pass"], tracker["status"], tracker["times_completed"]) == (2, "completed", 2)
    assert tracker["started_at"] == "2026-01-03T20:00:00+00:00"  # the tracker's first start
    assert tracker["completed_at"] == "2026-04-02T20:00:00+00:00"  # its latest completion
    passes = client.get(url + "/passes", headers=headers)
    assert passes.status_code == 200
    assert passes.json == {"items": [
        {"pass": 1, "started_at": "2026-01-03T20:00:00+00:00", "completed_at": "2026-02-14T20:00:00+00:00",
         "progress": show[1], "rating": 4.0, "entries": 3},
        {"pass": 2, "started_at": "2026-03-01T20:00:00+00:00", "completed_at": "2026-04-02T20:00:00+00:00",
         "progress": show[1], "rating": None, "entries": 2}]}


def test_the_timeline_time_travel_and_the_export_carry_the_pass(client, register, book):
    user, headers = register()
    logged(client, headers, title_id=book[0], progress=10, occurred_at="2026-05-01T08:00:00+00:00")
    logged(client, headers, title_id=book[0], restart=True, occurred_at="2026-05-10T08:00:00+00:00")
    base = f"/api/progress/{user['id']}"
    newest = client.get(f"{base}/history", headers=headers).json["items"][0]
    assert newest["summary"] == "Started reading again (pass 2)"
    assert (newest["state"]["pass"], newest["state"]["progress"]) == (2, 0)
    at = {"at": "2026-05-05T00:00:00+00:00"}
    assert client.get(f"{base}/trackers/{book[0]}", query_string=at, headers=headers).json["pass"] == 1
    assert client.get(f"{base}/trackers/{book[0]}", query_string={"version": 2}, headers=headers).json["pass"] == 2
    assert [row["state"]["pass"] for row in client.get(f"{base}/export", headers=headers).json] == [1, 2]
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"{base}/export", query_string={"format": "csv"},
                                                          headers=headers).get_data(as_text=True))))
    assert [(row["summary"], row["progress"], row["pass"]) for row in csv_rows] == [
        ("Read to page 10 of " + str(book[1]), "10", "1"), ("Started reading again (pass 2)", "0", "2")]
    board = client.get(f"{base}/trackers", headers=headers).json
    assert [(t["title_id"], t["pass"]) for t in board["in_progress"]] == [(book[0], 2)]


def test_a_restart_logged_late_takes_its_place_by_when_it_happened(client, register, show):
    user, headers = register()
    logged(client, headers, title_id=show[0], progress=show[1], occurred_at="2026-01-10T20:00:00+00:00")
    logged(client, headers, title_id=show[0], progress=5, occurred_at="2026-03-01T20:00:00+00:00")
    late = logged(client, headers, title_id=show[0], restart=True, occurred_at="2026-02-01T20:00:00+00:00")
    assert late["data"]["number"] == 2
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers).json
    assert (tracker["pass"], tracker["progress"], tracker["times_completed"]) == (2, 5, 1)  # episode 5 of the rewatch
    items = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}/passes", headers=headers).json["items"]
    assert [(p["pass"], p["started_at"], p["progress"]) for p in items] == [
        (1, "2026-01-10T20:00:00+00:00", show[1]), (2, "2026-02-01T20:00:00+00:00", 5)]


def test_a_retracted_restart_is_as_if_it_had_never_been_made_and_cannot_be_corrected(client, register, show):
    user, headers = register()
    watched_once(client, headers, show)
    restart = logged(client, headers, title_id=show[0], restart=True)
    detail = problem_of(client.put(f"/api/progress/log/{restart['id']}", json={"progress": 3}, headers=headers),
                        422)["detail"]
    assert detail == "A new pass cannot be corrected; retract it."
    rating = client.get(f"/api/progress/{user['id']}", query_string={"type": "rating_set"}, headers=headers).json
    into = problem_of(client.put(f"/api/progress/log/{rating['items'][0]['id']}", json={"restart": True},
                                 headers=headers), 422)
    assert "cannot be corrected into a new pass" in into["detail"] and "restart" in into["errors"]
    assert client.delete(f"/api/progress/log/{restart['id']}", headers=headers).status_code == 200
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers).json
    assert (tracker["pass"], tracker["status"], tracker["progress"]) == (1, "completed", show[1])
    items = client.get(f"/api/progress/{user['id']}/trackers/{show[0]}/passes", headers=headers).json["items"]
    assert [(p["pass"], p["entries"]) for p in items] == [(1, 3)]


@pytest.mark.parametrize("body, field, words", [
    ({"restart": True, "progress": 3}, "_schema", "Say exactly one change"),
    ({"restart": False}, "restart", "restart: false asks for nothing"),
    ({"restart": "yes"}, "restart", "restart is true (JSON true)"),
    ({"restart": 1}, "restart", "restart is true (JSON true)"),
    ({"restart": None}, "restart", ""),
])
def test_a_restart_is_restart_true_alone(client, register, show, body, field, words):
    user, headers = register()
    logged(client, headers, title_id=show[0], progress=2)
    problem = problem_of(log(client, headers, title_id=show[0], **body), 422)
    assert field in problem["errors"] and words in str(problem["errors"][field])
    assert len(client.get(f"/api/progress/{user['id']}", headers=headers).json["items"]) == 1  # nothing appended


def test_there_is_no_tracker_to_start_again_before_it_is_added_after_it_is_removed_or_before_it_existed(
        client, register, show):
    user, headers = register()
    assert "no tracker for this title to start again" in problem_of(
        log(client, headers, title_id=show[0], restart=True), 404)["detail"]
    logged(client, headers, title_id=show[0], progress=2, occurred_at="2026-06-01T12:00:00+00:00")
    early = problem_of(log(client, headers, title_id=show[0], restart=True, occurred_at="2026-05-01T12:00:00+00:00"),
                       422)
    assert "occurred_at" in early["errors"] and "no tracker for this title at 2026-05-01" in early["detail"]
    client.delete(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers)
    problem_of(log(client, headers, title_id=show[0], restart=True), 404)
    problem_of(log(client, headers, title_id=987654321, restart=True), 404)
    assert len(client.get(f"/api/progress/{user['id']}", headers=headers).json["items"]) == 2


def test_a_removal_starts_a_fresh_tracker_on_its_first_pass(client, register, song):
    user, headers = register()
    logged(client, headers, title_id=song[0], delta=3)
    logged(client, headers, title_id=song[0], restart=True)
    client.delete(f"/api/progress/{user['id']}/trackers/{song[0]}", headers=headers)
    url = f"/api/progress/{user['id']}/trackers/{song[0]}"
    assert "no tracker" in problem_of(client.get(url + "/passes", headers=headers), 404)["detail"]
    logged(client, headers, title_id=song[0], delta=1)
    assert client.get(url, headers=headers).json["pass"] == 1
    assert [(p["pass"], p["progress"], p["entries"]) for p in client.get(url + "/passes", headers=headers).json[
        "items"]] == [(1, 1, 1)]


def test_passes_are_ones_own_an_admin_reads_anyones_and_a_missing_tracker_or_title_is_404(
        client, register, show, admin_headers):
    owner, owner_headers = register()
    _, other_headers = register()
    logged(client, owner_headers, title_id=show[0], progress=4)
    url = f"/api/progress/{owner['id']}/trackers/{show[0]}/passes"
    problem_of(client.get(url, headers=other_headers), 403)
    problem_of(log(client, other_headers, title_id=show[0], restart=True, user_id=owner["id"]), 403)
    problem_of(client.get(url), 401)
    read = client.get(url, headers=admin_headers)
    assert read.status_code == 200 and [(p["pass"], p["progress"]) for p in read.json["items"]] == [(1, 4)]
    assert problem_of(client.get(f"/api/progress/{owner['id']}/trackers/987654321/passes", headers=owner_headers),
                      404)["title"] == "Title not found"
    stranger, stranger_headers = register()  # who tracks nothing
    never = client.get(f"/api/progress/{stranger['id']}/trackers/{show[0]}/passes", headers=stranger_headers)
    assert problem_of(never, 404)["title"] == "Tracker not found"
    problem_of(client.get(url, query_string={"pass": 1}, headers=owner_headers), 400)  # no query to read


def test_the_openapi_document_says_what_a_restart_and_the_passes_are(client):
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert schemas["Change"]["properties"]["restart"]["enum"] == [True]
    assert {"required": ["restart"]} in schemas["Log"]["oneOf"]
    assert "pass_started" in schemas["Event"]["properties"]["type"]["enum"]
    assert "pass" in schemas["Tracker"]["required"]
    assert set(schemas["Pass"]["required"]) == {"pass", "started_at", "completed_at", "progress", "rating", "entries"}
    assert "get" in spec["paths"]["/api/progress/{user_id}/trackers/{title_id}/passes"]
