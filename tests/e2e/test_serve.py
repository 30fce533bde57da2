"""`python -m progress_service serve` as a real process on loopback, on the embedded PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import free_port, get

pytestmark = pytest.mark.e2e


class Server:
    def __init__(self, data_dir: Path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["PROGRESS_SERVICE_DATA_DIR"] = str(data_dir)
        self.log_path = data_dir / "serve.log"
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen([sys.executable, "-m", "progress_service", "serve", "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.close()
                raise AssertionError("serve exited:\n" + self.log_path.read_text())
            try:
                if get(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("serve did not answer within 90 s:\n" + self.log_path.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def embedded_engine(data_dir: Path) -> sa.Engine:
    """Reach the service's embedded PostgreSQL through its socket, leaving its life to the service."""
    return sa.create_engine(f"postgresql+psycopg2://postgres@/postgres?host={data_dir / 'postgres'}")


def postgres_running(data_dir: Path) -> bool:
    found = subprocess.run(["pgrep", "-f", f"postgres -D {data_dir / 'postgres'}"], capture_output=True)
    return found.returncode == 0


def test_serve_runs_on_an_embedded_database_whose_data_outlives_a_restart(tmp_path):
    server = Server(tmp_path)
    try:
        assert get(server.url + "/readyz") == (200, {"status": "ready"})
        engine = embedded_engine(tmp_path)
        with engine.begin() as conn:
            titles = conn.execute(sa.text("SELECT count(*) FROM titles")).scalar()
            conn.execute(sa.text("INSERT INTO users (username, password_hash) VALUES ('survivor', '-')"))
        engine.dispose()
    finally:
        server.stop()
    assert titles >= 150
    assert not postgres_running(tmp_path)  # the service stops the database it started

    server = Server(tmp_path)
    try:
        assert get(server.url + "/readyz")[0] == 200
        engine = embedded_engine(tmp_path)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users WHERE username = 'survivor'")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM titles")).scalar() == titles
        engine.dispose()
    finally:
        server.stop()
