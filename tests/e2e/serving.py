"""What the end-to-end tests share: a real `serve` process on a free loopback port, on a fresh
database that holds an admin made by `create-admin`."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tests.e2e.test_serve import free_port, get

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PASSWORD = "e2e_admin", "e2e admin password"


@contextlib.contextmanager
def serving(database_url: str, data_dir: Path, admin: str, admin_password: str, *,
            serve_args: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """Make the admin, start `serve` (with ``serve_args`` and ``environ`` on top of the tests' own
    environment), wait for /healthz, yield the base URL; stop it afterwards."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PROGRESS_SERVICE_DATA_DIR"] = str(data_dir)
    env.update(environ or {})
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", admin, "--password", admin_password,
                           "--database-url", database_url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("a") as log:
        process = subprocess.Popen([sys.executable, "-m", "progress_service", "serve", "--port", str(port),
                                    "--database-url", database_url, *serve_args], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
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
