"""The catalog: search titles, read one, genres; an admin adds, changes and deletes titles."""
from __future__ import annotations

from .. import catalog
from ..schemas.catalog import (
    GenresSchema, TitleCreateSchema, TitlePageSchema, TitleQuerySchema, TitleSchema, TitleUpdateSchema,
)
from .access import ADMIN, PUBLIC, PUBLIC_OWNER_SEES_OWN, allow
from .parsing import Blueprint
from .common import caller_id_if_any, db

blp = Blueprint("catalog", __name__, url_prefix="/api", description="The catalog: titles and genres")


@blp.get("/titles")
@allow(PUBLIC)
@blp.arguments(TitleQuerySchema(), location="query")
@blp.response(200, TitlePageSchema)
def search_titles(query):
    """Titles matching every given filter, a page at a time."""
    with db().read() as conn:
        return catalog.search(conn, **query)


@blp.get("/titles/<int:title_id>")
@allow(PUBLIC_OWNER_SEES_OWN)
@blp.response(200, TitleSchema)
def get_title(title_id):
    """A title of the catalog, or (with the owner's token) one of the caller's own titles."""
    with db().read() as conn:
        return catalog.title(conn, title_id, viewer=caller_id_if_any())


@blp.get("/genres")
@allow(PUBLIC)
@blp.response(200, GenresSchema)
def list_genres():
    with db().read() as conn:
        return catalog.genres(conn)


@blp.post("/titles")
@allow(ADMIN)
@blp.arguments(TitleCreateSchema())
@blp.response(201, TitleSchema)
def create_title(body):
    with db().transaction() as conn:
        title = catalog.create(conn, body)
    return title, 201, {"Location": f"/api/titles/{title['id']}"}


@blp.patch("/titles/<int:title_id>")
@allow(ADMIN)
@blp.arguments(TitleUpdateSchema())
@blp.response(200, TitleSchema)
def update_title(body, title_id):
    with db().transaction() as conn:
        return catalog.update(conn, title_id, body)


@blp.delete("/titles/<int:title_id>")
@allow(ADMIN)
@blp.response(204)
def delete_title(title_id):
    """Delete a title nobody has tracked; one with trackers or history is a 409."""
    with db().transaction() as conn:
        catalog.delete(conn, title_id)
