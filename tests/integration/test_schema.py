"""The schema and the catalog: a fresh database is set up on start, later starts evolve it."""
from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa

from progress_service.db import Database
from progress_service.schema import SQL_DIR, prepare_schema


@pytest.fixture
def fresh(new_database):
    database = Database(new_database(), pool_size=2)
    yield database
    database.dispose()


def scalar(db, sql, **params):
    with db.transaction() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def test_an_empty_database_gets_the_schema_and_the_catalog(fresh):
    prepare_schema(fresh)
    with fresh.transaction() as conn:
        kinds = dict(conn.execute(sa.text("SELECT kind, count(*) FROM titles GROUP BY kind")).all())
        genres = conn.execute(sa.text("SELECT count(DISTINCT g) FROM titles, unnest(genres) g")).scalar()
        announced = conn.execute(sa.text(
            "SELECT count(*) FROM titles WHERE kind = 'album' AND release_date > current_date")).scalar()
        units = dict(conn.execute(sa.text("SELECT DISTINCT kind, unit FROM titles")).all())
        songs_with_total = conn.execute(sa.text(
            "SELECT count(*) FROM titles WHERE kind = 'song' AND total_units IS NOT NULL")).scalar()
    assert sum(kinds.values()) >= 150 and set(kinds) == {"tv_show", "book", "album", "song"}
    assert min(kinds.values()) >= 25
    assert genres >= 15 and announced >= 3
    assert units == {"tv_show": "episode", "book": "page", "album": "track", "song": "play"}
    assert songs_with_total == 0


def test_starting_again_changes_nothing(fresh):
    prepare_schema(fresh)
    titles = scalar(fresh, "SELECT count(*) FROM titles")
    prepare_schema(fresh)
    assert scalar(fresh, "SELECT count(*) FROM titles") == titles


