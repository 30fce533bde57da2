"""The caller's own account."""
from ..errors import AuthenticationFailed, UserNotFound
from flask import url_for

from ..schemas.accounts import UserSchema, UserUpdateSchema
from ..schemas.progress import CalendarUrlSchema
from .access import SIGNED_IN, allow
from .common import accounts, calendar_feeds, caller
from .parsing import Blueprint

blp = Blueprint("users", __name__, url_prefix="/api/users", description="Your account")


@blp.get("/me")
@allow(SIGNED_IN)
@blp.response(200, UserSchema)
def me():
    try:
        return accounts().get(caller().user_id)
    except UserNotFound:  # a token that outlived its account
        raise AuthenticationFailed("This account no longer exists; register or log in again.") from None


@blp.patch("/me")
@allow(SIGNED_IN)
@blp.arguments(UserUpdateSchema())
@blp.response(200, UserSchema)
def update_me(body):
    return accounts().update(caller().user_id, body)


@blp.delete("/me")
@allow(SIGNED_IN)
@blp.response(204)
def delete_me():
    """Erase the account and every event of it."""
    accounts().erase(caller().user_id)


def _feed_url(token: str) -> dict[str, str]:
    return {"url": url_for("calendar.feed", token=token, _external=True)}


@blp.get("/me/calendar-url")
@allow(SIGNED_IN)
@blp.response(200, CalendarUrlSchema)
def calendar_url():
    """The address of your secret calendar feed (release dates of your titles, your completions),
    for a calendar app; it needs no bearer token, so keep it to yourself."""
    return _feed_url(calendar_feeds().token(caller().user_id))


@blp.delete("/me/calendar-url")
@allow(SIGNED_IN)
@blp.response(200, CalendarUrlSchema)
def renew_calendar_url():
    """A new secret address for your calendar feed; the old one ends (404) at once."""
    return _feed_url(calendar_feeds().renew(caller().user_id))
