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
