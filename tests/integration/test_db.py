"""Driver errors become progress-service errors in one place."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from progress_service.db import Database
from progress_service.errors import Conflict, ServiceUnavailable


def test_a_duplicate_username_is_a_conflict_with_a_sentence(db):
    insert = sa.text("INSERT INTO users (username, password_hash) VALUES (:name, '-')")
    with db.transaction() as conn:
        conn.execute(insert, {"name": "twice_named"})
    with pytest.raises(Conflict) as conflict, db.transaction() as conn:
        conn.execute(insert, {"name": "TWICE_NAMED"})
    assert conflict.value.status == 409 and conflict.value.detail == "That username is already taken."


def test_an_unreachable_database_is_service_unavailable():
    gone = Database("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere", pool_size=1)
    with pytest.raises(ServiceUnavailable) as unavailable, gone.transaction():
        pass
    assert unavailable.value.status == 503 and "not answering" in unavailable.value.detail
