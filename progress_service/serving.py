"""waitress in pre-forked worker processes that share one listening socket.

One Python process uses at most one core (its GIL), so ``serve`` runs a worker per core. Clients
keep their connections open, and a connection stays with the worker that accepted it: left to the
race for ``accept()``, sixteen clients that connect at once were seen to land 14 on one worker
and 2 on the other, queueing behind one GIL while the other idled. So a worker accepts only while
it holds no more connections than the least busy worker (the counts live in shared memory), and a
worker that accepts wakes the others through a pipe each, so one that stood aside looks again at
once: left to wake on its own poll timeout, it made every new connection wait up to a second.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
from typing import Callable

from flask import Flask
from waitress import wasyncore

# A worker that has exited counts as full, so the others never wait for it to take a connection.
_GONE = 2**31 - 1


def serve(make_app: Callable[[], Flask], *, host: str, port: int, workers: int, threads: int,
          ident: str) -> None:
    """Serve ``make_app()`` (called in each worker) on ``host:port`` until SIGTERM or Ctrl-C."""
    listener = socket.create_server((host, port), backlog=1024)
    print(f"{ident} listening on http://{host}:{port} ({workers} worker(s))", flush=True)
    if workers == 1:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        _run_worker(make_app, listener, threads, ident)
        return
    balance = _Balance(workers)
    children: dict[int, int] = {}
    for index in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _run_worker(make_app, listener, threads, ident, balance, index)
            finally:
                os._exit(0)
        children[pid] = index

    def stop(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    # SIGTERM or Ctrl-C stop the workers; the caller's exit handlers then run (an embedded
    # PostgreSQL started for the service stops with it).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while children:
        pid, _ = os.wait()
        if pid in children:
            balance.gone(children.pop(pid))


class _Balance:
    """The open connections of each worker in shared memory, and a pipe per worker to wake it
    when another worker's count grows (then it may be the least busy one)."""

    def __init__(self, workers: int):
        self.counts = multiprocessing.RawArray("i", workers)
        self.pipes = [os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC) for _ in range(workers)]

    def may_accept(self, index: int, mine: int) -> bool:
        self.counts[index] = mine
        return mine <= min(self.counts)

    def accepted(self, index: int, mine: int) -> None:
        self.counts[index] = mine
        self.wake(but=index)

    def gone(self, index: int) -> None:
        self.counts[index] = _GONE
        self.wake()

    def wake(self, but: int | None = None) -> None:
        for index, (_, write_end) in enumerate(self.pipes):
            if index != but:
                try:
                    os.write(write_end, b"\0")
                except BlockingIOError:  # the pipe is full: that worker is due to wake anyway
                    pass


class _Wakeup(wasyncore.file_dispatcher):
    """The read end of a worker's pipe in its loop: a byte there ends the loop's wait."""

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            os.read(self._fileno, 4096)
        except BlockingIOError:
            pass


def _run_worker(make_app: Callable[[], Flask], listener: socket.socket, threads: int, ident: str,
                balance: _Balance | None = None, index: int = 0) -> None:
    import waitress

    app = make_app()
    # What the app holds from now on lives as long as the worker: kept out of the collector's
    # full passes, which otherwise walk it all and stall every request in flight (~70 ms seen).
    gc.collect()
    gc.freeze()
    # With more connections than threads, requests wait in waitress's queue by design; its warning
    # for every queued request would cost the loop thread a log line per request and flood the log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(app, sockets=[listener], threads=threads, ident=ident)
    if balance is not None:
        accepting, accept = server.readable, server.handle_accept  # waitress's own: not past its connection limit

        def readable() -> bool:  # asked before every poll of the listening socket
            return accepting() and balance.may_accept(index, len(server.active_channels))

        def handle_accept() -> None:
            accept()
            balance.accepted(index, len(server.active_channels))

        server.readable, server.handle_accept = readable, handle_accept
        _Wakeup(balance.pipes[index][0], map=server._map)
    server.run()
