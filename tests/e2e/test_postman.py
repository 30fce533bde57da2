"""The Postman collection (postman/), run by newman through `scripts/postman` against a real `serve`
process on loopback, on a fresh database with an admin made by `create-admin`."""
from __future__ import annotations

import subprocess

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT

pytestmark = pytest.mark.e2e


def test_the_postman_collection_passes_against_a_real_server(server):
    # Without Node.js, scripts/postman says what to install and exits 1: this test fails with that message.
    run = subprocess.run([str(ROOT / "scripts" / "postman"), server, ADMIN, ADMIN_PASSWORD, "--color", "off"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"scripts/postman exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
