"""A PostgreSQL server of a test's own, from the pgserver package's binaries, on a free loopback
port: the fault tests restart it, freeze it and stop it without disturbing the server the other
tests share."""
from __future__ import annotations

import contextlib
import os
import pwd
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
    import pgserver
    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

BIN = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


class Postgres:
    """A server in ``data_dir`` listening on 127.0.0.1:``port`` only (no Unix socket)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root; pgserver runs it as a user of its own then, and so do we.
        self.user = None
        data_dir.mkdir()
        if os.geteuid() == 0:
            self.user = "pgserver"
            ensure_user_exists(self.user)
            ensure_prefix_permissions(data_dir)  # its parents: that user must reach the folder
            os.chown(data_dir, pwd.getpwnam(self.user).pw_uid, pwd.getpwnam(self.user).pw_gid)
        self._run("initdb", "-D", str(data_dir), "--auth=trust", "-U", "postgres", "--encoding=utf8")

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """Stop (``-m fast``: every session is ended at once) and start again; back when this returns."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def _pg_ctl(self, *action: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-l", str(self.data_dir / "log"),
                  "-o", f"-h 127.0.0.1 -p {self.port} -k ''", *action)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([str(BIN / program), *args], user=self.user, capture_output=True, text=True,
                              timeout=120, cwd=self.data_dir.parent)
        assert done.returncode == 0, f"{program} {' '.join(args)}:\n{done.stdout}{done.stderr}"


@contextlib.contextmanager
def own_postgres(data_dir: Path) -> Iterator[Postgres]:
    """A started server of the test's own; stopped when the block ends, whatever happened to it."""
    server = Postgres(data_dir)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(AssertionError):
            server.stop()
