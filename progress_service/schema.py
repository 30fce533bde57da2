"""The schema: set up on an empty database, migrated on an existing one, before the service uses it."""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from procrastinate.schema import SchemaManager

from .config import Config
from .db import Database, database_url
from .projections import TABLES
from .projections.rebuild import rebuild, render_all_states

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def run_sql_file(conn: sa.Connection, path: Path) -> None:
    # Raw DBAPI cursor: the file holds many statements and literal % signs.
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(path.read_text())


def prepare_schema(db: Database, *, sql_dir: Path = SQL_DIR) -> None:
    """Create the schema and load the catalog on an empty database; apply pending migrations otherwise.

    ``schema.sql`` always describes the whole current schema and is idempotent. A change that
    idempotent DDL cannot express goes in ``sql/migrations/NNNN_name.sql``, applied once in name
    order and recorded in ``schema_migrations``; a fresh database gets schema.sql and records every
    migration as already applied. A projection table new to an existing database is filled by a
    rebuild from the log. After a migration, the kept tracker objects it left stale (a new field
    of the tracker) are rendered again.
    """
    migrations = sorted((sql_dir / "migrations").glob("*.sql"))
    with db.transaction() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('progress_service.schema'))"))
        fresh = conn.execute(sa.text("SELECT to_regclass('events') IS NULL")).scalar()
        applied = set() if fresh else set(conn.execute(sa.text("SELECT name FROM schema_migrations")).scalars())
        missing = [] if fresh else [name for name in TABLES if conn.execute(
            sa.text("SELECT to_regclass(:name) IS NULL"), {"name": name}).scalar()]
        migrated = False
        for migration in migrations:
            if not fresh and migration.name not in applied:
                log.info("applying migration %s", migration.name)
                run_sql_file(conn, migration)
                migrated = True
        run_sql_file(conn, sql_dir / "schema.sql")
        if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs') IS NULL")).scalar():
            log.info("creating the job queue's tables")  # procrastinate's own schema, for the mail
            with conn.connection.driver_connection.cursor() as cursor:
                cursor.execute(SchemaManager.get_schema())
        for migration in migrations:
            if migration.name not in applied:
                conn.execute(sa.text("INSERT INTO schema_migrations (name) VALUES (:name)"), {"name": migration.name})
        if missing:  # a projection new to this database starts out filled from the log
            log.info("filling the new projection(s) %s from the log", ", ".join(missing))
            rebuild(conn)
        if not conn.execute(sa.text("SELECT EXISTS (SELECT FROM titles)")).scalar():
            run_sql_file(conn, sql_dir / "seed.sql")
    if missing or migrated:
        render_all_states(db)


def open_database(config: Config) -> Database:
    """The database for requests, its schema prepared first without the requests' bounds."""
    url = database_url(config)
    maintenance = Database.for_maintenance(url, config)
    try:
        prepare_schema(maintenance)
    finally:
        maintenance.dispose()
    return Database.for_requests(url, config)
