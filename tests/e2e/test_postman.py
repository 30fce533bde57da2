"""The Postman collection (postman/), run by newman through `scripts/postman` against a real `serve`
process on loopback, on a fresh database with an admin made by `create-admin`."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_serve import free_port, get

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PASSWORD = "postman_admin", "postman admin password"


@pytest.fixture
def server(new_database, tmp_path):
    """A `serve` process on a free loopback port and a fresh database that holds an admin."""
    database_url = new_database()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PROGRESS_SERVICE_DATA_DIR"] = str(tmp_path)
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", ADMIN, "--password", ADMIN_PASSWORD,
                           "--database-url", database_url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("a") as log:
        process = subprocess.Popen([sys.executable, "-m", "progress_service", "serve", "--port", str(port),
                                    "--database-url", database_url], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "serve exited:\n" + log_path.read_text()
            assert time.monotonic() < deadline, "serve did not answer within 90 s:\n" + log_path.read_text()
            try:
                if get(url + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_postman_collection_passes_against_a_real_server(server):
    # Without Node.js, scripts/postman says what to install and exits 1: this test fails with that message.
    run = subprocess.run([str(ROOT / "scripts" / "postman"), server, ADMIN, ADMIN_PASSWORD, "--color", "off"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"scripts/postman exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
