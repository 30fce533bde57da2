"""Explainable figures through the real Flask stack: which trackers make a figure of the summary or of
a title's report, and the entries behind each part, worked out by hand from the scenario."""
from __future__ import annotations

import json
import re

import pytest

from tests.api.test_catalog import add_title, admin, headers_for, tag  # noqa: F401 (fixtures)
from tests.helpers import problem_of

FIGURES = ["counts.planned", "counts.in_progress", "counts.completed", "counts.paused", "counts.dropped",
           "units.episode", "units.page", "units.track", "units.play", "ratings.count", "ratings.average"]
REPORT_FIGURES = ["counts.planned", "counts.in_progress", "counts.completed", "counts.paused", "counts.dropped",
                  "rating_count", "average_rating", "completion_rate"]


def at(day: int, hour: int) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00+00:00"


def logged(client, headers, title_id, **change) -> int:
    response = client.post("/api/progress/log", json={"title_id": title_id, **change}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def explained(client, headers, user_id, figure):
    response = client.get(f"/api/progress/summary/{user_id}/explain?figure={figure}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def scenario(client, register, add_title):  # noqa: F811
    """Four titles with a history each, rewritten by a correction, retractions, a backdated entry and a
    rollback. Returns the user, their headers, the titles and the entries by name."""
    user, headers = register()
    titles = {"night": add_title("Night Shift", kind="tv_show", total_units=10),
              "short": add_title("Short Show", kind="tv_show", total_units=6),
              "book": add_title("Long Book", kind="book", total_units=300),
              "song": add_title("One Song", kind="song")}
    night, short, book, song = (titles[name]["id"] for name in ("night", "short", "book", "song"))
    e = {}
    e["planned"] = logged(client, headers, night, status="planned", occurred_at=at(10, 20))
    e["ep5"] = logged(client, headers, night, progress=5, occurred_at=at(14, 20))   # planned → in progress
    e["plus1"] = logged(client, headers, night, delta=1, occurred_at=at(15, 20))    # 6, corrected to +2: 7
    e["plus1b"] = logged(client, headers, night, delta=1, occurred_at=at(16, 20))   # 8, then retracted: 7
    e["rated4"] = logged(client, headers, night, rating=4, occurred_at=at(16, 21))
    assert client.put(f"/api/progress/log/{e['plus1']}", json={"delta": 2}, headers=headers).status_code == 200
    assert client.delete(f"/api/progress/log/{e['plus1b']}", headers=headers).status_code == 200

    e["all6"] = logged(client, headers, short, progress=6, occurred_at=at(12, 9))   # completed
    e["ep3"] = logged(client, headers, short, progress=3, occurred_at=at(11, 9))    # backdated: before the 6
    logged(client, headers, short, rating=2.5, occurred_at=at(13, 9))
    rollback = client.post(f"/api/progress/{user['id']}/trackers/{short}/rollback", json={"to_version": 2},
                           headers=headers)
    assert rollback.status_code == 200 and rollback.json["rating"] is None  # the 2.5 no longer counts

    e["book"] = logged(client, headers, book, status="planned", occurred_at=at(20, 8))

    e["play1"] = logged(client, headers, song, delta=1, occurred_at=at(21, 8))      # retracted
    e["play2"] = logged(client, headers, song, delta=1, occurred_at=at(21, 9))      # so this one starts it
    e["play3"] = logged(client, headers, song, delta=1, occurred_at=at(21, 10))
    e["rated3.5"] = logged(client, headers, song, rating=3.5, occurred_at=at(21, 11))
    assert client.delete(f"/api/progress/log/{e['play1']}", headers=headers).status_code == 200
    return user, headers, titles, e


def test_each_figure_of_the_summary_is_made_of_its_trackers_and_the_entries_behind_them(client, scenario):
    user, headers, titles, e = scenario
    night, short, book, song = (titles[name] for name in ("night", "short", "book", "song"))
    part = lambda title, value, *entries: {"title_id": title["id"], "name": title["name"], "value": value,  # noqa: E731
                                           "entries": [e[name] for name in entries]}
    expected = {
        "counts.planned": (1, [part(book, 1, "book")]),
        "counts.in_progress": (2, [part(night, 1, "ep5"), part(song, 1, "play2")]),
        "counts.completed": (1, [part(short, 1, "all6")]),
        "counts.paused": (0, []), "counts.dropped": (0, []),
        "units.episode": (13, [part(night, 7, "ep5", "plus1"), part(short, 6, "all6")]),  # 5 + 2, and 6
        "units.page": (0, []), "units.track": (0, []),
        "units.play": (2, [part(song, 2, "play2", "play3")]),
        "ratings.count": (2, [part(night, 1, "rated4"), part(song, 1, "rated3.5")]),
        "ratings.average": (3.75, [part(night, 4.0, "rated4"), part(song, 3.5, "rated3.5")]),
    }
    assert sorted(expected) == sorted(FIGURES)
    summary = client.get(f"/api/progress/summary/{user['id']}", headers=headers).json
    for figure, (value, parts) in expected.items():
        answer = explained(client, headers, user["id"], figure)
        assert answer["figure"] == figure and answer["value"] == value, figure
        assert [{k: p[k] for k in ("title_id", "name", "value", "entries")} for p in answer["parts"]] == parts, figure
        group, name = figure.split(".")
        assert answer["value"] == summary[group][name]  # exactly the summary's figure
    assert isinstance(explained(client, headers, user["id"], "counts.planned")["value"], int)  # a count stays whole


def test_the_entries_behind_a_part_are_said_in_words_with_when_they_occurred(client, scenario):
    user, headers, titles, e = scenario
    [night, short] = explained(client, headers, user["id"], "units.episode")["parts"]
    assert night["entry_details"] == [
        {"id": e["ep5"], "occurred_at": at(14, 20), "summary": "Watched episode 5 of 10"},
        {"id": e["plus1"], "occurred_at": at(15, 20), "summary": "Watched episode 6 of 10 (corrected to: +2 episodes)"}]
    assert short["entry_details"] == [{"id": e["all6"], "occurred_at": at(12, 9), "summary": "Watched episode 6 of 6"}]
    [played] = explained(client, headers, user["id"], "counts.in_progress")["parts"][1:]
    assert played["entry_details"] == [{"id": e["play2"], "occurred_at": at(21, 9),
                                        "summary": "Played it (2 plays so far)"}]


def test_a_tracker_removed_is_no_part_of_any_figure_and_one_added_again_starts_afresh(client, register, add_title):  # noqa: F811
    user, headers = register()
    show = add_title("Again Show", kind="tv_show", total_units=8)["id"]
    logged(client, headers, show, progress=4, occurred_at=at(1, 8))
    logged(client, headers, show, rating=5, occurred_at=at(1, 9))
    assert client.delete(f"/api/progress/{user['id']}/trackers/{show}", headers=headers).status_code == 200
    assert explained(client, headers, user["id"], "units.episode") == {"figure": "units.episode", "value": 0, "parts": []}
    again = logged(client, headers, show, delta=2)  # now: after the removal
    answer = explained(client, headers, user["id"], "counts.in_progress")
    assert (answer["value"], [p["entries"] for p in answer["parts"]]) == (1, [[again]])
    assert explained(client, headers, user["id"], "ratings.average")["value"] is None  # the old rating went with it


def test_a_title_report_figure_is_made_of_parts_that_add_up_and_names_users_only_to_an_admin(
        client, register, add_title, admin):  # noqa: F811
    title = add_title("Shared Show", kind="tv_show", total_units=10)["id"]
    users = [register() for _ in range(5)]
    for (user, headers), changes in zip(users, [
            [{"progress": 2}, {"rating": 3}], [{"progress": 5}, {"rating": 4}], [{"progress": 2}],
            [{"progress": 10}, {"rating": 4}], [{"status": "planned"}]]):
        for change in changes:
            logged(client, headers, title, **change)
    ids = [user["id"] for user, _ in users]
    report = client.get(f"/api/titles/{title}/report").json
    expected = {
        "counts.in_progress": (3, [{"value": 5, "count": 1}, {"value": 2, "count": 2}], [[ids[1]], sorted([ids[0], ids[2]])]),
        "counts.completed": (1, [{"value": 10, "count": 1}], [[ids[3]]]),
        "counts.planned": (1, [{"value": 0, "count": 1}], [[ids[4]]]),
        "counts.paused": (0, [], []),
        "rating_count": (3, [{"value": 4.0, "count": 2}, {"value": 3.0, "count": 1}], [sorted([ids[1], ids[3]]), [ids[0]]]),
        "average_rating": (3.67, [{"value": 4.0, "count": 2}, {"value": 3.0, "count": 1}], [sorted([ids[1], ids[3]]), [ids[0]]]),
        "completion_rate": (0.2, [{"value": 1, "count": 1}, {"value": 0, "count": 4}], [[ids[3]], sorted([*ids[:3], ids[4]])]),
    }
    for figure, (value, parts, user_ids) in expected.items():
        group, _, name = figure.partition(".")
        assert value == (report[group][name] if name else report[group])  # the report's own figure
        for headers in ({}, users[0][1]):  # anyone, or a user who tracks it: no user anywhere
            response = client.get(f"/api/titles/{title}/report/explain?figure={figure}", headers=headers)
            assert response.status_code == 200 and response.json == {"figure": figure, "value": value, "parts": parts}
            text = response.get_data(as_text=True)
            assert "user" not in text and not any(user["username"] in text for user, _ in users)
        by_admin = client.get(f"/api/titles/{title}/report/explain?figure={figure}", headers=admin).json
        assert by_admin["value"] == value
        assert by_admin["parts"] == [{**p, "user_ids": u} for p, u in zip(parts, user_ids)]


def test_a_title_nobody_tracks_explains_its_empty_figures(client, add_title):  # noqa: F811
    title = add_title("Lonely Book")["id"]
    for figure, value in [("average_rating", None), ("completion_rate", None), ("rating_count", 0),
                          ("counts.completed", 0)]:
        response = client.get(f"/api/titles/{title}/report/explain?figure={figure}")
        assert response.json == {"figure": figure, "value": value, "parts": []}
    problem_of(client.get("/api/titles/987654321/report/explain?figure=rating_count"), 404)


@pytest.mark.parametrize("query, said", [
    ("figure=counts.watching", "There is no figure 'counts.watching' to explain"),
    ("figure=", "There is no figure '' to explain"),
    ("", "Say which figure to explain"),
])
def test_an_unknown_or_missing_figure_is_a_422_naming_the_figures(client, register, query, said):
    user, headers = register()
    problem = problem_of(client.get(f"/api/progress/summary/{user['id']}/explain?{query}", headers=headers), 422)
    assert problem["detail"] == (f"{said}: figure is one of {', '.join(FIGURES)}, "
                                 f"units.<a custom title's unit, such as units.km>.")
    assert problem["errors"] == {"figure": [problem["detail"]]}
    problem = problem_of(client.get(f"/api/titles/1/report/explain?{query}"), 422)
    assert problem["detail"] == f"{said}: figure is one of {', '.join(REPORT_FIGURES)}."
    assert list(problem["errors"]) == ["figure"]


def test_an_unknown_query_parameter_is_a_400_naming_it(client, register):
    user, headers = register()
    problem = problem_of(client.get(f"/api/progress/summary/{user['id']}/explain?figure=ratings.count&figures=x",
                                    headers=headers), 400)
    assert "figures" in problem["errors"]
    assert "verbose" in problem_of(client.get("/api/titles/1/report/explain?figure=rating_count&verbose=1"),
                                   400)["errors"]


def test_a_user_explains_only_their_own_summary_and_an_admin_anyones(client, register, make_user, headers_for):  # noqa: F811
    owner, headers = register()
    _, stranger = register()
    path = f"/api/progress/summary/{owner['id']}/explain?figure=counts.planned"
    assert client.get(path, headers=headers).status_code == 200
    problem_of(client.get(path, headers=stranger), 403)
    problem_of(client.get(path), 401)
    problem_of(client.get(f"/api/progress/summary/{owner['id']}/explain?figure=nonsense", headers=stranger), 403)
    assert client.get(path, headers=headers_for(make_user("admin"), "admin")).status_code == 200


def test_a_token_sent_to_the_report_explanation_is_checked(client):
    problem_of(client.get("/api/titles/1/report/explain?figure=rating_count",
                          headers={"Authorization": "Bearer not-a-token"}), 401)


def test_the_openapi_document_describes_both_explanations(client):
    spec = client.get("/api/openapi.json").json
    summary = spec["paths"]["/api/progress/summary/{user_id}/explain"]["get"]
    report = spec["paths"]["/api/titles/{title_id}/report/explain"]["get"]
    [figure] = [p for p in summary["parameters"] if p["name"] == "figure"]
    pattern = re.compile(figure["schema"]["pattern"])
    assert figure["required"] and all(pattern.fullmatch(f) for f in FIGURES + ["units.km", "units.glass of water"])
    assert not any(pattern.fullmatch(f) for f in ["counts.watching", "units.", "units. km", "units." + "x" * 21])
    [figure] = [p for p in report["parameters"] if p["name"] == "figure"]
    assert figure["schema"]["enum"] == REPORT_FIGURES
    assert report["security"] == [{}, {"bearer": []}]  # public; an admin's token shows more
    part = spec["components"]["schemas"]["ReportPart"]
    assert "user_ids" in part["properties"] and "user_ids" not in part.get("required", [])
    assert json.dumps(spec["components"]["schemas"]["SummaryPart"]).count("entries") >= 1
