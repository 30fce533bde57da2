"""A user's own titles (shared/API.md, "Your own titles"): made, listed, changed and deleted by
their owner, tracked like the catalog's, and never there for anybody else: not in the catalog's
search, a read of the title, its reports, a kind's report, or another user's answers."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.api.test_edge import ROUTES
from tests.helpers import log, problem_of
from tests.integration.test_projections import differences


def own_title(client, user, headers, **fields):
    body = {"kind": "book", "name": f"My notebook {uuid.uuid4().hex[:8]}", "total_units": 120, **fields}
    response = client.post(f"/api/progress/{user['id']}/titles", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def admin(app, make_user):
    return {"Authorization": "Bearer " + app.extensions["progress_service.tokens"].issue(make_user("admin"), "admin", 0)}


@pytest.fixture
def owned(client, register):
    """A user with an own book they are reading (page 30 of 120): (user, headers, title)."""
    user, headers = register()
    title = own_title(client, user, headers, creator="Me", year=2026, description="What I wrote down")
    assert log(client, headers, title_id=title["id"], progress=30).status_code == 201
    return user, headers, title


def test_an_own_title_is_made_with_its_owner_and_the_kinds_unit(client, register):
    user, headers = register()
    title = own_title(client, user, headers, name="Field notes", kind="book", total_units=80, unit="page")
    assert {key: title[key] for key in ("kind", "name", "creator", "total_units", "unit", "owner_id", "genres",
                                        "average_rating", "rating_count")} == {
        "kind": "book", "name": "Field notes", "creator": "", "total_units": 80, "unit": "page",
        "owner_id": user["id"], "genres": [], "average_rating": None, "rating_count": 0}
    assert client.get(f"/api/titles/{title['id']}", headers=headers).json == title


def test_the_owner_lists_their_own_titles_by_name_and_only_theirs(client, register):
    user, headers = register()
    other, others = register()
    zebra = own_title(client, user, headers, name="Zebra diary", kind="tv_show")
    apple = own_title(client, user, headers, name="apple songs", kind="album")
    own_title(client, other, others, name="Not yours")
    listed = client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"]
    assert [(title["name"], title["unit"]) for title in listed] == [("apple songs", "track"), ("Zebra diary", "episode")]
    assert [title["id"] for title in listed] == [apple["id"], zebra["id"]]


def test_the_owner_changes_an_own_title_and_the_tracker_shows_it(client, owned):
    user, headers, title = owned
    changed = client.patch(f"/api/progress/{user['id']}/titles/{title['id']}",
                           json={"name": "My notebook, second edition", "total_units": 150}, headers=headers)
    assert changed.status_code == 200, changed.json
    assert (changed.json["name"], changed.json["total_units"], changed.json["creator"]) == (
        "My notebook, second edition", 150, "Me")
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).json
    assert (tracker["title"]["name"], tracker["title"]["total_units"], tracker["progress"]) == (
        "My notebook, second edition", 150, 30)


def test_an_own_title_is_deleted_only_without_a_tracker(client, register, owned):
    user, headers, title = owned
    url = f"/api/progress/{user['id']}/titles/{title['id']}"
    assert "you track it" in problem_of(client.delete(url, headers=headers), 409)["detail"]
    assert client.get(f"/api/titles/{title['id']}", headers=headers).status_code == 200
    untracked = own_title(client, user, headers, name="Never opened")
    assert client.delete(f"/api/progress/{user['id']}/titles/{untracked['id']}", headers=headers).status_code == 204
    problem_of(client.get(f"/api/titles/{untracked['id']}", headers=headers), 404)
    names = [t["name"] for t in client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"]]
    assert names == [title["name"]]


def test_one_owner_keeps_a_name_once_but_others_and_the_catalog_may_have_it(client, register, book):
    user, headers = register()
    other, others = register()
    catalog_book = client.get(f"/api/titles/{book[0]}").json
    own_title(client, user, headers, name="Diary", creator="Me")
    problem = problem_of(client.post(f"/api/progress/{user['id']}/titles",
                                     json={"kind": "book", "name": "diary", "creator": "me"}, headers=headers), 409)
    assert "already have" in problem["detail"]
    own_title(client, other, others, name="Diary", creator="Me")
    own_title(client, user, headers, name=catalog_book["name"], creator=catalog_book["creator"])


@pytest.mark.parametrize("body, field", [
    ({"kind": "book", "name": "Notes", "unit": "episode"}, "unit"),
    ({"kind": "podcast", "name": "Notes"}, "kind"),
    ({"kind": "book", "name": "   "}, "name"),
    ({"kind": "book", "name": "Notes", "total_units": 0}, "total_units"),
    ({"kind": "book", "name": "Notes", "genres": ["mine"]}, "genres"),
])
def test_a_bad_own_title_is_a_422_naming_the_field_and_makes_nothing(client, register, body, field):
    user, headers = register()
    problem = problem_of(client.post(f"/api/progress/{user['id']}/titles", json=body, headers=headers), 422)
    assert field in problem["errors"]
    assert client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"] == []


def test_an_own_title_is_tracked_through_the_timeline_export_and_summary(client, owned):
    user, headers, title = owned
    earlier = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    assert log(client, headers, title_id=title["id"], delta=10).status_code == 201
    assert log(client, headers, title_id=title["id"], rating=4.5, occurred_at=earlier).status_code == 201
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).json
    assert (tracker["progress"], tracker["rating"], tracker["title"]["unit"]) == (40, 4.5, "page")
    timeline = client.get(f"/api/progress/{user['id']}/history", query_string={"order": "occurred"},
                          headers=headers).json["items"]
    assert [item["title"]["name"] for item in timeline] == [title["name"]] * 3
    export = client.get(f"/api/progress/{user['id']}/export", headers=headers)
    exported = export.json
    assert [entry["title"]["name"] for entry in exported] == [title["name"]] * 3
    summary = client.get(f"/api/progress/summary/{user['id']}", headers=headers).json
    assert (summary["counts"]["in_progress"], summary["units"]["page"]) == (1, 40)


def test_an_own_title_is_never_in_the_catalogs_search_or_a_kinds_report(client, register, owned):
    user, headers, title = owned
    _, stranger = register()
    for who in (headers, stranger, {}):
        assert client.get("/api/titles", query_string={"q": title["name"]}, headers=who).json == {
            "items": [], "total": 0, "limit": 20, "offset": 0}
    report = client.get("/api/reports/kinds/book", headers=stranger).json
    assert title["id"] not in [top["id"] for top in report["top_titles"]]
    assert log(client, headers, title_id=title["id"], status="completed").status_code == 201
    assert client.get("/api/reports/kinds/book", headers=stranger).json["counts"] == report["counts"]


# Every route that takes a title: another user (an admin for the catalog's admin routes) gets a 404
# for an own title, as for a title that is not there, and learns nothing of it.
TITLE_ROUTES = [(method, path) for method, path in ROUTES if "{title_id}" in path] + [
    ("POST", "/api/progress/log"), ("POST", "/api/progress/{user_id}/undo")]
BODIES = {
    "/api/progress/log": lambda title_id: {"title_id": title_id, "progress": 5},
    "/api/progress/{user_id}/undo": lambda title_id: {"since": "2020-01-01T00:00:00Z",
                                                      "until": "2030-01-01T00:00:00Z", "title_id": title_id},
    "/api/progress/{user_id}/trackers/{title_id}": lambda title_id: {"rating": 3},
    "/api/progress/{user_id}/trackers/{title_id}/rollback": lambda title_id: {"to_version": 1},
    "/api/progress/{user_id}/titles/{title_id}": lambda title_id: {"name": "Taken over"},
    "/api/titles/{title_id}": lambda title_id: {"name": "Taken over"},
}


def test_the_list_of_title_routes_has_every_route_that_takes_a_title():
    assert sorted(TITLE_ROUTES) == sorted([
        ("GET", "/api/titles/{title_id}"), ("PATCH", "/api/titles/{title_id}"), ("DELETE", "/api/titles/{title_id}"),
        ("GET", "/api/titles/{title_id}/report"), ("GET", "/api/titles/{title_id}/report/explain"),
        ("GET", "/api/progress/{user_id}/trackers/{title_id}"), ("PUT", "/api/progress/{user_id}/trackers/{title_id}"),
        ("DELETE", "/api/progress/{user_id}/trackers/{title_id}"),
        ("POST", "/api/progress/{user_id}/trackers/{title_id}/rollback"),
        ("GET", "/api/progress/{user_id}/trackers/{title_id}/passes"),
        ("PATCH", "/api/progress/{user_id}/titles/{title_id}"), ("DELETE", "/api/progress/{user_id}/titles/{title_id}"),
        ("POST", "/api/progress/log"), ("POST", "/api/progress/{user_id}/undo")])


@pytest.mark.parametrize("method, path", TITLE_ROUTES)
def test_another_user_gets_a_404_for_an_own_title_on_every_route_that_takes_one(client, register, admin, owned,
                                                                                 method, path):
    user, headers, title = owned
    stranger, strangers = register()
    who = admin if path.startswith("/api/titles/{title_id}") and method != "GET" else strangers
    query = {"figure": "rating_count"} if path.endswith("/explain") else {}
    url = path.format(user_id=stranger["id"], title_id=title["id"])
    body = BODIES.get(path, lambda title_id: None)(title["id"])
    problem = problem_of(client.open(url, method=method, json=body, query_string=query, headers=who), 404)
    assert title["name"] not in json.dumps(problem)
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title['id']}", headers=headers).json
    assert (tracker["title"]["name"], tracker["progress"], tracker["version"]) == (title["name"], 30, 1)
    assert client.get(f"/api/titles/{title['id']}", headers=headers).json["name"] == title["name"]


@pytest.mark.parametrize("method, path", [(m, p) for m, p in ROUTES if p.startswith("/api/progress/{user_id}/titles")])
def test_another_user_cannot_reach_the_owners_own_titles_routes(client, register, owned, method, path):
    user, _, title = owned
    _, stranger = register()
    url = path.format(user_id=user["id"], title_id=title["id"])
    problem_of(client.open(url, method=method, json={"kind": "book", "name": "Mine now"}, headers=stranger), 403)


def test_the_owners_own_titles_are_not_in_another_users_answers(client, register, owned):
    user, headers, title = owned
    stranger, strangers = register()
    answers = [client.get(f"/api/progress/{stranger['id']}{path}", headers=strangers).get_data(as_text=True)
               for path in ("", "/trackers", "/history", "/export", "/titles")]
    answers.append(client.get(f"/api/progress/summary/{stranger['id']}", headers=strangers).get_data(as_text=True))
    assert not [answer for answer in answers if title["name"] in answer or f'"title_id": {title["id"]}' in answer]


def test_an_admin_reads_a_users_own_titles_but_does_not_make_them(client, admin, owned):
    user, _, title = owned
    listed = client.get(f"/api/progress/{user['id']}/titles", headers=admin).json["items"]
    assert [t["name"] for t in listed] == [title["name"]]
    problem_of(client.post(f"/api/progress/{user['id']}/titles", json={"kind": "book", "name": "Planted"},
                           headers=admin), 403)


def test_an_erased_account_takes_its_own_titles_with_it(client, register, owned, admin):
    user, headers, title = owned
    assert client.delete("/api/users/me", headers=headers).status_code == 204
    problem_of(client.get(f"/api/titles/{title['id']}", headers=admin), 404)
    assert client.get(f"/api/progress/{user['id']}/titles", headers=admin).json["items"] == []


def test_own_titles_entries_rebuild_from_the_log_as_they_stand_and_an_erased_owner_leaves_nothing(client, db, owned):
    user, headers, title = owned
    assert log(client, headers, title_id=title["id"], rating=3.5).status_code == 201
    client.patch(f"/api/progress/{user['id']}/titles/{title['id']}", json={"name": "Renamed notes"}, headers=headers)
    assert differences(db) == []
    assert client.delete("/api/users/me", headers=headers).status_code == 204
    assert differences(db) == []
    with db.read() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM title_stats WHERE title_id = :id"), {"id": title["id"]})
        assert left.scalar_one() == 0
