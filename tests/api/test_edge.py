"""The rules every route follows at the HTTP edge (shared/API.md, "General"): who may call it comes
before what the request holds, an unknown query parameter is a 400 naming it, HEAD works where GET
does, a 405 says what is allowed, and ids past the database's range are simply unknown."""
from __future__ import annotations

import re

import pytest

from tests.helpers import problem_of

# Every route of the API with a path to call it by ({user_id} filled in per test); the test below
# checks that this list covers every documented operation, so a new route cannot slip past.
ROUTES = [
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    ("POST", "/api/auth/register"), ("POST", "/api/auth/login"), ("POST", "/api/auth/token"),
    ("GET", "/api/users/me"), ("PATCH", "/api/users/me"), ("DELETE", "/api/users/me"),
    ("GET", "/api/titles"), ("POST", "/api/titles"), ("GET", "/api/titles/{title_id}"),
    ("PATCH", "/api/titles/{title_id}"), ("DELETE", "/api/titles/{title_id}"), ("GET", "/api/genres"),
    ("GET", "/api/titles/{title_id}/report"), ("GET", "/api/titles/{title_id}/report/explain"),
    ("GET", "/api/reports/kinds/{kind}"),
    ("POST", "/api/progress/log"), ("PUT", "/api/progress/log/{log_id}"), ("DELETE", "/api/progress/log/{log_id}"),
    ("GET", "/api/progress/{user_id}"), ("GET", "/api/progress/{user_id}/history"),
    ("GET", "/api/progress/summary/{user_id}"), ("GET", "/api/progress/summary/{user_id}/explain"),
    ("GET", "/api/progress/{user_id}/export"),
    ("DELETE", "/api/progress/user/{user_id}/logs"),
    ("GET", "/api/progress/{user_id}/trackers"), ("GET", "/api/progress/{user_id}/trackers/{title_id}"),
    ("PUT", "/api/progress/{user_id}/trackers/{title_id}"), ("DELETE", "/api/progress/{user_id}/trackers/{title_id}"),
    ("POST", "/api/progress/{user_id}/trackers/{title_id}/rollback"),
    ("POST", "/api/progress/{user_id}/undo"), ("DELETE", "/api/progress/{user_id}/undo/{undo_id}"),
    ("GET", "/api/progress/{user_id}/trackers/{title_id}/passes"),
    ("GET", "/api/progress/{user_id}/titles"), ("POST", "/api/progress/{user_id}/titles"), ("PATCH", "/api/progress/{user_id}/titles/{title_id}"), ("DELETE", "/api/progress/{user_id}/titles/{title_id}"),
    ("GET", "/api/progress/{user_id}/upcoming"), ("GET", "/api/progress/{user_id}/up-next"), ("GET", "/api/progress/{user_id}/calendar"), ("GET", "/api/users/me/calendar-url"), ("DELETE", "/api/users/me/calendar-url"), ("GET", "/api/calendar/{token}.ics"),  # noqa: E501
    ("POST", "/api/progress/{user_id}/goals"), ("GET", "/api/progress/{user_id}/goals"), ("GET", "/api/progress/{user_id}/goals/{goal_id}"), ("PATCH", "/api/progress/{user_id}/goals/{goal_id}"), ("DELETE", "/api/progress/{user_id}/goals/{goal_id}"), ("GET", "/api/progress/{user_id}/review"),
    ("GET", "/api/users/me/notifications"), ("PUT", "/api/users/me/notifications"), ("GET", "/api/users/me/notifications/sent"), ("GET", "/api/notifications/unsubscribe"),
    ("GET", "/api/events"), ("GET", "/api/events/stream"),
    ("POST", "/api/progress/{user_id}/imports"), ("GET", "/api/progress/{user_id}/imports"),
    ("GET", "/api/progress/{user_id}/imports/{import_id}"), ("DELETE", "/api/progress/{user_id}/imports/{import_id}"),
]
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("POST", "/api/auth/register"), ("POST", "/api/auth/login"),
          ("POST", "/api/auth/token"),
          ("GET", "/api/titles"), ("GET", "/api/titles/{title_id}"), ("GET", "/api/genres"),
          ("GET", "/api/titles/{title_id}/report"), ("GET", "/api/titles/{title_id}/report/explain")}
