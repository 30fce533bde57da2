"""Generated requests against every documented operation, with every check schemathesis has (its
`--checks all`): no 5xx, every answer as documented (status, media type, headers, schema), bad
input refused, good input accepted, a 405 with Allow, authentication never ignored."""
from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS, load_all_checks

from progress_service import create_app
from progress_service.config import Config
from progress_service.db import Database
from progress_service.schema import prepare_schema


ROOT = Path(__file__).resolve().parents[2]
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


@pytest.fixture(scope="module")
def fuzzed_app(new_database, tmp_path_factory):
    """An app on a database of its own: generated requests create and delete things at random."""
    database = Database(new_database(), pool_size=5)
    prepare_schema(database)
    app = create_app(Config(database_url=database.url, data_dir=tmp_path_factory.mktemp("fuzz")), db=database)
    yield app
    database.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    config = schemathesis.config.SchemathesisConfig.from_str((ROOT / "schemathesis.toml").read_text())
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzzed_app, config=config)


@pytest.fixture
def admin_headers(fuzzed_app):
    accounts = fuzzed_app.extensions["progress_service.accounts"]
    import uuid
    admin = accounts.create_admin(f"fuzz_{uuid.uuid4().hex[:10]}", "fuzzing password")
    return {"Authorization": f"Bearer {accounts.token_for(admin)}"}


def test_no_request_breaks_the_api(api_schema, admin_headers):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15  # every documented route is exercised
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_break(case):
            case.call_and_validate(headers=admin_headers, checks=ALL_CHECKS)

        no_break()
