"""What the end-to-end tests share: a real `serve` process on a free loopback port, on a fresh
database that holds an admin made by `create-admin` (and a service made by `create-service`, for
those that follow the feed)."""
from __future__ import annotations

import contextlib
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port, get, printed_credentials

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PASSWORD = "e2e_admin", "e2e admin password"


@dataclass(frozen=True)
class Service:
    url: str
    port: int
    process: subprocess.Popen  # the first process of `serve`, which supervises the workers
    log_path: Path


@contextlib.contextmanager
def serving(database_url: str, data_dir: Path, admin: str, admin_password: str,
            environment: dict[str, str] | None = None, arguments: tuple[str, ...] = ()) -> Iterator[Service]:
    """Make the admin, start `serve` (with ``arguments`` and ``environment`` added), wait for
    /healthz, yield it; stop it afterwards."""
    env = _environment(data_dir, environment)
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", admin, "--password", admin_password,
                           "--database-url", database_url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("a") as log:
        process = subprocess.Popen([sys.executable, "-m", "progress_service", "serve", "--port", str(port),
                                    "--database-url", database_url, *arguments], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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
        yield Service(url, port, process, log_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _environment(data_dir: Path, environment: dict[str, str] | None = None) -> dict[str, str]:
    """The commands' environment: the database only from --database-url, the data folder a test's own."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PROGRESS_SERVICE_DATA_DIR"] = str(data_dir)
    env.update(environment or {})
    return env


def create_service(database_url: str, data_dir: Path, name: str) -> tuple[str, str]:
    """Make a service with `create-service`; the client id and secret it printed."""
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-service", name, "--database-url",
                           database_url], cwd=ROOT, env=_environment(data_dir), capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    return printed_credentials(made.stdout)


def closed_within(sockets: list[socket.socket], seconds: float,
                  trickle: float | None = None) -> tuple[dict[int, bytes], float]:
    """Wait until the server has closed every socket, or ``seconds`` passed; with ``trickle``, send
    one byte of a never-ending header on each open socket that often, as a slow client does.
    Returns what each closed socket received, by its index, and when the last one closed."""
    received = {index: b"" for index in range(len(sockets))}
    closed: dict[int, bytes] = {}
    started = last = time.monotonic()
    with selectors.DefaultSelector() as selector:
        for index, sock in enumerate(sockets):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
        deadline, next_byte = started + seconds, started
        while len(closed) < len(sockets) and time.monotonic() < deadline:
            if trickle is not None and time.monotonic() >= next_byte:
                next_byte += trickle
                for index, sock in enumerate(sockets):
                    if index not in closed:
                        try:
                            sock.send(b"a")
                        except OSError:  # reset: the server is gone from this one
                            pass
            for key, _ in selector.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    received[key.data] += data
                else:
                    closed[key.data] = received[key.data]
                    selector.unregister(key.fileobj)
                    last = time.monotonic()
    return closed, last - started
