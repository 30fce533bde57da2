"""The NATS relay: every event of the feed, in feed order, published to NATS JetStream.

Stream ``PROGRESS`` (made when missing) takes subjects ``progress.events.>``; each event goes to
``progress.events.<type>`` with header ``Nats-Msg-Id`` = its log id and the event object (with its
``position``) as the body. Delivery is at least once: the relay reads a batch of the feed after its
checkpoint, publishes it, waits for JetStream's ack of every message, and only then moves its
checkpoint (table ``relay_checkpoints``). A relay that dies between the acks and the checkpoint
publishes the batch again, and JetStream drops the messages it has already (their Msg-Id, within
the stream's duplicate window).

One relay publishes at a time: it holds a session advisory lock on a PostgreSQL connection of its
own, and writes its checkpoints on that same connection, so a relay whose session has ended (and
with it the lock) can record nothing. Another relay waits, trying for the lock every second, and
takes over when the first one's session ends.

Order survives a lost broker because the relay never lets the client replay what it buffered:
each lost connection is closed, and the relay connects anew and publishes again from its
checkpoint, so the stream holds what JetStream stored of a batch (a prefix of it) and then the rest
in order.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from dataclasses import replace

import nats
import nats.errors
import nats.js.errors
import sqlalchemy as sa
from nats.js import JetStreamContext
from nats.js.api import Header

from . import eventstore
from .config import Config
from .db import Database, run_together
from .errors import ServiceUnavailable
from .eventstore import FEED_START, FeedItem, FeedPosition

log = logging.getLogger(__name__)

RELAY = "nats"  # its row in relay_checkpoints
STREAM = "PROGRESS"
SUBJECTS = "progress.events.>"
BATCH = 200  # events published at once, before their acks are awaited together
POLL = 0.15  # seconds between looks at the feed while it has nothing new
LOCK_RETRY = 1.0  # seconds between a waiting relay's tries for the lock
ACK_TIMEOUT = 5.0  # seconds a batch's acks may take before the broker counts as lost
FIRST_RETRY, LAST_RETRY = 0.1, 5.0  # after a lost connection, the wait before each try doubles up to LAST_RETRY
BROKER_ERRORS = (nats.errors.Error, OSError)  # OSError holds TimeoutError

_TAKE_LOCK = sa.text("SELECT pg_try_advisory_lock(hashtext('progress_service.relay'), hashtext(:relay)) AS held")

# The checkpoint, once per relay: the feed's start until its first batch is acked.
_START = sa.text("INSERT INTO relay_checkpoints (relay, tx, event_id) VALUES (:relay, '0', 0) "
                 "ON CONFLICT (relay) DO NOTHING")
_CHECKPOINT = sa.text("SELECT tx::text AS tx, event_id FROM relay_checkpoints WHERE relay = :relay")
_RECORD = sa.text("""
    INSERT INTO relay_checkpoints AS c (relay, tx, event_id) VALUES (:relay, CAST(:tx AS text)::xid8, :event_id)
    ON CONFLICT (relay) DO UPDATE SET tx = EXCLUDED.tx, event_id = EXCLUDED.event_id, updated_at = now()
    WHERE (c.tx, c.event_id) < (EXCLUDED.tx, EXCLUDED.event_id)
""")

_LAG = sa.text("""
    SELECT (SELECT count(*) FROM events e WHERE (e.tx, e.id) > (c.tx, c.event_id)
              AND e.tx < pg_snapshot_xmin(pg_current_snapshot())) AS lag
    FROM relay_checkpoints c WHERE c.relay = :relay
""")


def relay_lag(conn: sa.Connection, relay: str = RELAY) -> int | None:
    """How many events of the feed the relay has still to publish (None: it has never run)."""
    return conn.execute(_LAG, {"relay": relay}).scalar()


def run(config: Config, url: str) -> None:
    """Relay the feed of the database at ``url`` to ``config.nats_url`` until SIGTERM or Ctrl-C
    (``python -m progress_service relay``; ``serve`` runs it beside its workers)."""
    asyncio.run(_run(config, url))


async def _run(config: Config, url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    db = Database.for_requests(url, replace(config, pool_size=2))  # one connection reads the feed, one holds the lock
    try:
        await Relay(db, config.nats_url, stop).run()
    finally:
        db.dispose()
    log.info("the NATS relay (process %d) has stopped", os.getpid())


class _Session:
    """The relay's own PostgreSQL session: it holds the lock while it lasts, and writes the checkpoint."""

    def __init__(self, db: Database, relay: str):
        self.relay = relay
        self._held = contextlib.ExitStack()
        self.conn = self._held.enter_context(db.read())

    def take_lock(self) -> bool:
        return run_together(self.conn, [(_TAKE_LOCK, {"relay": self.relay})])[0]["held"]

    def checkpoint(self) -> FeedPosition:
        row = run_together(self.conn, [(_START, {"relay": self.relay}), (_CHECKPOINT, {"relay": self.relay})])[0]
        return FeedPosition(int(row["tx"]), row["event_id"])

    def record(self, position: FeedPosition) -> None:
        run_together(self.conn, [(_RECORD, {"relay": self.relay, "tx": str(position.tx), "event_id": position.id})])

    def ended(self) -> bool:
        """Whether the server ended the session (a restart, say): then the lock is gone too. No round trip."""
        return self.conn.connection.driver_connection.ended()

    def close(self) -> None:
        """End the session, and with it the lock (a connection back in the pool would keep it)."""
        with contextlib.suppress(Exception):
            self.conn.invalidate()
        with contextlib.suppress(Exception):
            self._held.close()


