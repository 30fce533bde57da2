"""Registration, login, tokens and the account, through the real Flask stack."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from tests.helpers import problem_of


def test_register_returns_the_user_and_a_token_that_works(client):
    name = f"reader_{uuid.uuid4().hex[:8]}"
    response = client.post("/api/auth/register", json={"username": name, "password": "long enough", "email": "r@x.org"})
    assert response.status_code == 201
    assert set(response.json["user"]) == {"id", "username", "email", "role", "created_at"}
    assert response.json["user"]["role"] == "user"
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200 and me.json["username"] == name and "password_hash" not in me.json


def test_a_taken_username_is_a_conflict_whatever_its_case(client):
    name = f"Dup_{uuid.uuid4().hex[:8]}"
    client.post("/api/auth/register", json={"username": name, "password": "long enough"})
    assert problem_of(client.post("/api/auth/register", json={"username": name.lower(), "password": "long enough"}),
                      409)["detail"] == "That username is already taken."


@pytest.mark.parametrize("body, field", [({"username": "ab", "password": "long enough"}, "username"),
                                         ({"username": "has space", "password": "long enough"}, "username"),
                                         ({"username": "fine_name", "password": "short"}, "password"),
                                         ({"password": "long enough"}, "username")])
def test_invalid_registrations_name_the_field(client, body, field):
    assert field in problem_of(client.post("/api/auth/register", json=body), 422)["errors"]


def test_login_gives_a_bearer_token_and_a_wrong_password_gives_401(client, register):
    user, _ = register("the right one")
    good = client.post("/api/auth/login", json={"username": user["username"], "password": "the right one"})
    assert good.status_code == 200
    assert (good.json["token_type"], good.json["user"]["id"]) == ("Bearer", user["id"]) and good.json["expires_in"] > 0
    problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "wrong one"}), 401)


def test_repeated_failed_logins_are_limited_with_a_retry_after(client, register):
    user, _ = register("the right one")
    for _ in range(5):
        problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "nope"}), 401)
    refused = client.post("/api/auth/login", json={"username": user["username"], "password": "the right one"})
    assert "Too many" in problem_of(refused, 429)["detail"]
    assert 290 <= int(refused.headers["Retry-After"]) <= 300
    assert f"{refused.headers['Retry-After']} seconds" in refused.json["detail"]


def test_the_login_limit_holds_across_app_servers_on_one_database(app, db, register, tmp_path):
    """Two app servers (as two worker processes, or two machines) share one count."""
    from progress_service import create_app
    from progress_service.config import Config

    user, _ = register("the right one")
    other = create_app(Config(database_url=db.url, data_dir=tmp_path), db=db).test_client()  # its own secret
    servers = [app.test_client(), other]
    for attempt in range(5):
        problem_of(servers[attempt % 2].post("/api/auth/login", json={"username": user["username"],
                                                                      "password": "nope"}), 401)
    for server in servers:
        problem_of(server.post("/api/auth/login", json={"username": user["username"], "password": "the right one"}),
                   429)
    other_address = app.test_client().post("/api/auth/login", environ_base={"REMOTE_ADDR": "192.0.2.7"},
                                           json={"username": user["username"], "password": "the right one"})
    assert other_address.status_code == 200  # the limit is per username and address


def test_a_good_login_clears_the_count(client, register):
    user, _ = register("the right one")
    for _ in range(4):
        problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "nope"}), 401)
    assert client.post("/api/auth/login", json={"username": user["username"], "password": "the right one"}).status_code == 200
    for _ in range(5):
        problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "nope"}), 401)


def test_a_login_takes_as_long_for_an_unknown_username_as_for_a_wrong_password(client, register):
    import time

    user, _ = register("the right one")

    def median_seconds(username: str) -> float:
        times = []
        for i in range(5):  # each from an address of its own, below the limit
            started = time.perf_counter()
            problem_of(client.post("/api/auth/login", environ_base={"REMOTE_ADDR": f"198.51.100.{i}"},
                                   json={"username": username, "password": "not it"}), 401)
            times.append(time.perf_counter() - started)
        return sorted(times)[2]

    from progress_service.security import hash_password, password_matches

    started, stored = time.perf_counter(), hash_password("x")
    password_matches(stored, "not it")
    one_check = (time.perf_counter() - started) / 2  # argon2 on this machine: tens of ms
    known, unknown = median_seconds(user["username"]), median_seconds(f"nobody_{uuid.uuid4().hex[:8]}")
    # both pay for a password check; without one an unknown name would answer in about a millisecond
    assert unknown > 0.5 * one_check and known > 0.5 * one_check, (unknown, known, one_check)


def test_requests_without_a_valid_token_are_401(client, app, register):
    user, headers = register()
    token = headers["Authorization"].split()[1]
    secret = app.extensions["progress_service.tokens"].secret
    header, payload, signature = token.split(".")
    forged = {
        "none": jwt.encode({"sub": str(user["id"]), "role": "admin"}, None, algorithm="none"),
        "other secret": jwt.encode({"sub": str(user["id"]), "exp": datetime.now(timezone.utc) + timedelta(hours=1)},
                                   "a different secret, long enough for HS256 to accept", algorithm="HS256"),
        "changed payload": ".".join([header, jwt.encode({"sub": "1", "role": "admin"}, secret).split(".")[1], signature]),
        "expired": jwt.encode({"sub": str(user["id"]), "exp": datetime.now(timezone.utc) - timedelta(seconds=5)},
                              secret, algorithm="HS256"),
    }
    response = client.get("/api/users/me")
    assert problem_of(response, 401) and response.headers["WWW-Authenticate"] == "Bearer"
    for name, bad in forged.items():
        problem_of(client.get("/api/users/me", headers={"Authorization": f"Bearer {bad}"}), 401)
    assert "expired" in client.get("/api/users/me", headers={"Authorization": f"Bearer {forged['expired']}"}).json["detail"]


def test_the_account_can_change_its_email_and_password(client, register):
    user, headers = register("old password")
    changed = client.patch("/api/users/me", json={"email": "new@example.org", "password": "new password"}, headers=headers)
    assert changed.status_code == 200 and changed.json["email"] == "new@example.org"
    assert client.post("/api/auth/login", json={"username": user["username"], "password": "new password"}).status_code == 200
    problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "old password"}), 401)


def test_a_password_change_ends_every_earlier_token_at_once(client, app, db, register, tmp_path):
    from progress_service import create_app
    from progress_service.config import Config

    user, headers = register("old password")
    second = client.post("/api/auth/login", json={"username": user["username"], "password": "old password"}).json
    secret = app.extensions["progress_service.tokens"].secret  # app servers of one service share the secret
    other_server = create_app(Config(database_url=db.url, data_dir=tmp_path, secret_key=secret), db=db).test_client()
    assert other_server.get("/api/users/me", headers=headers).status_code == 200  # its verdict on the token is kept
    assert client.patch("/api/users/me", json={"password": "new password"}, headers=headers).status_code == 200
    for server in (client, other_server):
        for token_headers in (headers, {"Authorization": f"Bearer {second['access_token']}"}):
            assert "password has changed" in problem_of(server.get("/api/users/me", headers=token_headers), 401)["detail"]
            problem_of(server.get(f"/api/progress/{user['id']}/trackers", headers=token_headers), 401)
    fresh = client.post("/api/auth/login", json={"username": user["username"], "password": "new password"}).json
    assert client.get("/api/users/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_a_deleted_admins_token_reaches_nothing(client, app, register, show):
    accounts = app.extensions["progress_service.accounts"]
    admin = accounts.create_admin(f"gone_{uuid.uuid4().hex[:8]}", "admin password")
    admin_headers = {"Authorization": f"Bearer {accounts.token_for(admin)}"}
    someone, _ = register()
    assert client.get(f"/api/progress/{someone['id']}/trackers", headers=admin_headers).status_code == 200
    assert client.delete("/api/users/me", headers=admin_headers).status_code == 204
    problem_of(client.get(f"/api/progress/{someone['id']}/trackers", headers=admin_headers), 401)
    problem_of(client.get(f"/api/progress/{someone['id']}/export", headers=admin_headers), 401)
    problem_of(client.post("/api/titles", json={"kind": "book", "name": f"Not {uuid.uuid4().hex}"},
                           headers=admin_headers), 401)
    problem_of(client.post("/api/progress/log", json={"title_id": show[0], "progress": 1, "user_id": someone["id"]},
                           headers=admin_headers), 401)


def test_deleting_the_account_erases_it(client, register, show, db):
    user, headers = register("goodbye pass")
    assert client.post("/api/progress/log", json={"title_id": show[0], "progress": 2}, headers=headers).status_code == 201
    assert client.post("/api/progress/log", json={"title_id": show[0], "rating": 1}, headers=headers).status_code == 201
    before = client.get(f"/api/titles/{show[0]}/report").json
    assert client.delete("/api/users/me", headers=headers).status_code == 204
    after = client.get(f"/api/titles/{show[0]}/report").json
    assert (after["trackers"], after["rating_count"]) == (before["trackers"] - 1, before["rating_count"] - 1)
    assert after["rating_histogram"]["1.0"] == before["rating_histogram"]["1.0"] - 1
    problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "goodbye pass"}), 401)
    assert "no longer exists" in problem_of(client.get("/api/users/me", headers=headers), 401)["detail"]
    import sqlalchemy as sa
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u"), {"u": user["id"]}).scalar() == 0


def test_the_signing_secret_is_generated_once_and_kept_private(tmp_path):
    from progress_service.config import Config
    from progress_service.security import signing_secret

    config = Config(data_dir=tmp_path / "data")
    first = signing_secret(config)
    assert len(first) >= 40 and signing_secret(config) == first
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert signing_secret(Config(data_dir=tmp_path, secret_key="from-the-environment")) == "from-the-environment"


def test_text_with_a_nul_character_is_a_bad_request_not_a_crash(client, register):
    _, headers = register()
    detail = problem_of(client.post("/api/auth/login", json={"username": "a\u0000b", "password": "long enough"}), 400)
    assert "NUL" in detail["detail"]
    problem_of(client.get("/api/titles", query_string={"q": "x\u0000y"}), 400)


def test_an_id_beyond_the_databases_range_is_an_unknown_route(client, register):
    _, headers = register()
    huge = 2**64
    problem_of(client.get(f"/api/progress/{huge}/trackers/1", headers=headers), 404)
    refused = client.delete(f"/api/progress/log/{huge}", headers=headers)  # werkzeug answers 405 here
    assert refused.status_code in (404, 405) and refused.mimetype == "application/problem+json"
    problem_of(client.delete(f"/api/progress/user/{huge}/logs", query_string={"purge": "true"}, headers=headers), 404)
