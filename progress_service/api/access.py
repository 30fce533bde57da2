"""Who may call each route. Every documented view declares its rule with ``@allow``, and the rule
is checked before anything of the request is read (shared/API.md: authorization comes before
validation), so a caller who may not use a route learns nothing from what its body holds."""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import request
from marshmallow import fields

from ..errors import EntryNotFound, PermissionDenied
from ..security import Caller
from .common import db
from .parsing import peek_json

Check = Callable[[Caller, dict[str, Any]], None]


@dataclass(frozen=True)
class Access:
    """A route's rule: whether it needs a bearer token, and what the caller must be beyond signed in."""

    needs_token: bool
    check: Check | None = None
    reads_token: bool = False  # a public route that checks a token when one is sent (an admin sees more)
    lets_services: bool = False  # a service's token passes (READS_FEED alone): every other route refuses one


def _admin(who: Caller, path: dict[str, Any]) -> None:
    if not who.is_admin:
        raise PermissionDenied("Only an admin may do this.")


SERVICES_READ_THE_FEED = "A service reads the feed and nothing else."


def refuse_services(who: Caller, access: Access) -> None:
    """A service's token reaches the feed alone: on any other route, whatever the route's own rule."""
    if who.is_service and not access.lets_services:
        db().prove()  # a revoked service's token is refused as ended (401), not as misplaced
        raise PermissionDenied(SERVICES_READ_THE_FEED)


def _reads_feed(who: Caller, path: dict[str, Any]) -> None:
    if not (who.is_admin or who.is_service):
        raise PermissionDenied("Only an admin or a service may read the feed of every event.")


def _reads_own(who: Caller, path: dict[str, Any]) -> None:
    if who.user_id != path["user_id"] and not who.is_admin:
        raise PermissionDenied("You may only reach your own trackers and entries.")


def _writes_own(who: Caller, path: dict[str, Any]) -> None:
    if who.user_id != path["user_id"]:
        raise PermissionDenied("You may only change your own trackers and entries.")


def _writes_own_unless_purging(who: Caller, path: dict[str, Any]) -> None:
    if request.args.get("purge") in fields.Boolean.truthy:
        _admin(who, path)
    else:
        _writes_own(who, path)


def _logs_for_self(who: Caller, path: dict[str, Any]) -> None:
    """The body may name another user (an admin logging for them): only an admin may."""
    body = peek_json()  # read leniently here; its validation comes later
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if isinstance(user_id, int) and not isinstance(user_id, bool) and user_id != who.user_id and not who.is_admin:
        raise PermissionDenied("You may only log entries in your own log.")


_ENTRY_OWNER = sa.text("SELECT user_id FROM events WHERE id = :id")


def _own_entry(who: Caller, path: dict[str, Any]) -> None:
    with db().read() as conn:
        owner = conn.execute(_ENTRY_OWNER, {"id": path["log_id"]}).scalar()
    if owner is None:
        raise EntryNotFound(f"There is no entry {path['log_id']} in the log.")
    if owner != who.user_id:
        raise PermissionDenied(f"Entry {path['log_id']} belongs to another user's log.")


PUBLIC = Access(needs_token=False)
PUBLIC_ADMIN_SEES_MORE = Access(needs_token=False, reads_token=True)
PUBLIC_OWNER_SEES_OWN = Access(needs_token=False, reads_token=True)  # a catalog read that shows one's own titles too
SIGNED_IN = Access(needs_token=True)
ADMIN = Access(needs_token=True, check=_admin)
READS_FEED = Access(needs_token=True, check=_reads_feed, lets_services=True)  # /api/events*: an admin, or a service
READS_OWN = Access(needs_token=True, check=_reads_own)  # a {user_id} route: one's own, or anyone's for an admin
WRITES_OWN = Access(needs_token=True, check=_writes_own)  # a {user_id} route that changes data: one's own only
CLEARS_OWN = Access(needs_token=True, check=_writes_own_unless_purging)
LOGS_OWN = Access(needs_token=True, check=_logs_for_self)
OWN_ENTRY = Access(needs_token=True, check=_own_entry)


def allow(access: Access):
    """Declare who may call a view (put it right below the route decorator). A public route is
    documented without security in the OpenAPI document (with the bearer token optional, when it reads one)."""
    def decorator(view):
        view.access = access
        if not access.needs_token:
            view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
            view._apidoc.setdefault("manual_doc", {})["security"] = [{}, {"bearer": []}] if access.reads_token else []
        return view
    return decorator


def access_of(view) -> Access | None:
    return getattr(view, "access", None)
