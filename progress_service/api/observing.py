"""What every request leaves behind: its request id (``X-Request-Id``, taken or made, echoed in
the answer and kept in the metadata of what it appends), one JSON line in the request log, and its
count and latency in ``/metrics``."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from .. import metrics

log = logging.getLogger("progress_service.requests")

# A caller's id is kept when it is printable and short; anything else gets an id of ours.
_GOOD_ID = re.compile(r"[\x21-\x7e]{1,200}")


def request_id() -> str:
    """This request's id: the caller's X-Request-Id, or one made for it."""
    return g.request_id


def _arrived() -> None:
    g.arrived = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex


def _answered(response: Response) -> Response:
    seconds = time.perf_counter() - g.arrived
    # The route's template keeps the series few; a path that is no route is counted as one.
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    metrics.request_answered(request.method, route, response.status_code, seconds)
    response.headers["X-Request-Id"] = g.request_id
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps({
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request_id": g.request_id,
            "method": request.method, "path": request.path, "route": route, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2), "address": request.remote_addr,
            "caller": _caller_name()}))
    return response


def _caller_name() -> str | None:
    caller = g.get("caller")
    if caller is None:
        return None
    return f"service:{caller.service_id}" if caller.is_service else f"user:{caller.user_id}"


def register(app: Flask) -> None:
    """Before every other hook, so that a request refused by them is counted and logged too."""
    app.before_request_funcs.setdefault(None, []).insert(0, _arrived)
    app.after_request(_answered)