class _Outage:
    """The waits between tries at something that went away, one log line when it goes and one when it is back."""

    def __init__(self, what: str):
        self.what = what
        self.since: float | None = None
        self.tries = 0

    def failed(self, error: BaseException) -> float:
        """The seconds to wait before trying again."""
        if self.since is None:
            self.since = time.monotonic()
            log.warning("the NATS relay lost %s (%s: %s); trying again, waiting up to %.0f s between tries",
                        self.what, type(error).__name__, error.__cause__ or error, LAST_RETRY)
        self.tries += 1
        return min(LAST_RETRY, FIRST_RETRY * 2 ** (self.tries - 1))

    def over(self, then: str) -> None:
        if self.since is not None:
            log.info("the NATS relay has %s back after %.1f s; %s", self.what, time.monotonic() - self.since, then)
        self.since, self.tries = None, 0


def _resuming(position: FeedPosition) -> str:
    return "publishing from the feed's start" if position == FEED_START else \
        f"publishing after event {position.id} (feed position {position})"


async def _quiet(error: Exception) -> None:
    """The client's own error reports: the relay says what a lost broker means itself."""


class Relay:
    """One relay's work: the lock, then batch after batch of the feed to the broker, until ``stop`` is set."""

    def __init__(self, db: Database, nats_url: str, stop: asyncio.Event, *, relay: str = RELAY, batch: int = BATCH):
        self.db, self.nats_url, self.stop, self.relay, self.batch = db, nats_url, stop, relay, batch
        self.database = _Outage("the database")
        self.broker = _Outage(f"NATS at {nats_url}")
        self.position = FEED_START  # the checkpoint, once the relay holds the lock

    async def run(self) -> None:
        log.info("the NATS relay (process %d) is running: the feed goes to JetStream stream %s at %s",
                 os.getpid(), STREAM, self.nats_url)
        while not self.stop.is_set():
            session = None
            try:
                session = await self._take_lock()
                if session is not None:
                    await self._publish(session)
            except ServiceUnavailable as error:
                if await self._pause(self.database.failed(error)):
                    return
            finally:
                if session is not None:
                    await asyncio.to_thread(session.close)

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``, or less when the relay is asked to stop; whether it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        return self.stop.is_set()

    async def _take_lock(self) -> _Session | None:
        """The relay's session once it holds the lock (None: asked to stop while waiting for it)."""
        session = await asyncio.to_thread(_Session, self.db, self.relay)
        try:
            waited = False
            while not await asyncio.to_thread(session.take_lock):
                if not waited:
                    log.info("another relay is publishing the feed to NATS; this one (process %d) waits to take over",
                             os.getpid())
                    waited = True
                if await self._pause(LOCK_RETRY):
                    session.close()
                    return None
            position = await asyncio.to_thread(session.checkpoint)
        except BaseException:
            session.close()
            raise
        self.database.over("it publishes on")
        self.position = position
        log.info("the NATS relay (process %d) %s the lock: %s", os.getpid(), "takes over" if waited else "holds",
                 _resuming(position))
        return session

    async def _publish(self, session: _Session) -> None:
        """Publish the feed after the checkpoint until asked to stop; ServiceUnavailable when the
        database goes, or the session with the lock."""
        client = None
        try:
            while not self.stop.is_set():
                if session.ended():
                    raise ServiceUnavailable("the relay's session ended, and with it its lock")
                if client is None:
                    try:
                        client, stream = await self._connect()
                    except BROKER_ERRORS as error:
                        if await self._pause(self.broker.failed(error)):
                            return
                        continue
                    self.broker.over(_resuming(self.position))
                items = await asyncio.to_thread(self._read)
                if not items:
                    await self._pause(POLL)
                    continue
                try:
                    await self._send(stream, items)
                except BROKER_ERRORS as error:
                    await _close(client)
                    client = None  # never replayed by the client: the relay publishes again from its checkpoint
                    if await self._pause(self.broker.failed(error)):
                        return
                    continue
                await asyncio.to_thread(session.record, items[-1].position)  # only now: every ack is in
                self.position = items[-1].position
        finally:
            if client is not None:
                await _close(client)

    def _read(self) -> list[FeedItem]:
        with self.db.read() as conn:
            return eventstore.feed_items(conn, after=self.position, limit=self.batch)

    async def _connect(self) -> tuple[nats.NATS, JetStreamContext]:
        """A new connection to NATS, and JetStream on it with the stream there."""
        client = await nats.connect(self.nats_url, name=f"progress-service relay (process {os.getpid()})",
                                    allow_reconnect=False, connect_timeout=2, error_cb=_quiet)
        try:
            stream = client.jetstream(timeout=ACK_TIMEOUT)
            try:
                await stream.stream_info(STREAM)
            except nats.js.errors.NotFoundError:
                await stream.add_stream(name=STREAM, subjects=[SUBJECTS])
                log.info("the NATS relay made JetStream stream %s (subjects %s)", STREAM, SUBJECTS)
        except BaseException:
            await _close(client)
            raise
        return client, stream

    async def _send(self, stream: JetStreamContext, items: list[FeedItem]) -> None:
        """Publish ``items`` in their order, all at once, and wait for every ack."""
        acks = [await stream.publish_async(f"progress.events.{item.type}", item.with_position().encode(),
                                           headers={Header.MSG_ID.value: str(item.id)})
                for item in items]
        answers = await asyncio.wait_for(asyncio.gather(*acks, return_exceptions=True), ACK_TIMEOUT)
        for item, answer in zip(items, answers):
            if isinstance(answer, BaseException):
                raise answer if isinstance(answer, Exception) else nats.errors.Error(f"event {item.id} had no ack")


async def _close(client: nats.NATS) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.close(), 2)
