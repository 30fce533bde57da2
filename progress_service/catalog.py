"""The catalog: titles and genres, and the admin's changes to them; and each user's own titles,
which only their owner sees and tracks. Plain SQL over ``titles`` and the ``title_stats``
projection (whose module holds the reports per title and per kind)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .domain.vocabulary import CUSTOM, UNITS, a_kind
from .errors import Conflict, InvalidChange, TitleNotFound
from .projections import title_stats, tracker_versions
SORTS = ("name", "-year", "-rating", "-popularity")
EDITABLE = ("kind", "name", "creator", "genres", "year", "total_units", "release_date", "description")
OWN_EDITABLE = ("kind", "name", "creator", "year", "total_units", "description")  # what an owner gives their titles

_TITLE_COLUMNS = """
    t.id, t.kind, t.name, t.creator, t.genres, t.year, t.total_units, t.unit, t.release_date, t.description, t.owner_id,
    coalesce(s.rating_sum, 0) AS rating_sum, coalesce(s.rating_count, 0) AS rating_count
"""
# Ties fall back to the name, then the id, so pages never overlap or skip.
_ORDER = {
    "name": "lower(t.name), t.id",
    "-year": "t.year DESC NULLS LAST, lower(t.name), t.id",
    "-rating": f"{title_stats.AVERAGE_SQL} DESC NULLS LAST, s.rating_count DESC NULLS LAST, lower(t.name), t.id",
    "-popularity": "coalesce(s.trackers, 0) DESC, lower(t.name), t.id",
}
# One statement per sort order: the page and the number of matches, from one snapshot. A page past
# the end still brings back one row, carrying the total and no title.
_SEARCH = {sort: sa.text(f"""
    WITH matching AS (
        SELECT {_TITLE_COLUMNS}, row_number() OVER (ORDER BY {order}) AS position
        FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id
        WHERE t.owner_id IS NULL AND (CAST(:q AS text) IS NULL OR strpos(lower(t.name), lower(:q)) > 0)
          AND (CAST(:genre AS text) IS NULL OR t.genres @> ARRAY[lower(:genre)])
          AND (CAST(:kind AS text) IS NULL OR t.kind = :kind)
          AND (CAST(:creator AS text) IS NULL OR strpos(lower(t.creator), lower(:creator)) > 0)
          AND (CAST(:year AS integer) IS NULL OR t.year = :year)
    )
    SELECT counted.total, page.*
    FROM (SELECT count(*) AS total FROM matching) AS counted
    LEFT JOIN (SELECT * FROM matching WHERE position > :offset AND position <= :offset + :limit) AS page ON true
    ORDER BY page.position
""") for sort, order in _ORDER.items()}

# A catalog title, or one of the viewer's own (a title of another owner is not there for them).
_TITLE = sa.text(f"""
    SELECT {_TITLE_COLUMNS} FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id
    WHERE t.id = :title_id AND (t.owner_id IS NULL OR t.owner_id = :viewer)
""")
_OWN_TITLES = sa.text(f"""
    SELECT {_TITLE_COLUMNS} FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id
    WHERE t.owner_id = :owner_id ORDER BY lower(t.name), t.id
""")

_GENRES = sa.text("""
    SELECT genre AS name, count(DISTINCT t.id) AS count
    FROM titles t CROSS JOIN LATERAL unnest(t.genres) AS genre WHERE t.owner_id IS NULL
    GROUP BY genre ORDER BY genre
""")

_CREATE = sa.text(f"""
    WITH t AS (
        INSERT INTO titles ({', '.join(EDITABLE)}, owner_id, own_unit)
        VALUES ({', '.join(':' + c for c in EDITABLE)}, :owner_id, :own_unit)
        RETURNING *
    )
    SELECT {_TITLE_COLUMNS} FROM t LEFT JOIN title_stats s ON s.title_id = t.id
