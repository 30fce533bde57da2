"""The end-to-end tiers' server: a real `serve` process per test module, on a fresh database that
holds the admin ADMIN (tests.e2e.serving)."""
from __future__ import annotations

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, serving

# the mail worker looks for the mails due every 2 s, so the mail tests wait seconds, not a minute
MAIL_CHECKED_OFTEN = {"PROGRESS_SERVICE_MAIL_CHECK_SECONDS": "2"}


@pytest.fixture(scope="module")
def server(new_database, tmp_path_factory) -> str:
    """The base URL of a `serve` process on a free loopback port."""
    with serving(new_database(), tmp_path_factory.mktemp("server"), ADMIN, ADMIN_PASSWORD,
                 environment=MAIL_CHECKED_OFTEN) as service:
        yield service.url
