"""`python -m progress_service serve` as a real process on loopback, on the embedded PostgreSQL."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from progress_service.db import embedded_url

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


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


def test_serve_runs_on_an_embedded_database_whose_data_outlives_a_restart(tmp_path):
    server = Server(tmp_path)
    try:
        assert get(server.url + "/readyz") == (200, {"status": "ready"})
        engine = sa.create_engine(embedded_url(tmp_path / "postgres"))
        with engine.begin() as conn:
            titles = conn.execute(sa.text("SELECT count(*) FROM titles")).scalar()
            conn.execute(sa.text("INSERT INTO users (username, password_hash) VALUES ('survivor', '-')"))
        engine.dispose()
    finally:
        server.stop()
    assert titles >= 150

    server = Server(tmp_path)
    try:
        assert get(server.url + "/readyz")[0] == 200
        engine = sa.create_engine(embedded_url(tmp_path / "postgres"))
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users WHERE username = 'survivor'")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM titles")).scalar() == titles
        engine.dispose()
    finally:
        server.stop()
