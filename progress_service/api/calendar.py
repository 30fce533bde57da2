"""The secret calendar feed: an iCalendar file a calendar app reads by its address alone."""
from __future__ import annotations

from flask import Response

from .access import PUBLIC, allow
from .common import calendar_feeds
from .parsing import Blueprint

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar",
                description="Your secret calendar feed (GET /api/users/me/calendar-url gives its address)")


@blp.get("/<string:token>.ics")
@allow(PUBLIC)
@blp.response(200, {"type": "string"}, content_type="text/calendar",
              description="An iCalendar file: an all-day event on each release date of a title you track, "
                          "and an event at each completion")
def feed(token):
    """The feed at a secret address (no bearer token: the address is the credential); an address
    that was replaced, or never made, is a 404."""
    return Response(calendar_feeds().feed(token), mimetype="text/calendar")