""")

# Deleting: lock the title first, so that no first entry on it (whose foreign key check needs a
# key-share lock on the title) can slip in between the check and the delete.
_LOCK_TITLE = sa.text(
    "SELECT id FROM titles WHERE id = :title_id AND owner_id IS NOT DISTINCT FROM :owner_id FOR UPDATE")
_TRACKERS_OF_TITLE = sa.text("""
    SELECT count(*) FILTER (WHERE active) AS active, count(*) AS ever FROM tracker_state WHERE title_id = :title_id
""")
_DELETE = [title_stats.FORGET_TITLE, sa.text("DELETE FROM titles WHERE id = :title_id")]

def _title_json(row: Any) -> dict[str, Any]:
    """The API's ``title``, with its average rating and number of ratings."""
    title = {key: row[key] for key in ("id", "kind", "name", "creator", "genres", "year", "total_units", "unit",
                                       "release_date", "description", "owner_id", "rating_count")}
    title["average_rating"] = title_stats.average(row["rating_sum"], row["rating_count"])
    return title


def search(conn: sa.Connection, *, q: str | None = None, genre: str | None = None, kind: str | None = None,
           creator: str | None = None, year: int | None = None, sort: str = "name", limit: int = 20,
           offset: int = 0) -> dict[str, Any]:
    """A page of the titles matching every given filter, and how many match in all."""
    rows = conn.execute(_SEARCH[sort], {"q": q, "genre": genre, "kind": kind, "creator": creator, "year": year,
                                        "limit": limit, "offset": offset}).mappings().all()
    return {"items": [_title_json(row) for row in rows if row["id"] is not None], "total": rows[0]["total"],
            "limit": limit, "offset": offset}


def title(conn: sa.Connection, title_id: int, *, viewer: int | None = None) -> dict[str, Any]:
    """A title of the catalog, or one of the viewer's own."""
    row = conn.execute(_TITLE, {"title_id": title_id, "viewer": viewer}).mappings().first()
    if row is None:
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    return _title_json(row)


def own_titles(conn: sa.Connection, owner_id: int) -> dict[str, list[dict[str, Any]]]:
    """The user's own titles, by name."""
    return {"items": [_title_json(row) for row in conn.execute(_OWN_TITLES, {"owner_id": owner_id}).mappings()]}


def genres(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every genre in the catalog, by name, with how many titles carry it."""
    return {"items": [dict(row) for row in conn.execute(_GENRES).mappings()]}


def create(conn: sa.Connection, fields: dict[str, Any], *, owner_id: int | None = None) -> dict[str, Any]:
    """Add a title to the catalog, or to the owner's own titles (a duplicate kind, name and creator
    there is a Conflict, from the titles_identity or own_titles_identity key)."""
    _keeps_owner(fields, owner_id)
    values = {"genres": [], **{column: fields.get(column) for column in EDITABLE if column in fields}}
    own_unit = fields["unit"].strip() if fields.get("kind") == CUSTOM else None
    return _title_json(conn.execute(_CREATE, {**{column: None for column in EDITABLE}, **values,
                                              "owner_id": owner_id, "own_unit": own_unit}).mappings().one())


def unit_mismatch(kind: str, unit: str) -> str | None:
    """Why ``unit`` cannot be the unit of a title of ``kind`` (None when it is): a custom title's is
    a word of its owner's, 1 to 20 characters once trimmed."""
    if kind == CUSTOM:
        return None if 1 <= len(unit.strip()) <= 20 else (
            f"A custom title's unit is a word of 1 to 20 characters, such as km, hour or glass; got {unit!r}.")
    if UNITS[kind] == unit:
        return None
    return f"{a_kind(kind)} is counted in {UNITS[kind]}s, so its unit is {UNITS[kind]!r}, not {unit!r}."