PUBLIC |= {("GET", "/api/calendar/{token}.ics"), ("GET", "/api/notifications/unsubscribe")}
# Routes on one user's data: another user gets 403, an admin may read (GET) but not change it.
OTHERS_DATA = [(method, path) for method, path in ROUTES if "{user_id}" in path]


def fill(path: str, *, user_id: int, title_id: int, log_id: int) -> str:
    return path.format(user_id=user_id, title_id=title_id, log_id=log_id, kind="book", undo_id="an-undo",
                       token="1-no-such-feed", goal_id=1,
                       import_id="00000000-0000-4000-8000-000000000000")


@pytest.fixture
def somebody(client, register, show):
    """A user with one entry on a show: (user, headers, title id, log id)."""
    user, headers = register()
    entry = client.post("/api/progress/log", json={"title_id": show[0], "progress": 3}, headers=headers).json
    return user, headers, show[0], entry["id"]


def test_the_route_list_covers_every_documented_operation(client):
    spec = client.get("/api/openapi.json").json
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item
                  if method != "parameters"}
    assert documented == set(ROUTES)


@pytest.mark.parametrize("method, path", ROUTES)
def test_an_unknown_query_parameter_is_a_400_naming_it_on_every_route(client, app, make_user, somebody, method, path):
    user, headers, title_id, log_id = somebody
    if (path.startswith("/api/titles") and method != "GET") or path.startswith("/api/events"):  # the admin's routes
        headers = {"Authorization": "Bearer " + app.extensions["progress_service.tokens"].issue(make_user("admin"),
                                                                                             "admin", 0)}
    url = fill(path, user_id=user["id"], title_id=title_id, log_id=log_id)
    response = client.open(url, method=method, query_string={"dryrun": "true"}, json={}, headers=headers)
    problem = problem_of(response, 400)  # a misspelt dry_run
    assert "dryrun" in problem["detail"] and "dryrun" in problem["errors"]


def test_a_misspelt_dry_run_never_applies_the_rollback(client, somebody):
    user, headers, title_id, _ = somebody
    client.post("/api/progress/log", json={"title_id": title_id, "progress": 7}, headers=headers)
    url = f"/api/progress/{user['id']}/trackers/{title_id}/rollback"
    problem_of(client.post(url, query_string={"dryrun": "true"}, json={"to_version": 1}, headers=headers), 400)
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title_id}", headers=headers).json
    assert (tracker["progress"], tracker["version"]) == (7, 2)


@pytest.mark.parametrize("method, path", [route for route in ROUTES if route not in PUBLIC])
def test_without_a_token_every_private_route_is_401_whatever_the_body(client, somebody, method, path):
    user, _, title_id, log_id = somebody
    url = fill(path, user_id=user["id"], title_id=title_id, log_id=log_id)
    for body in ({"rating": 7}, {"progress": "lots"}, None):
        response = client.open(url, method=method, json=body, query_string={"surprise": "1"})
        assert problem_of(response, 401) and response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method, path", OTHERS_DATA)
def test_another_users_data_is_403_whatever_the_body(client, register, somebody, method, path):
    owner, _, title_id, log_id = somebody
    _, stranger = register()
    url = fill(path, user_id=owner["id"], title_id=title_id, log_id=log_id)
    for body in ({"rating": 7, "to_version": "first"}, {}, None):
        problem_of(client.open(url, method=method, json=body, headers=stranger), 403)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_another_users_entry_is_403_whatever_the_body(client, register, somebody, method):
    _, _, _, log_id = somebody
    _, stranger = register()
    for body in ({"rating": 7}, {"progress": 1, "delta": 2}, None):
        response = client.open(f"/api/progress/log/{log_id}", method=method, json=body, headers=stranger)
        assert "another user's log" in problem_of(response, 403)["detail"]


