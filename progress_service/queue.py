"""The job queue: procrastinate on the service's own PostgreSQL (its tables are made by
prepare_schema). Each minute (PROGRESS_SERVICE_MAIL_CHECK_SECONDS) a periodic job finds the mails
due (notifications.find_due) and defers one ``send`` job per mail; ``send`` delivers it at most
once and, when the mail server does not take it, fails so that procrastinate tries it again later,
waiting longer each time. A large import waits here too (``carry_out_import``): a job that dies is
tried again, and the import's one transaction and its fingerprints make sure it lands once.

procrastinate's worker is asynchronous and runs on psycopg 3 (its connector); the service's own
reads and writes in the jobs go through the service's Database as everywhere else.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import datetime, timezone

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from . import notifications
from .config import Config
from .db import Database
from .imports import Imports
from .mail import Mailer
from .security import signing_secret
from .services import Trackers

log = logging.getLogger(__name__)

QUEUE = "notifications"
IMPORTS_QUEUE = "imports"
# A mail the server refused waits 2, 4, 8, ... seconds between tries: 12 tries span about two hours.
RETRY = procrastinate.RetryStrategy(max_attempts=12, exponential_wait=2)
# An import whose job died (the worker stopped, the database went away) is tried again soon.
IMPORT_RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=5)

# The tasks, on an app whose connector each process sets to its database (``connected``).
app = procrastinate.App(connector=procrastinate.PsycopgConnector())


class Runtime:
    """What the jobs of one worker process use."""

    def __init__(self, config: Config, db: Database):
        self.config, self.db = config, db
        self.mailer = Mailer(config)
        self.secret = signing_secret(config)
        self.imports = Imports(Trackers(db))

    def deliver(self, due: notifications.Due) -> None:
        message = notifications.deliver(self.db, self.mailer, self.config, self.secret, due)
        if message is not None:
            log.info(notifications.describe(due, message))


_runtime: Runtime | None = None


@app.task(name="notifications.find_due", queue=QUEUE)
async def find_due(timestamp: int) -> None:
    at = datetime.fromtimestamp(timestamp, timezone.utc)
    for due in await asyncio.to_thread(notifications.find_due, _runtime.db, at):
        try:
            await _job(due).defer_async(user_id=due.user_id, kind=due.kind, period=due.period)
        except AlreadyEnqueued:
            pass


@app.task(name="notifications.send", queue=QUEUE, retry=RETRY)
async def send(user_id: int, kind: str, period: str) -> None:
    await asyncio.to_thread(_runtime.deliver, notifications.Due(user_id, kind, period))


@app.task(name="imports.carry_out", queue=IMPORTS_QUEUE, retry=IMPORT_RETRY, pass_context=True)
async def carry_out_import(context: procrastinate.JobContext, user_id: int, import_id: str) -> None:
    try:
        await asyncio.to_thread(_runtime.imports.carry_out_queued, user_id, import_id)
    except Exception:
        if context.job.attempts >= IMPORT_RETRY.max_attempts:  # the last try: the import says it failed
            await asyncio.to_thread(_runtime.imports.give_up, user_id, import_id)
        raise


class ImportDeferrer:
    """Hands queued imports to the job queue from the web process (an app of its own: the
    worker's is replaced per process)."""

    def __init__(self, url: str):
        self._app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo(url)))
        self._lock = threading.Lock()  # one connector, opened for each defer

    def __call__(self, user_id: int, import_id: str) -> None:
        with self._lock, self._app.open():
            self._app.configure_task(name="imports.carry_out", queue=IMPORTS_QUEUE).defer(
                user_id=user_id, import_id=import_id)


def _job(due: notifications.Due):
    # one job per mail waiting at a time, however many periodic runs find it due
    return send.configure(queueing_lock=due.key)


def defer(url: str, dues: list[notifications.Due]) -> None:
    """Queue mails from synchronous code (``notify``, when the mail server did not take them)."""
    with connected(url, sync=True), app.open():
        for due in dues:
            try:
                _job(due).defer(user_id=due.user_id, kind=due.kind, period=due.period)
            except AlreadyEnqueued:
                pass


def conninfo(url: str) -> str:
    """The service's database URL as libpq takes it (without SQLAlchemy's driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connected(url: str, *, sync: bool = False):
    connector = procrastinate.SyncPsycopgConnector if sync else procrastinate.PsycopgConnector
    return app.replace_connector(connector(conninfo=conninfo(url)))


_scheduled: set[int] = set()


def _schedule(every: int) -> None:
    """Look for the mails due every ``every`` seconds (each minute unless configured otherwise)."""
    if every not in _scheduled:  # once per process: procrastinate refuses a schedule twice
        cron, periodic_id = ("* * * * *", "due") if every == 60 else (f"* * * * * */{every}", f"due-{every}s")
        app.periodic(cron=cron, periodic_id=periodic_id)(find_due)
        _scheduled.add(every)


async def work(config: Config, url: str, *, wait: bool = True) -> None:
    """Run the queue's jobs (mail and imports): until SIGTERM or Ctrl-C, or (``wait=False``) until none
    is left to run now."""
    global _runtime
    _schedule(config.mail_check_seconds)
    _runtime = Runtime(config, Database.for_maintenance(url, config))
    log.info("the mail worker (process %d) is running; mail goes to %s", os.getpid(), _runtime.mailer.where)
    try:
        with connected(url):
            async with app.open_async():
                await app.run_worker_async(queues=[QUEUE, IMPORTS_QUEUE], name="mail", wait=wait, install_signal_handlers=wait)
    finally:
        _runtime.db.dispose()


def run_worker(config: Config, url: str) -> None:
    """The mail's worker process (``serve`` runs it beside the web workers)."""
    asyncio.run(work(config, url))
