"""The Postman collection (postman/), run by newman through `scripts/postman` against a real `serve`
process on loopback, on a fresh database with an admin made by `create-admin` and a service made by
`create-service`."""
from __future__ import annotations

import subprocess

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT, create_service, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def story(new_database, tmp_path_factory) -> tuple[str, str, str]:
    """The server's base URL, and the client id and secret of a service on its database."""
    database_url, data_dir = new_database(), tmp_path_factory.mktemp("server")
    with serving(database_url, data_dir, ADMIN, ADMIN_PASSWORD) as service:
        yield service.url, *create_service(database_url, data_dir, "postman feed reader")


def test_the_postman_collection_passes_against_a_real_server(story):
    server, client_id, client_secret = story
    # Without Node.js, scripts/postman says what to install and exits 1: this test fails with that message.
    run = subprocess.run([str(ROOT / "scripts" / "postman"), server, ADMIN, ADMIN_PASSWORD, "--color", "off",
                          "--env-var", f"serviceClientId={client_id}", "--env-var", f"serviceClientSecret={client_secret}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"scripts/postman exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
