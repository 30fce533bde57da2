"""Reminders and digests by mail: the caller's settings, the mails sent, and the unsubscribe link."""
import html

from flask import Response, current_app

from .. import notifications
from ..errors import BadRequest
from ..schemas.notifications import (NotificationSettingsChangeSchema, NotificationSettingsSchema, SentMailSchema,
                                     SentQuerySchema, UnsubscribeQuerySchema)
from .access import PUBLIC, SIGNED_IN, allow
from .common import caller, db
from .parsing import Blueprint

blp = Blueprint("notifications", __name__, url_prefix="/api", description="Reminders and digests by mail")


@blp.get("/users/me/notifications")
@allow(SIGNED_IN)
@blp.response(200, NotificationSettingsSchema)
def get_settings():
    """Which mails you get, at which address, in which timezone (every kind is off until you turn it on)."""
    return notifications.settings(db(), caller().user_id)


@blp.put("/users/me/notifications")
@allow(SIGNED_IN)
@blp.arguments(NotificationSettingsChangeSchema())
@blp.response(200, NotificationSettingsSchema)
def put_settings(body):
    """Change the fields given; the others keep their values."""
    return notifications.change_settings(db(), caller().user_id, body)


@blp.get("/users/me/notifications/sent")
@allow(SIGNED_IN)
@blp.arguments(SentQuerySchema(), location="query")
@blp.response(200, SentMailSchema(many=True))
def sent(query):
    """The mails sent to you, newest first."""
    return notifications.sent(db(), caller().user_id, query["limit"])


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>Unsubscribed</h1><p>You will get no more {kind} mails from progress-service.</p>
<p>You can turn them on again in your notification settings.</p></body></html>"""


@blp.get("/notifications/unsubscribe")
@allow(PUBLIC)
@blp.arguments(UnsubscribeQuerySchema(), location="query")
@blp.response(200, content_type="text/html")
def unsubscribe(query):
    """The link in every mail: turns that kind of mail off, no login needed (the token is signed)."""
    kind = notifications.unsubscribe(db(), current_app.extensions["progress_service.secret"], query["token"])
    if kind is None:
        raise BadRequest("This unsubscribe link is not valid; turn mails off in your notification settings instead.")
    return Response(_PAGE.format(kind=html.escape(kind)), mimetype="text/html")