def test_logging_in_another_users_log_is_403_whatever_the_rest_of_the_body(client, register, somebody):
    owner, _, title_id, _ = somebody
    _, stranger = register()
    for body in ({"user_id": owner["id"], "title_id": title_id, "rating": 9},
                 {"user_id": owner["id"], "title_id": "x"}, {"user_id": owner["id"]}):
        assert "your own log" in problem_of(client.post("/api/progress/log", json=body, headers=stranger), 403)["detail"]


def test_an_admin_reads_anyones_data_but_changes_only_their_own(client, app, somebody, make_user):
    owner, _, title_id, _ = somebody
    token = app.extensions["progress_service.tokens"].issue(make_user("admin"), "admin", 0)
    admin = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/progress/{owner['id']}/trackers/{title_id}", headers=admin).status_code == 200
    problem_of(client.put(f"/api/progress/{owner['id']}/trackers/{title_id}", json={"rating": 9}, headers=admin), 403)


@pytest.mark.parametrize("path", ["/healthz", "/api/titles", "/api/titles/1", "/api/genres", "/api/titles/1/report"])
def test_head_on_a_public_route_answers_without_a_token(client, path):
    head, get = client.head(path), client.get(path)
    assert head.status_code == get.status_code == 200
    assert head.data == b"" and head.headers["Content-Type"] == get.headers["Content-Type"]


def test_head_on_a_private_route_wants_a_token_like_get(client):
    head = client.head("/api/users/me")
    assert head.status_code == 401 and head.mimetype == "application/problem+json"


@pytest.mark.parametrize("method, path, allowed", [
    ("POST", "/api/genres", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/api/titles/1", {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}),
    ("GET", "/api/progress/log", {"POST", "OPTIONS"}),
])
def test_a_405_carries_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    problem_of(response, 405)
    assert set(re.split(r",\s*", response.headers["Allow"])) == allowed


@pytest.mark.parametrize("title_id", [2**63 - 1, 2**62, 2**32 + 1])
def test_a_title_id_at_the_end_of_the_range_is_unknown_like_any_other(client, somebody, title_id):
    user, headers, _, _ = somebody
    problem_of(client.get(f"/api/titles/{title_id}"), 404)
    problem_of(client.post("/api/progress/log", json={"title_id": title_id, "progress": 1}, headers=headers), 404)
    problem_of(client.get(f"/api/progress/{user['id']}/trackers/{title_id}", headers=headers), 404)
    problem_of(client.put(f"/api/progress/{user['id']}/trackers/{title_id}", json={"rating": 4}, headers=headers), 404)


def test_ids_past_the_range_of_ids_are_unknown_routes_or_422(client, somebody):
    user, headers, _, _ = somebody
    problem_of(client.get(f"/api/titles/{2**63}"), 404)
    assert "title_id" in problem_of(client.post("/api/progress/log", json={"title_id": 2**63, "progress": 1},
                                                headers=headers), 422)["errors"]


def test_an_idempotency_key_too_long_is_refused_never_cut(client, somebody, song):
    user, headers, _, _ = somebody
    long_a, long_b = "k" * 254 + "a", "k" * 254 + "b"
    for key in (long_a, long_b):  # 255 characters each, alike for 254: two keys, two entries
        response = client.post("/api/progress/log", json={"title_id": song[0], "delta": 1},
                               headers={**headers, "Idempotency-Key": key})
        assert response.status_code == 201, response.json
    refused = problem_of(client.post("/api/progress/log", json={"title_id": song[0], "delta": 1},
                                     headers={**headers, "Idempotency-Key": "k" * 256}), 422)
    assert "255" in refused["detail"] and "Idempotency-Key" in refused["errors"]
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{song[0]}", headers=headers).json
    assert tracker["progress"] == 2
