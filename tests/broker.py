"""A NATS server with JetStream of a test's own: nats-server on a free loopback port with a store
folder of its own, which a test may stop and start again on the same port and store; and what its
stream PROGRESS holds, read back with the official client."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
import pytest

from tests.helpers import free_port

STREAM = "PROGRESS"


def nats_server() -> str:
    """The nats-server binary (on PATH, else Debian's /usr/sbin/nats-server); the test fails saying how to get one."""
    found = shutil.which("nats-server") or next(
        (path for path in ("/usr/sbin/nats-server",) if os.access(path, os.X_OK)), None)
    if found is None:
        pytest.fail("nats-server is not installed (neither on PATH nor at /usr/sbin/nats-server), and the NATS relay "
                    "is tested against a real one: install it with `apt-get install -y nats-server` (scripts/test "
                    "does this when it is missing).", pytrace=False)
    return found


@dataclass(frozen=True)
class Message:
    """A message of the stream, in stream order."""

    subject: str
    msg_id: str
    body: dict


class Nats:
    """``nats-server -js`` on 127.0.0.1:``port``, storing in ``store``; its monitoring on ``monitor_port``."""

    def __init__(self, store: Path):
        self.binary = nats_server()
        self.store = store
        self.port, self.monitor_port = free_port(), free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.log_path = store.with_name(store.name + ".log")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and wait until JetStream answers."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                                             "-sd", str(self.store), "-m", str(self.monitor_port)],
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not asyncio.run(self._answers()):
            assert self.process.poll() is None, "nats-server exited:\n" + self.log_path.read_text()
            assert time.monotonic() < deadline, "nats-server's JetStream did not answer within 20 s:\n" \
                + self.log_path.read_text()
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server the way its operator would (SIGTERM), and wait until it has."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    async def _answers(self) -> bool:
        try:
            client = await nats.connect(self.url, allow_reconnect=False, connect_timeout=1, error_cb=_quiet)
        except (nats.errors.Error, OSError):
            return False
        try:
            await client.jetstream(timeout=1).account_info()
            return True
        except (nats.errors.Error, OSError):
            return False
        finally:
            await client.close()

    def count(self) -> int:
        """How many messages the stream holds (0 while there is no stream)."""
        return asyncio.run(self._with_stream(_count))

    def messages(self) -> list[Message]:
        """Every message of the stream, in stream order (none while there is no stream)."""
        return asyncio.run(self._with_stream(_messages))

    def relay_clients(self) -> list[str]:
        """The names of the relays' connections to this server (from its monitoring)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/connz", timeout=5) as answer:
            connections = json.loads(answer.read())["connections"] or []
        return [c["name"] for c in connections if c.get("name", "").startswith("progress-service relay")]

    async def _with_stream(self, read):
        client = await nats.connect(self.url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet)
        try:
            return await read(client.jetstream(timeout=5))
        finally:
            await client.close()


async def _quiet(error: Exception) -> None:
    pass


async def _count(stream) -> int:
    try:
        return (await stream.stream_info(STREAM)).state.messages
    except nats.js.errors.NotFoundError:
        return 0


async def _messages(stream) -> list[Message]:
    try:
        state = (await stream.stream_info(STREAM)).state
    except nats.js.errors.NotFoundError:
        return []
    if not state.messages:
        return []
    raw = await asyncio.gather(*(stream.get_msg(STREAM, seq) for seq in range(state.first_seq, state.last_seq + 1)))
    return [Message(m.subject, m.headers["Nats-Msg-Id"], json.loads(m.data)) for m in raw]
