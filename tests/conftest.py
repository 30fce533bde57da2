"""Fixtures shared by every tier. Integration tests get a fresh database of their own on the
PostgreSQL named by DATABASE_URL, or on an embedded PostgreSQL when none is given."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from progress_service.db import Database, embedded_url
from progress_service.schema import prepare_schema
from progress_service.services import Trackers


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> str:
    """A PostgreSQL server: the one in DATABASE_URL, else an embedded one for this run."""
    return os.environ.get("DATABASE_URL") or embedded_url(tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="session")
def new_database(server_url):
    """Make empty databases on the server; all are dropped when the run ends."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"progress_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(new_database) -> str:
    return new_database()


@pytest.fixture(scope="session")
def db(database_url) -> Database:
    database = Database(database_url, pool_size=20)
    prepare_schema(database)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def bare_db(new_database) -> Database:
    """A database of its own, for tests that append to the log without keeping projections."""
    database = Database(new_database(), pool_size=20)
    prepare_schema(database)
    yield database
    database.dispose()


@pytest.fixture
def tracker(db) -> Trackers:
    return Trackers(db)


@pytest.fixture
def make_user(db):
    """Create users with unique names; tests never wipe the database."""
    def make(role: str = "user") -> int:
        with db.transaction() as conn:
            return conn.execute(sa.text(
                "INSERT INTO users (username, password_hash, role) VALUES (:name, 'not-a-login', :role) "
                "RETURNING id"), {"name": f"user_{uuid.uuid4().hex[:12]}", "role": role}).scalar_one()
    return make


@pytest.fixture
def user(make_user) -> int:
    return make_user()


def _title(db, kind: str, *, with_total: bool) -> tuple[int, int | None]:
    with db.transaction() as conn:
        return tuple(conn.execute(sa.text(
            f"SELECT id, total_units FROM titles WHERE kind = :kind AND total_units IS "
            f"{'NOT NULL' if with_total else 'NULL'} ORDER BY id LIMIT 1"), {"kind": kind}).one())


@pytest.fixture
def show(db) -> tuple[int, int]:
    """A TV show from the catalog with a known number of episodes: (title id, total)."""
    return _title(db, "tv_show", with_total=True)


@pytest.fixture
def book(db) -> tuple[int, int]:
    """A book from the catalog with a known number of pages: (title id, total)."""
    return _title(db, "book", with_total=True)


@pytest.fixture
def song(db) -> tuple[int, None]:
    """A song: counted in plays, with no total."""
    return _title(db, "song", with_total=False)


@pytest.fixture
def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="session")
def app(db, tmp_path_factory):
    from progress_service import create_app
    from progress_service.config import Config

    config = Config(database_url=db.url, data_dir=tmp_path_factory.mktemp("data"))
    requests = Database.for_requests(db.url, config)  # as serve runs: statements and round trips bounded
    yield create_app(config, db=requests)
    requests.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def register(client):
    """Register a new account through the API; returns (user, headers with its bearer token)."""
    def make(password: str = "correct horse battery") -> tuple[dict, dict]:
        response = client.post("/api/auth/register", json={"username": f"u_{uuid.uuid4().hex[:10]}",
                                                          "password": password})
        assert response.status_code == 201, response.json
        return response.json["user"], {"Authorization": f"Bearer {response.json['access_token']}"}
    return make
