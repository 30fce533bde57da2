"""Malformed input of every kind a stranger sends: each gets a 4xx problem+json with a sentence,
never a 500, and appends nothing."""
from __future__ import annotations

import pytest

BODIES: dict[str, bytes] = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "nested objects 50,000 deep": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nested in a field": b'{"username": ' + b"[" * 5_000 + b"]" * 5_000 + b', "password": "x"}',
    "a 5000-digit number": b'{"title_id": ' + b"9" * 5000 + b', "progress": 1}',
    "a 5000-digit negative number": b'{"title_id": 1, "delta": -' + b"9" * 5000 + b"}",
    "a 5000-digit float": b'{"title_id": 1, "rating": ' + b"9" * 5000 + b".5}",
    "an exponent past the floats": b'{"title_id": 1, "rating": 1e999}',
    "NaN": b'{"title_id": 1, "rating": NaN}',
    "Infinity": b'{"title_id": 1, "rating": -Infinity}',
    "a lone high surrogate": b'{"username": "ab\\ud800cd", "password": "long enough"}',
    "a lone low surrogate in a key": b'{"\\udc00": 1, "password": "long enough"}',
    "a lone surrogate in the password": b'{"username": "someone", "password": "pass\\udfffword"}',
    "a lone surrogate in a note": b'{"title_id": 1, "note": "\\ud83d"}',
    "a reversed surrogate pair": b'{"title_id": 1, "note": "\\ude00\\ud83d"}',
    "invalid UTF-8": b'{"username": "\xff\xfe", "password": "long enough"}',
    "an encoded surrogate (CESU)": b'{"username": "\xed\xa0\x80", "password": "long enough"}',
    "truncated UTF-8": b'{"username": "\xe2\x82',
    "a UTF-16 body": '{"username": "u", "password": "long enough"}'.encode("utf-16"),
    "a byte order mark": b'\xef\xbb\xbf{"username": "u", "password": "long enough"}',
    "NUL in a string": b'{"username": "nul\\u0000", "password": "long\\u0000enough", "note": "a\\u0000"}',
    "a raw NUL byte": b'{"username": "a\x00b", "password": "long enough"}',
    "not JSON": b"username=a&password=b",
    "half an object": b'{"username": "a", ',
    "an empty body": b"",
    "only spaces": b"    ",
    "null": b"null",
    "a number": b"42",
    "a string": b'"hello"',
    "an array": b'[{"username": "a"}]',
    "true": b"true",
    "a trailing comma": b'{"title_id": 1, "progress": 1,}',
    "single quotes": b"{'title_id': 1}",
    "two documents": b'{"title_id": 1}{"title_id": 2}',
    "a comment": b'{"title_id": 1 /* hi */, "progress": 1}',
    "duplicate keys": b'{"title_id": 1, "progress": 1, "progress": "two"}',
    "a huge string": b'{"note": "' + b"x" * 500_000 + b'", "title_id": 1}',
    "a wide array": b'{"genres": [' + b",".join(b'"g%d"' % i for i in range(50_000)) + b'], "kind": "book", "name": "n"}',
    "an object as a string": b'{"username": {"$gt": ""}, "password": {"$ne": null}}',
    "booleans as numbers": b'{"title_id": true, "progress": false}',
    "floats as ids": b'{"title_id": 1.5, "progress": 1}',
    "negative ids": b'{"title_id": -1, "progress": 1, "user_id": -5}',
    "a big int id": b'{"title_id": 99999999999999999999999999999999999999, "progress": 1}',
    "an int just past bigint": b'{"title_id": 9223372036854775808, "progress": 1}',
    "progress past int": b'{"title_id": 1, "progress": 2147483648}',
    "a time far in the past": b'{"title_id": 1, "progress": 1, "occurred_at": "0001-01-01T00:00:00+14:00"}',
    "a time far in the future": b'{"title_id": 1, "progress": 1, "occurred_at": "9999-12-31T23:59:59-14:00"}',
    "a time that is not one": b'{"title_id": 1, "progress": 1, "occurred_at": "2026-02-30T25:61:00+00:00"}',
    "a time with a surrogate": b'{"title_id": 1, "progress": 1, "occurred_at": "2026\\ud800"}',
    "a rating as text": b'{"title_id": 1, "rating": "five"}',
    "a to_version as text": b'{"to_version": "1"}',
    "a to_time as a number": b'{"to_time": 12}',
    "a restart as text": b'{"title_id": 1, "restart": "true"}',
    "a restart as a number": b'{"title_id": 1, "restart": 1}',
}

