"""The database: engine, transactions, schema set-up. Driver errors are translated here only."""
from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from .config import Config
from .errors import Conflict, ServiceUnavailable

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# Unique constraints a client can run into, and the sentence that explains each.
_CONFLICTS = {
    "users_username": "That username is already taken.",
    "titles_identity": "A title of that kind, name and creator is already in the catalog.",
    "events_stream_version": "The tracker changed while this entry was being written; try again.",
}


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver errors into progress-service errors; anything else is a bug and passes through."""
    try:
        yield
    except sa_exc.IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        if constraint in _CONFLICTS:
            raise Conflict(_CONFLICTS[constraint]) from error
        raise
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as error:
        if getattr(error, "connection_invalidated", False) or _is_unavailable(error):
            log.warning("database unavailable: %s", error)
            raise ServiceUnavailable("The database is not answering right now; try again shortly.") from error
        raise


def _is_unavailable(error: sa_exc.DBAPIError) -> bool:
    code = getattr(error.orig, "pgcode", None)
    # no SQLSTATE: the connection itself failed; class 08 connection exception, 57P admin shutdown
    return code is None or code.startswith("08") or code.startswith("57P")


class Database:
    def __init__(self, url: str, *, pool_size: int = 20):
        self.url = url
        self.engine = sa.create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
            connect_args={"options": "-c timezone=UTC", "connect_timeout": 5},
        )

    @contextlib.contextmanager
    def transaction(self, *, isolation_level: str | None = None) -> Iterator[sa.Connection]:
        with translated_errors():
            with self.engine.connect() as conn:
                if isolation_level:
                    conn = conn.execution_options(isolation_level=isolation_level)
                with conn.begin():
                    yield conn

    def is_ready(self) -> bool:
        try:
            with self.transaction() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except ServiceUnavailable:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def database_url(config: Config) -> str:
    """The configured URL, or an embedded PostgreSQL kept in the data folder."""
    if config.database_url:
        return config.database_url
    return embedded_url(config.data_dir / "postgres")


def embedded_url(data_dir: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir.resolve())
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def run_sql_file(conn: sa.Connection, path: Path) -> None:
    # Raw DBAPI cursor: the file holds many statements and literal % signs.
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(path.read_text())


def prepare_schema(db: Database, *, sql_dir: Path = SQL_DIR) -> None:
    """Create the schema and load the catalog on an empty database; apply pending migrations otherwise.

    ``schema.sql`` always describes the whole current schema and is idempotent. A change that
    idempotent DDL cannot express goes in ``sql/migrations/NNNN_name.sql``, applied once in name
    order and recorded in ``schema_migrations``; a fresh database gets schema.sql and records every
    migration as already applied.
    """
    migrations = sorted((sql_dir / "migrations").glob("*.sql"))
    with db.transaction() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('progress_service.schema'))"))
        fresh = conn.execute(sa.text("SELECT to_regclass('events') IS NULL")).scalar()
        applied = set() if fresh else set(conn.execute(sa.text("SELECT name FROM schema_migrations")).scalars())
        for migration in migrations:
            if not fresh and migration.name not in applied:
                log.info("applying migration %s", migration.name)
                run_sql_file(conn, migration)
        run_sql_file(conn, sql_dir / "schema.sql")
        for migration in migrations:
            if migration.name not in applied:
                conn.execute(sa.text("INSERT INTO schema_migrations (name) VALUES (:name)"), {"name": migration.name})
        if not conn.execute(sa.text("SELECT EXISTS (SELECT FROM titles)")).scalar():
            run_sql_file(conn, sql_dir / "seed.sql")


def open_database(config: Config) -> Database:
    db = Database(database_url(config), pool_size=config.pool_size)
    prepare_schema(db)
    return db
