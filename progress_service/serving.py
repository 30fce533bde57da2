"""waitress in pre-forked worker processes that share one listening socket.

One Python process uses at most one core (its GIL), so ``serve`` runs a worker per core. Clients
keep their connections open, and a connection stays with the worker that accepted it: left to the
race for ``accept()``, sixteen clients that connect at once were seen to land 14 on one worker
and 2 on the other, queueing behind one GIL while the other idled. So a worker accepts only while
it holds no more connections than the least busy worker (the counts live in shared memory).
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
    connections = multiprocessing.RawArray("i", workers)  # open connections of each worker
    children: dict[int, int] = {}
    for index in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _run_worker(make_app, listener, threads, ident, connections, index)
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
            connections[children.pop(pid)] = _GONE


def _run_worker(make_app: Callable[[], Flask], listener: socket.socket, threads: int, ident: str,
                connections=None, index: int = 0) -> None:
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
    if connections is not None:
        accepting = server.readable  # waitress's own answer: not past its connection limit

        def readable() -> bool:  # asked before every poll of the listening socket
            mine = connections[index] = len(server.active_channels)
            return accepting() and mine <= min(connections)

        server.readable = readable
    server.run()
