"""Custom titles (shared/API.md, "Your own titles"): one's own title counted in a unit of one's own
words ("km", "glass"), in decimal amounts of up to 2 places; the catalog's kinds keep whole units."""
from __future__ import annotations

import pytest

from tests.api.test_own_titles import admin, own_title  # noqa: F401 (a fixture)
from tests.helpers import log, problem_of
from tests.integration.test_projections import differences


@pytest.fixture
def running(client, register):
    """A user with a custom title "Running", counted in km: (user, headers, title)."""
    user, headers = register()
    title = own_title(client, user, headers, kind="custom", name="Running", unit=" km ", total_units=None)
    return user, headers, title


def test_a_custom_title_is_counted_in_its_owners_unit(client, running):
    user, headers, title = running
    assert (title["kind"], title["unit"], title["owner_id"]) == ("custom", "km", user["id"])
    listed = client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"]
    assert [(item["name"], item["kind"], item["unit"]) for item in listed] == [("Running", "custom", "km")]


def test_decimal_progress_adds_up_and_says_so_in_the_owners_unit(client, db, running):
    user, headers, title = running
    assert log(client, headers, title_id=title["id"], delta=5.25).status_code == 201
    assert log(client, headers, title_id=title["id"], delta=7.25).status_code == 201
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).json
    assert (tracker["progress"], tracker["status"], tracker["title"]["unit"]) == (12.5, "in_progress", "km")
    assert log(client, headers, title_id=title["id"], progress=20).status_code == 201
    history = client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]
    assert [item["summary"] for item in history] == ["Reached 20 km", "Logged 7.25 km (12.5 km so far)",
                                                     "Logged 5.25 km (5.25 km so far)"]
    summary = client.get(f"/api/progress/summary/{user['id']}", headers=headers).json
    assert summary["units"]["km"] == 20 and summary["units"]["page"] == 0
    assert differences(db) == []  # the rebuild folds the custom stream to the same 20 km


def test_a_retracted_decimal_entry_refolds_and_the_rebuild_agrees(client, db, running):
    user, headers, title = running
    first = log(client, headers, title_id=title["id"], delta=2.5).json
    assert log(client, headers, title_id=title["id"], delta=0.75).status_code == 201
    entry_id = first["id"]
    assert client.delete(f"/api/progress/log/{entry_id}", headers=headers).status_code in (200, 201)
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).json
    assert tracker["progress"] == 0.75
    assert differences(db) == []


@pytest.mark.parametrize("body, field", [
    ({"delta": 1.255}, "delta"),
    ({"progress": 3.001}, "progress"),
    ({"progress": -0.5}, "progress"),
])
def test_more_than_two_decimal_places_is_a_422_naming_the_field(client, running, body, field):
    user, headers, title = running
    problem = problem_of(log(client, headers, title_id=title["id"], **body), 422)
    assert field in problem["errors"] or problem.get("field") == field or field in problem["detail"]
    assert client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize("body", [{"delta": 2.5}, {"progress": 12.5}])
