"""Liveness, readiness and metrics."""
from flask import Response
from marshmallow import Schema, fields

from .. import metrics as measured
from ..errors import ServiceUnavailable
from .access import PUBLIC, allow
from .common import db
from .parsing import Blueprint

health = Blueprint("health", __name__, description="Liveness, readiness and metrics")


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


@health.get("/metrics")
@allow(PUBLIC)
@health.response(200, description="Prometheus text format: requests, latency, events appended, feed and relay lag",
                 content_type="text/plain")
def metrics():
    """The service's metrics for Prometheus, summed over every worker of ``serve``; the feed's and
    the relay's lag are left out while the database does not answer."""
    body, content_type = measured.scrape(db())
    return Response(body, content_type=content_type)