def test_a_new_migration_is_applied_once_and_recorded(fresh, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    (sql_dir / "migrations").mkdir(exist_ok=True)
    prepare_schema(fresh, sql_dir=sql_dir)  # a database that predates the migration
    # Not idempotent on purpose: a second application would fail.
    (sql_dir / "migrations" / "0001_title_language.sql").write_text("ALTER TABLE titles ADD COLUMN language text;")
    prepare_schema(fresh, sql_dir=sql_dir)
    prepare_schema(fresh, sql_dir=sql_dir)
    assert scalar(fresh, "SELECT count(*) FROM information_schema.columns "
                         "WHERE table_name = 'titles' AND column_name = 'language'") == 1
    assert scalar(fresh, "SELECT count(*) FROM schema_migrations WHERE name = '0001_title_language.sql'") == 1


def test_a_fresh_database_counts_existing_migrations_as_applied(fresh, tmp_path):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    (sql_dir / "migrations").mkdir(exist_ok=True)
    (sql_dir / "migrations" / "0001_old_change.sql").write_text("ALTER TABLE no_such_table ADD COLUMN x int;")
    prepare_schema(fresh, sql_dir=sql_dir)  # schema.sql already describes the result
    assert scalar(fresh, "SELECT name FROM schema_migrations") == "0001_old_change.sql"


def test_every_key_of_a_user_owned_table_includes_user_id(db):
    """So the schema distributes on Citus by user_id (users and titles are reference tables)."""
    with db.transaction() as conn:
        keys = conn.execute(sa.text("""
            SELECT c.relname AS table_name, i.relname AS key_name,
                   bool_or(a.attname = 'user_id') AS has_user_id
            FROM pg_index x
            JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(x.indkey)
            WHERE n.nspname = 'public' AND x.indisunique
              AND EXISTS (SELECT FROM pg_attribute u WHERE u.attrelid = c.oid AND u.attname = 'user_id')
            GROUP BY 1, 2
        """)).all()
    tables = {row.table_name for row in keys}
    assert {"events", "tracker_state", "user_activity", "idempotency_keys"} <= tables
    assert [row for row in keys if not row.has_user_id] == []


def test_a_projection_new_to_a_database_is_filled_from_the_log_on_start(fresh):
    from progress_service.domain.rules import AddProgress, SetProgress
    from progress_service.services import Trackers

    prepare_schema(fresh)
    user = scalar(fresh, "INSERT INTO users (username, password_hash) VALUES ('early', 'x') RETURNING id")
    with fresh.transaction() as conn:
        show, total = conn.execute(sa.text(
            "SELECT id, total_units FROM titles WHERE kind = 'tv_show' AND total_units > 5 ORDER BY id LIMIT 1")).one()
    Trackers(fresh).log(user, show, [SetProgress(2)])
    Trackers(fresh).log(user, show, [AddProgress(1)])
    with fresh.transaction() as conn:  # as a database from before the table existed
        conn.execute(sa.text("DROP TABLE tracker_versions CASCADE"))
    prepare_schema(fresh)
    with fresh.transaction() as conn:
        rows = conn.execute(sa.text("SELECT version, progress, tracker::text FROM tracker_versions "
                                    "WHERE user_id = :u ORDER BY 1"), {"u": user}).all()
    assert [tuple(row)[:2] for row in rows] == [(1, 2), (2, 3)]
    kept = [json.loads(row[2]) for row in rows]  # the tracker objects are rendered too
    assert [(state["version"], state["progress"], state["total"]) for state in kept] == [(1, 2, total), (2, 3, total)]


def test_a_database_that_kept_whole_timeline_items_keeps_their_tracker_objects(fresh):
    from progress_service.domain.rules import Rate, SetProgress
    from progress_service.services import Trackers

    prepare_schema(fresh)
    user = scalar(fresh, "INSERT INTO users (username, password_hash) VALUES ('kept', 'x') RETURNING id")
    show = scalar(fresh, "SELECT id FROM titles WHERE kind = 'tv_show' AND total_units > 5 ORDER BY id LIMIT 1")
    Trackers(fresh).log(user, show, [SetProgress(2), Rate(4)])
    states = "SELECT tracker::text FROM tracker_versions WHERE user_id = :u ORDER BY version"
    with fresh.transaction() as conn:  # as a database from before migration 0001: whole items, no tracker
        kept = conn.execute(sa.text(states), {"u": user}).scalars().all()
        conn.execute(sa.text("ALTER TABLE tracker_versions ADD COLUMN item json, ADD COLUMN item_revision integer"))
        conn.execute(sa.text("UPDATE tracker_versions SET item = json_build_object('summary', 'Rated 4', "
                             "'state', tracker), item_revision = title_revision"))
        conn.execute(sa.text("ALTER TABLE tracker_versions DROP COLUMN tracker, DROP COLUMN title_revision"))
        # (and so from before every later migration of tracker_versions: 0003 named its columns anew)
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE name LIKE '0001_%' OR name LIKE '0003_%'"))
    prepare_schema(fresh)
    with fresh.transaction() as conn:
        assert conn.execute(sa.text(states), {"u": user}).scalars().all() == kept
        columns = conn.execute(sa.text("SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = 'tracker_versions'")).scalars().all()
    assert "item" not in columns and [json.loads(state)["rating"] for state in kept] == [None, 4]
    assert scalar(fresh, "SELECT count(*) FROM schema_migrations WHERE name LIKE '0001_%'") == 1


def a_rated_show(db, username: str) -> tuple[int, int, dict]:
    """On a prepared database, a user who watched two episodes of a show and rated it 4: the user,
    the show, and the user's timeline."""
    from progress_service.domain.rules import Rate, SetProgress
    from progress_service.projections import tracker_versions
    from progress_service.services import Trackers

    prepare_schema(db)
    user = scalar(db, "INSERT INTO users (username, password_hash) VALUES (:name, 'x') RETURNING id", name=username)
    show = scalar(db, "SELECT id FROM titles WHERE kind = 'tv_show' AND total_units > 5 ORDER BY id LIMIT 1")
    Trackers(db).log(user, show, [SetProgress(2), Rate(4)])
    with db.read() as conn:
        return user, show, json.loads(tracker_versions.timeline(conn, user))


def test_a_database_from_before_the_tracker_object_was_named_reads_the_same_timeline_after(fresh):
    from progress_service.projections import tracker_versions

    user, _, timeline = a_rated_show(fresh, "renamed")
    with fresh.transaction() as conn:  # as a database from before migration 0003: the old names
        conn.execute(sa.text("ALTER TABLE tracker_versions RENAME COLUMN tracker TO state_json"))
        conn.execute(sa.text("ALTER TABLE tracker_versions RENAME COLUMN title_revision TO state_revision"))
        conn.execute(sa.text("DROP FUNCTION timeline_item(events, tracker_versions, titles, bigint, bigint)"))
        conn.execute(sa.text("DROP FUNCTION tracker_json(tracker_versions, titles)"))
        conn.execute(sa.text("DROP FUNCTION kept_tracker_json(tracker_versions, titles)"))
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE name LIKE '0003_%'"))
    prepare_schema(fresh)
    with fresh.read() as conn:
        assert json.loads(tracker_versions.timeline(conn, user)) == timeline
        columns = conn.execute(sa.text("SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = 'tracker_versions'")).scalars().all()
    assert {"tracker", "title_revision"} <= set(columns) and not {"state_json", "state_revision"} & set(columns)
    assert [item["state"]["rating"] for item in timeline["items"]] == [4, None]


def test_a_database_whose_log_generated_stream_names_goes_on_naming_them(fresh):
    from progress_service.domain.rules import AddProgress
    from progress_service.services import Trackers

    prepare_schema(fresh)
    user = scalar(fresh, "INSERT INTO users (username, password_hash) VALUES ('named', 'x') RETURNING id")
    song = scalar(fresh, "SELECT id FROM titles WHERE kind = 'song' ORDER BY id LIMIT 1")
    Trackers(fresh).log(user, song, [AddProgress(1)])
    with fresh.transaction() as conn:  # as a database from before migration 0002: a generated stream column
        conn.execute(sa.text("ALTER TABLE events DROP COLUMN stream"))
        conn.execute(sa.text("ALTER TABLE events ADD COLUMN stream text "
                             "GENERATED ALWAYS AS ('tracker-' || user_id || '-' || title_id) STORED"))
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE name LIKE '0002_%'"))
    prepare_schema(fresh)
    Trackers(fresh).log(user, song, [AddProgress(1)])  # named by the append now
    names = "SELECT stream FROM events WHERE user_id = :u ORDER BY version"
    with fresh.transaction() as conn:
        assert conn.execute(sa.text(names), {"u": user}).scalars().all() == [f"tracker-{user}-{song}"] * 2
        assert conn.execute(sa.text("SELECT attgenerated FROM pg_attribute "
                                    "WHERE attrelid = 'events'::regclass AND attname = 'stream'")).scalar() == ""


def test_a_database_from_before_passes_counts_every_tracker_on_its_first_and_goes_on_from_there(fresh):
    from progress_service.domain.rules import Restart
    from progress_service.projections import rebuild, tracker_versions
    from progress_service.services import Trackers

    user, show, timeline = a_rated_show(fresh, "before")
    state = "bigint, titles, text, integer, integer, numeric, text[], timestamptz, timestamptz, integer, integer, " \
            "timestamptz"  # the arguments of the tracker object of old, without `pass`
    now = "bigint, titles, text, numeric, integer, numeric, text[], timestamptz, timestamptz, integer, integer, " \
          "timestamptz"  # and those of today's, whose progress is numeric
    before_0004 = ["ALTER TABLE tracker_state DROP COLUMN pass", "ALTER TABLE tracker_versions DROP COLUMN pass",
                   "UPDATE tracker_versions SET tracker = (tracker::jsonb - 'pass')::json",
                   f"DROP FUNCTION tracker_json({now}, integer)",
                   f"CREATE FUNCTION tracker_json({state}) RETURNS json LANGUAGE sql AS 'SELECT NULL::json'",
                   "DELETE FROM schema_migrations WHERE name LIKE '0004_%'"]
    with fresh.transaction() as conn:  # as a database from before migration 0004: no passes anywhere
        for statement in before_0004:
            conn.execute(sa.text(statement))
    prepare_schema(fresh)
    with fresh.read() as conn:
        assert json.loads(tracker_versions.timeline(conn, user)) == timeline
        kept = conn.execute(sa.text("SELECT tracker::text FROM tracker_versions WHERE user_id = :u ORDER BY version"),
                            {"u": user}).scalars().all()
        overloads = conn.execute(sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'tracker_json'")).scalar()
    assert [json.loads(state)["pass"] for state in kept] == [1, 1]  # rendered again on start, with their pass
    assert overloads == 2  # the old object's function is gone: the one of a state, and the one of a row
    Trackers(fresh).log(user, show, [Restart()])
    with fresh.read() as conn:
        assert json.loads(tracker_versions.timeline(conn, user))["items"][0]["state"]["pass"] == 2
    with fresh.transaction(isolation_level="REPEATABLE READ") as conn:
        assert rebuild.verify(conn) == []


def test_a_database_from_before_custom_titles_answers_the_same_and_then_counts_decimal_units(fresh):
    from decimal import Decimal

    from progress_service.domain.rules import AddProgress
    from progress_service.projections import rebuild, tracker_versions
    from progress_service.services import Trackers

    user, show, timeline = a_rated_show(fresh, "before custom")
    before_0009 = [
        "ALTER TABLE titles DROP CONSTRAINT titles_own_unit_check", "ALTER TABLE titles DROP COLUMN unit",
        "ALTER TABLE titles DROP COLUMN own_unit", "ALTER TABLE titles DROP CONSTRAINT titles_kind_check",
        "ALTER TABLE titles ADD CONSTRAINT titles_kind_check CHECK (kind IN ('tv_show', 'book', 'album', 'song'))",
        "ALTER TABLE titles ADD COLUMN unit text GENERATED ALWAYS AS (CASE kind WHEN 'tv_show' THEN 'episode' "
        "WHEN 'book' THEN 'page' WHEN 'album' THEN 'track' ELSE 'play' END) STORED",
        *(f"ALTER TABLE {table} ALTER COLUMN progress TYPE integer"
          for table in ("tracker_state", "tracker_versions", "tracker_moments")),
        "CREATE FUNCTION change_summary(text, jsonb, integer, integer, text) RETURNS text LANGUAGE sql "
        "AS 'SELECT NULL::text'",
        "DELETE FROM schema_migrations WHERE name LIKE '0009_%'"]
    with fresh.transaction() as conn:  # as a database from before migration 0009: whole units, no custom kind
        for statement in before_0009:
            conn.execute(sa.text(statement))
    prepare_schema(fresh)
    with fresh.read() as conn:
        assert json.loads(tracker_versions.timeline(conn, user)) == timeline  # "Watched episode 2 of 62", as before
        overloads = conn.execute(sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'change_summary'")).scalar()
    assert overloads == 1  # the one of whole units is gone
    running = scalar(fresh, "INSERT INTO titles (kind, name, owner_id, own_unit) VALUES ('custom', 'Running', :u, 'km') "
                            "RETURNING id", u=user)
    Trackers(fresh).log(user, running, [AddProgress(Decimal("5.25"))])
    Trackers(fresh).log(user, running, [AddProgress(Decimal("7.25"))])
    with fresh.read() as conn:
        items = json.loads(tracker_versions.timeline(conn, user))["items"]
    assert [item["summary"] for item in items[:2]] == ["Logged 7.25 km (12.5 km so far)",
                                                       "Logged 5.25 km (5.25 km so far)"]
    assert items[0]["state"]["progress"] == 12.5 and items[0]["state"]["title"]["unit"] == "km"
    with fresh.transaction(isolation_level="REPEATABLE READ") as conn:
        assert rebuild.verify(conn) == []
