"""Registration, login, tokens and the account, through the real Flask stack."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest


def problem_of(response, status):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]
    return response.json


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


def test_repeated_failed_logins_are_limited(client, register):
    user, _ = register("the right one")
    for _ in range(5):
        problem_of(client.post("/api/auth/login", json={"username": user["username"], "password": "nope"}), 401)
    assert "Too many" in problem_of(
        client.post("/api/auth/login", json={"username": user["username"], "password": "the right one"}), 429)["detail"]


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
