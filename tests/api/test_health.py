"""Liveness, readiness and errors through the real Flask stack."""
from __future__ import annotations

from progress_service import create_app
from progress_service.config import Config
from progress_service.db import Database


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_answers_when_the_database_does(client):
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_problem_json_when_the_database_is_down():
    gone = Database("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere", pool_size=1)
    app = create_app(Config(database_url=gone.url), db=gone)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 503 and "database" in response.json["detail"]


def test_an_unknown_route_is_a_404_problem_not_html(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert set(response.json) == {"type", "title", "status", "detail"}


def test_a_wrong_method_is_a_405_problem(client):
    response = client.post("/healthz")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
