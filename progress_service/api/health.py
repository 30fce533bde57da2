"""Liveness and readiness."""
from marshmallow import Schema, fields

from ..errors import ServiceUnavailable
from .access import PUBLIC, allow
from .common import db
from .parsing import Blueprint

health = Blueprint("health", __name__, description="Liveness and readiness")


class HealthSchema(Schema):
    status = fields.String(required=True)


@health.get("/healthz")
@allow(PUBLIC)
@health.response(200, HealthSchema)
def healthz():
    """200 while the process runs."""
    return {"status": "ok"}


@health.get("/readyz")
@allow(PUBLIC)
@health.response(200, HealthSchema)
def readyz():
    """200 when the database answers, else 503."""
    if not db().is_ready():
        raise ServiceUnavailable("The database is not answering.")
    return {"status": "ready"}
