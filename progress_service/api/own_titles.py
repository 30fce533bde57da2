"""A user's own titles: kept beside the catalog, seen and tracked by their owner alone."""
from __future__ import annotations

from .. import catalog
from ..schemas.catalog import OwnTitleCreateSchema, OwnTitlesSchema, OwnTitleUpdateSchema, TitleSchema
from .access import READS_OWN, WRITES_OWN, allow
from .common import db
from .parsing import Blueprint

blp = Blueprint("own_titles", __name__, url_prefix="/api/progress",
                description="Your own titles: tracked like the catalog's, seen by you alone")


@blp.get("/<int:user_id>/titles")
@allow(READS_OWN)
@blp.response(200, OwnTitlesSchema)
def list_own_titles(user_id):
    """The user's own titles, by name."""
    with db().read() as conn:
        return catalog.own_titles(conn, user_id)


@blp.post("/<int:user_id>/titles")
@allow(WRITES_OWN)
@blp.arguments(OwnTitleCreateSchema())
@blp.response(201, TitleSchema)
def create_own_title(body, user_id):
    """Add a title of one's own: nobody else sees it, in the catalog, its reports or their answers."""
    with db().transaction() as conn:
        title = catalog.create(conn, body, owner_id=user_id)
    return title, 201, {"Location": f"/api/titles/{title['id']}"}


@blp.patch("/<int:user_id>/titles/<int:title_id>")
@allow(WRITES_OWN)
@blp.arguments(OwnTitleUpdateSchema())
@blp.response(200, TitleSchema)
def update_own_title(body, user_id, title_id):
    with db().transaction() as conn:
        return catalog.update(conn, title_id, body, owner_id=user_id)


@blp.delete("/<int:user_id>/titles/<int:title_id>")
@allow(WRITES_OWN)
@blp.response(204)
def delete_own_title(user_id, title_id):
    """Delete one of one's own titles; one with a tracker or history is a 409."""
    with db().transaction() as conn:
        catalog.delete(conn, title_id, owner_id=user_id)
