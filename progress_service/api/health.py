"""Liveness and readiness."""
from flask import Blueprint, current_app

from ..errors import ServiceUnavailable

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    return {"status": "ok"}


@health.get("/readyz")
def readyz():
    if not current_app.extensions["progress_service.db"].is_ready():
        raise ServiceUnavailable("The database is not answering.")
    return {"status": "ready"}