def test_a_catalog_kind_keeps_whole_numbers(client, register, body):
    user, headers = register()
    book = own_title(client, user, headers, kind="book", name="Notes", total_units=100)
    response = log(client, headers, title_id=book["id"], **body)
    problem = problem_of(response, 422)
    assert "whole number" in problem["detail"]
    assert client.get(f"/api/progress/{user['id']}/trackers/{book['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize("unit", ["", "   ", "x" * 21])
def test_a_custom_title_needs_a_unit_of_1_to_20_characters(client, register, unit):
    user, headers = register()
    problem = problem_of(client.post(f"/api/progress/{user['id']}/titles", headers=headers,
                                     json={"kind": "custom", "name": "Water", "unit": unit}), 422)
    assert "unit" in problem["errors"]
    assert client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"] == []


def test_a_custom_title_without_a_unit_is_a_422_naming_unit(client, register):
    user, headers = register()
    problem = problem_of(client.post(f"/api/progress/{user['id']}/titles", headers=headers,
                                     json={"kind": "custom", "name": "Water"}), 422)
    assert "unit" in problem["errors"]


def test_the_catalog_refuses_a_custom_title(client, admin):
    problem = problem_of(client.post("/api/titles", headers=admin, json={"kind": "custom", "name": "Walks",
                                                                         "unit": "km"}), 422)
    assert "kind" in problem["errors"]


def test_a_custom_title_changes_its_unit_but_not_its_kind(client, running):
    user, headers, title = running
    changed = client.patch(f"/api/progress/{user['id']}/titles/{title['id']}", json={"unit": "mile"}, headers=headers)
    assert changed.status_code == 200 and changed.json["unit"] == "mile"
    problem = problem_of(client.patch(f"/api/progress/{user['id']}/titles/{title['id']}", json={"kind": "book"},
                                      headers=headers), 422)
    assert "kind" in str(problem)


RUNS = (("2026-03-02T07:00:00+00:00", 5.25), ("2026-03-09T07:00:00+00:00", 2.5), ("2026-04-01T07:00:00+00:00", 10))


def ran(client, headers, title) -> None:
    """5.25 km on 2 March, 2.5 km on 9 March, 10 km on 1 April 2026."""
    for occurred_at, km in RUNS:
        assert log(client, headers, title_id=title["id"], delta=km, occurred_at=occurred_at).status_code == 201


def test_a_goal_in_a_custom_unit_counts_the_decimal_amounts_of_each_month(client, running):
    user, headers, title = running
    ran(client, headers, title)
    response = client.post(f"/api/progress/{user['id']}/goals", headers=headers, json={
        "measure": "units", "unit": " km ", "target": 30, "period": "month", "starts_on": "2026-03-01",
        "ends_on": "2026-04-30"})
    assert response.status_code == 201, response.json
    goal = response.json
    assert (goal["name"], goal["unit"]) == ("30 km a month", "km")  # the owner's word, as given
    assert goal["current"]["period_start"] == "2026-04-01" and goal["current"]["value"] == 10
    assert [(past["period_start"], past["value"], past["met"]) for past in goal["history"]] == [
        ("2026-03-01", 7.75, False)]
    on_one_title = client.post(f"/api/progress/{user['id']}/goals", headers=headers, json={
        "measure": "units", "title_id": title["id"], "target": 5, "period": "month", "starts_on": "2026-03-01",
        "ends_on": "2026-03-31"}).json
    assert (on_one_title["unit"], on_one_title["current"]["value"], on_one_title["current"]["percent"]) == (
        "km", 7.75, 155.0)


def test_a_goal_on_custom_titles_names_its_unit_and_a_catalog_kind_keeps_its_own(client, running):
    user, headers, _ = running
    goals = f"/api/progress/{user['id']}/goals"
    body = {"measure": "units", "target": 30, "period": "month", "starts_on": "2026-03-01"}
    problem = problem_of(client.post(goals, headers=headers, json={**body, "kind": "custom"}), 422)
    assert "unit" in problem["errors"] and "custom title's own word" in problem["detail"]
    problem = problem_of(client.post(goals, headers=headers, json={**body, "kind": "book", "unit": "km"}), 422)
    assert problem["detail"] == "Books are counted in pages, not km."
    problem = problem_of(client.post(goals, headers=headers, json={**body, "unit": "x" * 21}), 422)
    assert "unit" in problem["errors"]
    assert client.get(goals, headers=headers).json["items"] == []


def test_the_summary_explains_a_custom_units_figure_and_the_review_counts_it(client, running, register):
    user, headers, title = running
    ran(client, headers, title)
    explained = client.get(f"/api/progress/summary/{user['id']}/explain?figure=units.km", headers=headers)
    assert explained.status_code == 200, explained.json
    assert (explained.json["value"], [(p["name"], p["value"]) for p in explained.json["parts"]]) == (
        17.75, [("Running", 17.75)])
    assert [entry["summary"] for entry in explained.json["parts"][0]["entry_details"]] == [
        "Logged 5.25 km (5.25 km so far)", "Logged 2.5 km (7.75 km so far)", "Logged 10 km (17.75 km so far)"]
    nobody_runs = client.get(f"/api/progress/summary/{user['id']}/explain?figure=units.mile", headers=headers)
    assert nobody_runs.json == {"figure": "units.mile", "value": 0, "parts": []}
    problem = problem_of(client.get(f"/api/progress/summary/{user['id']}/explain?figure=units.", headers=headers), 422)
    assert "units.km" in problem["detail"]
    review = client.get(f"/api/progress/{user['id']}/review?year=2026", headers=headers).json
    assert review["units"]["km"] == 17.75 and review["units"]["page"] == 0
    other, other_headers = register()
    assert client.get(f"/api/progress/summary/{other['id']}/explain?figure=units.km",
                      headers=other_headers).json["parts"] == []


def test_up_next_names_no_next_unit_for_a_custom_title(client, running):
    user, headers, title = running
    ran(client, headers, title)
    [item] = client.get(f"/api/progress/{user['id']}/up-next", headers=headers).json["items"]
    assert (item["title_id"], item["next_unit"]) == (title["id"], None)  # no "km 18 of …"
