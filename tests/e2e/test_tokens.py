"""Forged and stale tokens against a real `serve` (its worker processes each keep what they have
verified): every one is a 401 problem+json, on every worker, from the moment it goes stale."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import jwt
import pytest

pytestmark = pytest.mark.e2e


def call(url: str, method: str = "GET", token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    """One request on a fresh connection (so the requests spread over the workers)."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Connection": "close",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Type"] == "application/problem+json"
        return error.code, json.loads(error.read())


def account(server: str, password: str = "first password") -> tuple[dict, str]:
    status, made = call(f"{server}/api/auth/register", "POST",
                        body={"username": f"tok_{uuid.uuid4().hex[:10]}", "password": password})
    assert status == 201
    return made["user"], made["access_token"]


def many(server: str, token: str, count: int = 24) -> list[int]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: call(f"{server}/api/users/me", token=token)[0], range(count)))


def test_forged_tokens_are_refused(server):
    user, token = account(server)
    header, payload, signature = token.split(".")
    now = datetime.now(timezone.utc)
    claims = {"sub": str(user["id"]), "role": "admin", "ver": 0, "exp": now + timedelta(hours=1)}
    forged = {
        "no signature (alg none)": jwt.encode(claims, None, algorithm="none"),
        "signed with another secret": jwt.encode(claims, "another secret that is long enough for HS256", "HS256"),
        "an admin payload on a user's signature": ".".join([header, jwt.encode(claims, "x" * 32).split(".")[1],
                                                          signature]),
        "a truncated signature": token[:-4],
        "garbage": "not.a.token",
    }
    for name, bad in forged.items():
        status, problem = call(f"{server}/api/users/me", token=bad)
        assert status == 401 and problem["detail"], name
        status, _ = call(f"{server}/api/titles", "POST", token=bad, body={"kind": "book", "name": "Forged"})
        assert status == 401, name
    assert set(many(server, token)) == {200}  # the real one still works on every worker


def test_a_token_goes_stale_on_every_worker_the_moment_the_password_changes(server):
    user, token = account(server)
    assert set(many(server, token)) == {200}  # every worker has seen (and kept) this token as good
    status, _ = call(f"{server}/api/users/me", "PATCH", token=token, body={"password": "second password"})
    assert status == 200
    assert set(many(server, token)) == {401}
    status, fresh = call(f"{server}/api/auth/login", "POST", body={"username": user["username"],
                                                                   "password": "second password"})
    assert status == 200 and set(many(server, fresh["access_token"])) == {200}


def test_a_token_goes_stale_on_every_worker_the_moment_its_account_is_deleted(server):
    user, token = account(server)
    assert set(many(server, token)) == {200}
    assert call(f"{server}/api/users/me", "DELETE", token=token)[0] == 204
    assert set(many(server, token)) == {401}
    status, problem = call(f"{server}/api/progress/{user['id']}/trackers", token=token)
    assert status == 401 and problem["detail"] == "This account no longer exists; register or log in again."