ROUTES = [
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/progress/log"),
    ("PUT", "/api/progress/log/{log_id}"),
    ("PUT", "/api/progress/{user_id}/trackers/{title_id}"),
    ("POST", "/api/progress/{user_id}/trackers/{title_id}/rollback"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/titles"),
    ("PATCH", "/api/titles/{title_id}"),
]

QUERIES = {
    "a lone surrogate, percent-encoded": "q=%ED%A0%80",
    "invalid UTF-8": "q=%FF%FE",
    "a NUL": "q=a%00b",
    "a 5000-digit limit": "limit=" + "9" * 5000,
    "a negative offset": "offset=-1",
    "an offset past int": "offset=9999999999999",
    "a year as text": "year=last",
    "a repeated parameter": "kind=book&kind=song",
    "a huge parameter": "q=" + "x" * 10_000,
    "a time that is not one": "since=yesterday",
    "a before past bigint": "before=" + "9" * 30,
    "an empty name": "=1",
}
QUERY_ROUTES = ["/api/titles", "/api/progress/{user_id}", "/api/progress/{user_id}/history",
                "/api/progress/{user_id}/trackers", "/api/progress/{user_id}/trackers/{title_id}",
                "/api/progress/{user_id}/export"]

HEADERS = {
    "a bearer token of garbage": {"Authorization": "Bearer \u00ff\u00fe.\u00fd.\u00fc"},
    "a bearer token of one part": {"Authorization": "Bearer abc"},
    "a bearer token of dots": {"Authorization": "Bearer ...."},
    "a bearer token that is long": {"Authorization": "Bearer " + "a" * 8000},
    "basic auth": {"Authorization": "Basic dXNlcjpwYXNz"},
    "an If-Match of garbage": {"If-Match": "\u00ff\u00ff"},
    "an If-Match past int": {"If-Match": '"99999999999999999999999"'},
    "an If-Match that is negative": {"If-Match": '"-3"'},
    "an Idempotency-Key of Latin-1": {"Idempotency-Key": "cl\u00e9\u00ff"},
    "an empty Idempotency-Key": {"Idempotency-Key": ""},
    "a request id that is long": {"X-Request-Id": "r" * 5000},
    "a content type with a charset": {"Content-Type": "application/json; charset=latin-1"},
    "a content type that is odd": {"Content-Type": "application/json+garbage"},
}


def assert_problem(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert response.mimetype == "application/problem+json", response.get_data()[:300]
    problem = response.json
    assert problem["status"] == response.status_code and len(problem["detail"]) > 10
    assert len(response.get_data()) < 20_000  # an answer never echoes the input back


@pytest.fixture
def target(client, register, show, app, make_user):
    """A user with a tracker and an entry, and an admin: what the paths and bodies need."""
    user, headers = register()
    entry = client.post("/api/progress/log", json={"title_id": show[0], "progress": 2}, headers=headers).json
    admin = {"Authorization": "Bearer " + app.extensions["progress_service.tokens"].issue(make_user("admin"), "admin", 0)}
    return {"user": user, "headers": headers, "admin": admin, "title_id": show[0], "log_id": entry["id"]}


def entries_of(client, target) -> int:
    return len(client.get(f"/api/progress/{target['user']['id']}", headers=target["headers"]).json["items"])


@pytest.mark.parametrize("name", BODIES)
def test_a_malformed_body_is_a_4xx_problem_on_every_route(client, target, name):
    for method, path in ROUTES:
        url = path.format(user_id=target["user"]["id"], title_id=target["title_id"], log_id=target["log_id"])
        headers = target["admin"] if "/titles" in path else target["headers"]
        response = client.open(url, method=method, data=BODIES[name],
                               headers={**headers, "Content-Type": "application/json"})
        assert_problem(response)
    assert entries_of(client, target) == 1


@pytest.mark.parametrize("name", QUERIES)
def test_a_malformed_query_is_a_4xx_problem_or_a_page(client, target, name):
    for path in QUERY_ROUTES:
        url = path.format(user_id=target["user"]["id"], title_id=target["title_id"]) + "?" + QUERIES[name]
        response = client.get(url, headers=target["headers"])
        if response.status_code == 200:  # a filter that matches nothing, say: a page, never a 500
            continue
        assert_problem(response)


@pytest.mark.parametrize("name", HEADERS)
def test_a_malformed_header_is_a_4xx_problem_or_ignored(client, target, name, song):
    headers = {**target["headers"], **HEADERS[name]}
    write = client.post("/api/progress/log", json={"title_id": song[0], "delta": 1}, headers=headers)
    read = client.get(f"/api/progress/{target['user']['id']}/trackers/{target['title_id']}", headers=headers)
    for response in (write, read):
        if response.status_code >= 400:
            assert_problem(response)
        else:
            assert response.status_code in (200, 201)

