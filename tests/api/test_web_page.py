"""The web page's files through the real Flask stack (the page itself is tested in a browser in
tests/e2e/test_web.py): served by the app, closed to other origins, and beside the API, not over it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import progress_service.web

STATIC = Path(progress_service.web.__file__).parent / "static"


def get(client, path: str):
    """GET a file; the response is read and closed (files are streamed, and warnings are errors)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def test_the_page_is_served_at_the_root_with_a_policy_that_allows_only_its_own_origin(client):
    response = get(client, "/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert b'<script type="module" src="/app/js/app.js">' in response.data
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", sorted(str(p.relative_to(STATIC)) for p in STATIC.rglob("*.js")) + ["style.css"])
def test_every_script_and_the_stylesheet_are_served_under_app(client, path):
    response = get(client, f"/app/{path}")
    assert response.status_code == 200
    assert response.mimetype == ("text/css" if path.endswith(".css") else "text/javascript")


def test_the_page_loads_nothing_from_elsewhere():
    for file in [*STATIC.rglob("*.js"), *STATIC.rglob("*.css"), *STATIC.rglob("*.html")]:
        text = file.read_text()
        elsewhere = re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text.replace("http://www.w3.org/2000/svg", ""))
        assert not elsewhere, f"{file.name} names another origin: {elsewhere.group()}"
        for imported in re.findall(r'from "(\.[^"]+)"', text):
            assert (file.parent / imported).resolve().is_file(), f"{file.name} imports {imported}, which is missing"


def test_unknown_paths_beside_the_page_and_under_the_api_stay_404_problems(client):
    for path in ("/no-such-page", "/app/no-such-file.js", "/api/no-such-thing"):
        response = get(client, path)
        assert response.status_code == 404 and response.mimetype == "application/problem+json", path


def test_the_api_and_its_docs_are_untouched_by_the_page(client):
    assert client.get("/api/openapi.json").json["info"]["title"] == "progress-service"
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/titles?limit=1").json["limit"] == 1
    assert client.get("/api/users/me").status_code == 401  # the API still wants its bearer token
