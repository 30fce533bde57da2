"""waitress in pre-forked worker processes that share one listening socket, supervised.

One Python process uses at most one core (its GIL), so ``serve`` runs a worker per core. Clients
keep their connections open, and a connection stays with the worker that accepted it: left to the
race for ``accept()``, sixteen clients that connect at once were seen to land 14 on one worker
and 2 on the other, queueing behind one GIL while the other idled. So a worker accepts only while
it holds no more connections than the least busy worker (the counts live in shared memory), and a
worker that accepts wakes the others through a pipe each, so one that stood aside looks again at
once: left to wake on its own poll timeout, it made every new connection wait up to a second.

No client can hold a worker: an idle connection closes after ``idle_timeout``, and so does one
that has read nothing of a large answer for as long; a request that has not arrived whole after
``request_timeout`` is answered 408, a body over ``max_body_bytes`` 413 before it is read, a
connection past ``connection_limit`` 503 at once; waitress's own errors are problem+json, as the
app's are. The first process supervises the workers: it starts a dead one again, and stops with
exit status 1 when they keep dying.
"""
from __future__ import annotations

import collections
import gc
import json
import logging
import multiprocessing
import os
import re
import resource
import signal
import socket
import sys
import time
import traceback
from typing import Callable, Sequence

from flask import Flask
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import Error, RequestEntityTooLarge

from .config import Config

log = logging.getLogger(__name__)

# A worker that has exited counts as full, so the others never wait for it to take a connection.
_GONE = 2**31 - 1
# Workers that die this often within this many seconds are failing, not unlucky: serve gives up.
DEATHS, WINDOW = 5, 60.0
# The first restart waits this long, each further death in the window twice as long.
FIRST_RESTART_DELAY = 0.1
# A companion (the mail worker) that keeps dying is started again at most this many seconds apart.
COMPANION_RESTART_CAP = 10.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
# The route that answers while the process runs (api.health): its tiny answer never waits for a thread.
LIVENESS_PATH = "/healthz"
# The feed's routes (api.events), served on threads of their own.
FEED_PATH = "/api/events"
# The route that takes an imported file (api.imports): its body may be larger than any other's.
IMPORT_PATH = re.compile(r"/api/progress/\d+/imports/?")


def body_limit(config: Config, path: str | None) -> int:
    """The largest body a request to ``path`` may have."""
    return config.import_max_bytes if IMPORT_PATH.fullmatch(path or "") else config.max_body_bytes


def serve(make_app: Callable[[], Flask], *, host: str, port: int, workers: int, threads: int,
          ident: str, config: Config = Config(),
          companions: Sequence[tuple[str, Callable[[], None]]] = ()) -> int:
    """Serve ``make_app()`` (called in each worker) on ``host:port`` until SIGTERM or Ctrl-C (then
    0), or until the workers keep dying (then 1). Each companion (name, run) is a process beside the
    workers that serves no HTTP (the mail's queue worker), started again like them when it dies."""
    listener = socket.create_server((host, port), backlog=1024)
    # Each worker may hold connection_limit sockets, past the common soft limit of 1,024 files.
    files = config.connection_limit + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < files:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (files if hard == resource.RLIM_INFINITY else min(files, hard), hard))
    print(f"{ident} listening on http://{host}:{port} ({workers} worker(s))", flush=True)
    balance = _Balance(workers)

    def start(index: int) -> int:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            status = 1
            try:
                if index < workers:
                    _run_worker(make_app, listener, threads, ident, config, balance, index)
                else:
                    listener.close()
                    companions[index - workers][1]()
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(status)
        return pid

    return _supervise(start, balance, workers, ident, [name for name, _ in companions])


def _supervise(start: Callable[[int], int], balance: _Balance, workers: int, ident: str,
               companions: Sequence[str] = ()) -> int:
    children: dict[int, int] = {}  # pid: the worker's place
    deaths: collections.deque[float] = collections.deque()
    stopping, status = False, 0
    companion_deaths = 0

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    # SIGTERM or Ctrl-C stop the workers; the caller's exit handlers then run (an embedded
    # PostgreSQL started for the service stops with it).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def spawn(index: int) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # a stop waits until the new worker is known
        try:
            children[start(index)] = index
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    for index in range(workers + len(companions)):
        if not stopping:
            spawn(index)
    while children:
        pid, wait_status = os.wait()
        index = children.pop(pid, None)
        if index is None:
            continue
        if index < workers:
            served = balance.serving[index]
            balance.gone(index)
        if stopping:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        cause = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        if index >= workers:  # a companion serves no HTTP: its deaths never stop the workers
            companion_deaths += 1
            delay = min(COMPANION_RESTART_CAP, FIRST_RESTART_DELAY * 2 ** (companion_deaths - 1))
            log.warning("%s: %s (%d) %s; starting it again in %.1f s", ident, companions[index - workers], pid,
                        cause, delay)
            time.sleep(delay)
            if not stopping:
                spawn(index)
            continue
        now = time.monotonic()
        deaths.append(now)
        while deaths[0] < now - WINDOW:
            deaths.popleft()
        if not served or len(deaths) >= DEATHS:
            if not served:
                log.error("%s: worker %d %s before it began serving (its error is above); stopping", ident, pid, cause)
            else:
                log.error("%s: worker %d %s, %d deaths within %.0f s; stopping", ident, pid, cause, len(deaths), WINDOW)
            status = 1
            stop()
            continue
        delay = FIRST_RESTART_DELAY * 2 ** (len(deaths) - 1)
        log.warning("%s: worker %d %s; starting another in %.1f s", ident, pid, cause, delay)
        time.sleep(delay)
        if not stopping:
            spawn(index)
    return status


