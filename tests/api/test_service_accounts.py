"""Service accounts through the real Flask stack (shared/API.md, "Others follow the log"): client
credentials give a token of role service, which reads the feed and reaches nothing else, and
which ends the moment its service is revoked."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import sqlalchemy as sa

from progress_service.errors import Conflict
from tests.api.test_catalog import admin, headers_for  # noqa: F401 (fixtures)
from tests.helpers import log, problem_of

SERVICES_READ_THE_FEED = "A service reads the feed and nothing else."


@pytest.fixture
def services(app):
    return app.extensions["progress_service.service_accounts"]


@pytest.fixture
def service(services) -> dict:
    """A new service, with the secret it was made with."""
    return services.create(f"reader {uuid.uuid4().hex[:8]}")


def token_answer(client, client_id: str, client_secret: str, grant_type: str = "client_credentials"):
    return client.post("/api/auth/token", json={"grant_type": grant_type, "client_id": client_id,
                                                "client_secret": client_secret})


def bearer(client, service: dict) -> dict:
    answer = token_answer(client, service["client_id"], service["client_secret"])
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def test_client_credentials_give_a_token_of_role_service_shaped_like_a_login(client, service, app):
    answer = token_answer(client, service["client_id"], service["client_secret"])
    assert answer.status_code == 200, answer.json
    assert set(answer.json) == {"access_token", "token_type", "expires_in", "role"}
    assert answer.json["role"] == "service" and answer.json["token_type"] == "Bearer"
    assert answer.json["expires_in"] == app.config["PROGRESS_SERVICE"].token_ttl > 0


def test_the_secret_is_kept_only_as_an_argon2_hash(db, service):
    with db.read() as conn:
        row = conn.execute(sa.text("SELECT * FROM services WHERE client_id = :c"),
                           {"c": service["client_id"]}).mappings().one()
    assert row["secret_hash"].startswith("$argon2id$")
    assert service["client_secret"] not in " ".join(str(value) for value in row.values())
    assert service["client_id"].startswith("svc_") and row["name"] == service["name"] and row["revoked_at"] is None


def test_a_service_token_reads_the_feed_with_every_new_event(client, service, register, show):
    headers = bearer(client, service)
    start = client.get("/api/events", query_string={"after": 0, "limit": 1}, headers=headers)
    assert start.status_code == 200, start.json
    user, user_headers = register()
    logged = log(client, user_headers, title_id=show[0], progress=2).json["id"]
    page = client.get("/api/events", query_string={"after": start.json["high_water"], "limit": 100, "wait": 5},
                      headers=headers)
    assert page.status_code == 200, page.json
    assert set(page.json) >= {"items", "next_after", "high_water"}
    assert [item["id"] for item in page.json["items"] if item["user_id"] == user["id"]] == [logged]
    stream = client.get("/api/events/stream", query_string={"after": start.json["high_water"]}, headers=headers,
                        buffered=False)
    try:
        assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
        received = ""
        for chunk in stream.response:  # the logged entry arrives as an event with its log id
            received += chunk.decode() if isinstance(chunk, bytes) else chunk
            if f"id: {logged}\n" in received:
                break
    finally:
        stream.close()


def _operations(client):
    """Every documented operation that takes a bearer token, with its path's ids filled with 1."""
    spec = client.get("/api/openapi.json").json
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            security = operation.get("security", spec.get("security"))
            if not any("bearer" in scheme for scheme in security):
                continue  # a public route that reads no token (login, healthz)
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_but_the_feed_refuses_a_service_token(client, service):
    headers = bearer(client, service)  # service id and user id 1 alike: never taken for user 1
    operations = list(_operations(client))
    tried = [(method, url) for method, url in operations if not url.startswith("/api/events")]
    assert len(tried) >= 40 and ("GET", "/api/users/me") in tried and ("GET", "/api/titles/1") in tried
    assert {url for _, url in operations} >= {"/api/events", "/api/events/stream"}
    for method, url in tried:
        for body in ({}, {"user_id": 1, "title_id": 1, "progress": 1}):
            response = client.open(url, method=method, json=body if method in ("POST", "PUT", "PATCH") else None,
                                   headers=headers)
            assert response.status_code == 403, (method, url, response.status_code, response.get_data()[:300])
            assert problem_of(response, 403)["detail"] == SERVICES_READ_THE_FEED, (method, url)