def _keeps_owner(fields: dict[str, Any], owner_id: int | None) -> None:
    """``owner_id``, when a body gives it (as a title is returned), must be the title's owner."""
    if "owner_id" in fields and fields["owner_id"] != owner_id:
        raise InvalidChange("A title's owner is who made it: " + (
            "the catalog's titles have none." if owner_id is None else f"user {owner_id}."), field="owner_id")


def update(conn: sa.Connection, title_id: int, changes: dict[str, Any], *, owner_id: int | None = None
           ) -> dict[str, Any]:
    """Change the given fields of a title of the catalog (or of the owner's own titles); the others
    stay as they are. ``unit``, when given, must be the unit of the title's kind (as it is, or as
    ``changes`` make it)."""
    _keeps_owner(changes, owner_id)
    own_unit = None
    if "unit" in changes or "kind" in changes:
        was = conn.execute(sa.text(
            "SELECT kind FROM titles WHERE id = :id AND owner_id IS NOT DISTINCT FROM :owner_id"),
            {"id": title_id, "owner_id": owner_id}).scalar()
        if was is None:
            raise TitleNotFound(f"There is no title {title_id} in the catalog.")
        kind = changes.get("kind", was)
        if (kind == CUSTOM) != (was == CUSTOM):  # its progress is decimal, or whole: the kind keeps it so
            raise InvalidChange("A custom title stays custom, and a title of the other kinds cannot become one; "
                                "add a new title instead.", field="kind")
        if "unit" in changes and (mismatch := unit_mismatch(kind, changes["unit"])) is not None:
            raise InvalidChange(mismatch, field="unit")
        own_unit = changes["unit"].strip() if kind == CUSTOM and "unit" in changes else None
    assignments = ", ".join([*(f"{column} = :{column}" for column in EDITABLE if column in changes),
                             *(["own_unit = :own_unit"] if own_unit is not None else []), "revision = revision + 1"])
    row = conn.execute(sa.text(f"""
        WITH t AS (UPDATE titles SET {assignments}
                   WHERE id = :title_id AND owner_id IS NOT DISTINCT FROM :owner_id RETURNING *)
        SELECT {_TITLE_COLUMNS} FROM t LEFT JOIN title_stats s ON s.title_id = t.id
    """), {**{column: changes[column] for column in EDITABLE if column in changes}, "title_id": title_id,
           "owner_id": owner_id, "own_unit": own_unit}
    ).mappings().first()
    if row is None:
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    tracker_versions.render_states(conn, title_id=title_id)  # the timeline shows the title as it is now
    return _title_json(row)


def delete(conn: sa.Connection, title_id: int, *, owner_id: int | None = None) -> None:
    """Remove a title of the catalog (or of the owner's own titles) nobody has ever tracked
    (``conn`` is in a transaction): the log keeps every entry, so a title with history stays."""
    if conn.execute(_LOCK_TITLE, {"title_id": title_id, "owner_id": owner_id}).first() is None:
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    trackers = conn.execute(_TRACKERS_OF_TITLE, {"title_id": title_id}).mappings().one()
    if trackers["active"]:
        raise Conflict(f"Title {title_id} cannot be deleted: you track it; remove its tracker first."
                       if owner_id is not None else f"Title {title_id} cannot be deleted: {trackers['active']} "
                       f"{'user tracks' if trackers['active'] == 1 else 'users track'} it.")
    if trackers["ever"]:
        raise Conflict(f"Title {title_id} cannot be deleted: it has been tracked, and the progress log "
                       "keeps the entries on it.")
    for statement in _DELETE:
        conn.execute(statement, {"title_id": title_id})


def forget_own_titles(conn: sa.Connection, owner_id: int) -> None:
    """Take an account's own titles' figures with it (its titles go with the account's row)."""
    conn.execute(_FORGET_OWN_TITLES, {"owner_id": owner_id})


_FORGET_OWN_TITLES = sa.text("DELETE FROM title_stats WHERE title_id IN (SELECT id FROM titles WHERE owner_id = :owner_id)")