class _Balance:
    """The open connections of each worker in shared memory, and a pipe per worker to wake it
    when another worker's count grows (then it may be the least busy one)."""

    def __init__(self, workers: int):
        # At the start every worker counts as empty, so the first to come up leaves the others their share.
        self.counts = multiprocessing.RawArray("i", workers)
        self.serving = multiprocessing.RawArray("b", workers)  # whether each worker got as far as serving
        self.pipes = [os.pipe() for _ in range(workers)]
        for _, write_end in self.pipes:
            os.set_blocking(write_end, False)  # a full pipe means a wake-up is pending already

    def started(self, index: int) -> None:
        self.serving[index] = 1
        self.counts[index] = 0

    def may_accept(self, index: int, mine: int) -> bool:
        self.counts[index] = mine
        return mine <= min(self.counts)

    def accepted(self, index: int, mine: int) -> None:
        self.counts[index] = mine
        self.wake(but=index)

    def gone(self, index: int) -> None:
        """A worker died: until the next one in its place serves, it counts as full."""
        self.serving[index] = 0
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


class RequestTimeout(Error):
    code = 408
    reason = "Request Timeout"


class ServiceUnavailable(Error):
    code = 503
    reason = "Service Unavailable"


def _detail(error: Error, server: _Server, path: str | None) -> str:
    """The sentence of a problem the server answers itself."""
    if error.code == 413:
        return (f"The request body is larger than {body_limit(server.config, path):,} bytes, the most this service "
                "accepts.")
    if error.code == 431:
        return (f"The request's headers are larger than {server.adj.max_request_header_size:,} bytes, "
                "the most this service accepts.")
    if error.code == 408:
        return f"The request did not arrive whole within {server.config.request_timeout} s; send it again."
    if error.code == 503:
        return "The service holds as many connections as it can take; try again in a moment."
    if error.code == 500:
        return "Something went wrong on our side; it has been logged."
    return f"The request is not HTTP this service can read: {error.body.rstrip('.')}."