def test_revoking_a_service_ends_its_tokens_at_once(client, service, services):
    headers = bearer(client, service)
    assert client.get("/api/events", query_string={"limit": 1}, headers=headers).status_code == 200
    services.revoke(service["name"])
    for response in (client.get("/api/events", query_string={"limit": 1}, headers=headers),
                     client.get("/api/events/stream", headers=headers),
                     client.get("/api/users/me", headers=headers)):  # ended, not merely misplaced
        assert "revoked" in problem_of(response, 401)["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"
    refused = problem_of(token_answer(client, service["client_id"], service["client_secret"]), 401)
    wrong = problem_of(token_answer(client, service["client_id"], "not the secret"), 401)
    assert refused["detail"] == wrong["detail"]  # a revoked service is told no more than a wrong secret


def test_an_open_stream_of_a_revoked_service_ends_before_its_next_event(client, service, services, register, show):
    stream = client.get("/api/events/stream", headers=bearer(client, service), buffered=False)
    try:
        assert stream.status_code == 200
        pieces = iter(stream.response)
        assert b"following the feed" in next(pieces)
        services.revoke(service["name"])
        _, user_headers = register()
        log(client, user_headers, title_id=show[0], progress=1)
        # the stream ends (a client that comes back is told 401) rather than send the feed on
        assert next(pieces, None) is None
    finally:
        stream.close()


def test_a_revoked_name_may_be_used_again_but_a_live_one_may_not(client, service, services):
    with pytest.raises(Conflict, match="revoke it first"):
        services.create(service["name"].upper())
    services.revoke(service["name"])
    again = services.create(service["name"])
    assert again["client_id"] != service["client_id"]
    assert client.get("/api/events", query_string={"limit": 1}, headers=bearer(client, again)).status_code == 200


def test_wrong_credentials_are_one_401_whatever_is_wrong(client, service, services):
    revoked = services.create(f"gone {uuid.uuid4().hex[:8]}")
    services.revoke(revoked["name"])
    tries = [(service["client_id"], service["client_secret"] + "x"),  # a wrong secret
             (f"svc_{uuid.uuid4().hex}", service["client_secret"]),  # an unknown client id
             (service["client_id"], revoked["client_secret"]),  # another's secret
             (revoked["client_id"], revoked["client_secret"])]  # a revoked service's own
    details = {problem_of(token_answer(client, client_id, secret), 401)["detail"] for client_id, secret in tries}
    assert len(details) == 1 and "client id or secret is wrong" in details.pop()


def test_another_grant_type_is_a_422_naming_grant_type(client, service):
    for grant_type in ("password", "", "CLIENT_CREDENTIALS"):
        problem = problem_of(token_answer(client, service["client_id"], service["client_secret"], grant_type), 422)
        assert "grant_type" in problem["errors"] and "client_credentials" in " ".join(problem["errors"]["grant_type"])
    missing = client.post("/api/auth/token", json={"client_id": service["client_id"],
                                                   "client_secret": service["client_secret"]})
    assert "grant_type" in problem_of(missing, 422)["errors"]


def test_a_users_token_still_may_not_read_the_feed_and_an_admins_may(client, register, admin):  # noqa: F811
    _, headers = register()
    for url in ("/api/events", "/api/events/stream"):
        assert "admin or a service" in problem_of(client.get(url, headers=headers), 403)["detail"]
    assert client.get("/api/events", query_string={"limit": 1}, headers=admin).status_code == 200


def test_a_token_naming_a_service_with_a_users_role_is_not_valid(client, app, service):
    secret = app.extensions["progress_service.tokens"].secret
    expires = datetime.now(timezone.utc) + timedelta(minutes=5)
    for subject, role in ((f"service:{service['id']}", "admin"),  # signed by us, but a service is never an admin
                          ("1", "service")):  # nor a user a service
        forged = jwt.encode({"sub": subject, "role": role, "ver": 0, "exp": expires}, secret, algorithm="HS256")
        assert "not valid" in problem_of(client.get("/api/events", headers={"Authorization": f"Bearer {forged}"}),
                                         401)["detail"]