class _ProblemTask(ErrorTask):
    """An error waitress answers itself, as problem+json with a sentence (RFC 9457)."""

    def execute(self) -> None:
        error = self.request.error
        body = json.dumps({"type": "about:blank", "title": error.reason, "status": error.code,
                           "detail": _detail(error, self.channel.server, getattr(self.request, "path", None))}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/problem+json"))
        if error.code == 503:
            self.response_headers.append(("Retry-After", "1"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
        self.channel.linger = True


class _Request(HTTPRequestParser):
    """waitress's parser, remembering when the request's first bytes came."""

    def __init__(self, adj: Adjustments):
        super().__init__(adj)
        self.started = time.time()

    limits: Config | None = None  # the worker's config: the body limit of each route (body_limit)

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self.error is None and self.headers_finished and self.limits is not None:
            # waitress bounds every body by the largest limit (an import's); the others are bounded here
            limit = body_limit(self.limits, getattr(self, "path", None))
            if self.content_length > limit or self.body_bytes_received > limit:
                self.error = RequestEntityTooLarge(f"exceeds the limit of {limit} bytes")
                self.completed = True
        if self.error is not None:  # refused already: no "100 Continue" inviting the body
            self.expect_continue = False
        return consumed


class _Channel(HTTPChannel):
    """A connection: problem+json for waitress's own errors, a deadline for a whole request,
    a 503 past the connection limit, and a lingering close after an error."""

    error_task_class = _ProblemTask
    parser_class = _Request
    # After an error answer the client may still be sending (a large body, say): its bytes are
    # read and dropped until it closes, for at most request_timeout, as a close with unread bytes
    # would reset the connection and lose the answer.
    linger = False
    lingering_until = 0.0

    def __init__(self, server: _Server, sock: socket.socket, addr, adj: Adjustments, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        if len(server.active_channels) > server.config.connection_limit:
            self._answer_at_once(ServiceUnavailable("connection limit"))

    def _answer_at_once(self, error: Error) -> None:
        """Answer from the loop's thread: the worker's threads may all be busy."""
        request = self.parser_class(self.adj)
        request.error = error
        self.error_task_class(self, request).service()
        self.close_when_flushed = True

    def check_deadlines(self, now: float) -> None:
        """A request still arriving after request_timeout is answered 408 (slowloris); a client that
        has read nothing of a large answer for idle_timeout is let go, as the worker's thread
        waits on it."""
        stalled = self.total_outbufs_len > self.adj.outbuf_high_watermark  # the thread waits to write more
        if stalled and now - self.last_activity > self.adj.channel_timeout:
            try:  # its socket never turns writable, where will_close would be seen: the hang-up is
                self.socket.shutdown(socket.SHUT_RDWR)
            except OSError:  # the client is gone already
                pass
            return
        with self.requests_lock:
            request = self.request
            if (request is None or self.requests or self.will_close
                    or now - request.started < self.server.config.request_timeout):
                return
            request.error = RequestTimeout("too slow")
            request.completed = True
            self.request = None
            self.requests.append(request)
        self.server.add_task(self)

    liveness_due = False
    receiving = False  # in received(), where the loop's thread takes the channel's requests in

    def received(self, data: bytes) -> bool:
        self.receiving = True
        try:
            more = super().received(data)
        finally:
            self.receiving = False
        if self.liveness_due:  # a liveness check (_Server.add_task): answered here, in the loop's thread
            self.liveness_due = False
            self.service()
        return more

    def readable(self) -> bool:
        return bool(self.lingering_until) or super().readable()

    def writable(self) -> bool:
        if self.lingering_until:  # true once lingering is over: handle_write then closes
            return time.time() >= self.lingering_until
        return super().writable()

    def handle_read(self) -> None:
        if self.lingering_until:
            self.recv(self.adj.recv_bytes)  # dropped; at the client's end, recv closes the channel
        else:
            super().handle_read()

    def handle_write(self) -> None:
        if self.lingering_until:
            self.handle_close()
        else:
            super().handle_write()

    def handle_close(self) -> None:
        if self.linger and not self.lingering_until and self.connected:
            try:
                self.socket.shutdown(socket.SHUT_WR)  # the answer is out: the client sees its end
                self.lingering_until = time.time() + self.server.config.request_timeout
                return
            except OSError:
                pass
        super().handle_close()


class _Server(TcpWSGIServer):
    """waitress's server on the shared socket: it accepts only while its worker is the least busy,
    says so to the others, and enforces the deadlines besides waitress's idle timeout."""

    channel_class = _Channel

    def __init__(self, app, listener: socket.socket, adj: Adjustments, config: Config, balance: _Balance,
                 index: int):
        self.config, self.balance, self.index = config, balance, index
        super().__init__(app, _sock=listener, adj=adj, bind_socket=False,
                         sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()))
        # The feed's requests have threads of their own: one per stream or long poll it may hold
        # (feed_slots, progress_service.feed), and one for its pages that do not wait.
        self.feed_dispatcher = ThreadedTaskDispatcher()
        self.feed_dispatcher.set_thread_count(config.feed_slots + 1)
        _Wakeup(balance.pipes[index][0], map=self._map)
        balance.started(index)

    def readable(self) -> bool:  # asked before every poll of the listening socket
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        return self.balance.may_accept(self.index, len(self.active_channels))

    def add_task(self, channel: _Channel) -> None:
        """Requests go to the worker's threads, but a liveness check is answered here, in the loop's
        thread, so that it never waits behind a request that waits on a hung database."""
        request = channel.requests[0] if len(channel.requests) == 1 and channel.receiving else None
        if request is not None and not request.error and request.command in ("GET", "HEAD") \
                and request.path == LIVENESS_PATH and not request.query:
            channel.liveness_due = True  # served once received() has let go of the channel's lock
            return
        first = channel.requests[0] if channel.requests else None
        if first is not None and not first.error and isinstance(first.path, str) and first.path.startswith(FEED_PATH):
            self.feed_dispatcher.add_task(channel)  # a stream that lasts an hour takes none of the others' threads
            return
        super().add_task(channel)

    def handle_accept(self) -> None:
        super().handle_accept()
        self.balance.accepted(self.index, len(self.active_channels))

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # waitress's: idle connections close after channel_timeout
        for channel in list(self.active_channels.values()):
            channel.check_deadlines(now)


def _run_worker(make_app: Callable[[], Flask], listener: socket.socket, threads: int, ident: str,
                config: Config, balance: _Balance, index: int) -> None:
    app = make_app()
    # What the app holds from now on lives as long as the worker: kept out of the collector's
    # full passes, which otherwise walk it all and stall every request in flight (~70 ms seen).
    gc.collect()
    gc.freeze()
    # With more connections than threads, requests wait in waitress's queue by design; its warning
    # for every queued request would cost the loop thread a log line per request and flood the log.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    adj = Adjustments(sockets=[listener], threads=threads, ident=ident, asyncore_use_poll=True,
                      channel_timeout=config.idle_timeout, cleanup_interval=1,
                      # waitress refuses a body of max_request_body_size bytes; the limit's own size is allowed
                      max_request_body_size=max(config.max_body_bytes, config.import_max_bytes) + 1)
    _Request.limits = config
    _Server(app, listener, adj, config, balance, index).run()
