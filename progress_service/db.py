"""The database: engine, connections, round trips, the embedded server. Driver errors are translated
here only; the schema is prepared in ``schema``."""
from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import os
import select
import socket
import threading
import time
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import psycopg2
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql

from .config import Config
from .errors import (
    AuthenticationFailed, BadRequest, Conflict, IdempotencyKeyReused, ProgressServiceError, ServiceUnavailable, TitleNotFound, UserNotFound,
    VersionConflict,
)

log = logging.getLogger(__name__)

# Unique constraints a client can run into, and the error each means for the client.
_CONFLICTS: dict[str, Callable[[], ProgressServiceError]] = {
    "users_username": lambda: Conflict("That username is already taken."),
    "services_name": lambda: Conflict("A service of that name exists and is not revoked: revoke it first "
                                      "(create-service NAME --revoke), or choose another name."),
    "titles_identity": lambda: Conflict("A title of that kind, name and creator is already in the catalog."),
    "own_titles_identity": lambda: Conflict("You already have a title of that kind, name and creator."),
    "events_stream_version": lambda: Conflict("The tracker changed while this entry was being written; try again."),
    "idempotency_keys_pkey": IdempotencyKeyReused,
    "tracker_state_user_id_fkey": lambda: UserNotFound("There is no such user."),
    "tracker_state_title_id_fkey": lambda: TitleNotFound("There is no such title in the catalog."),
}
VERSION_CONFLICT = "PS412"  # the SQLSTATE append_events raises
STALE_STATE = "PS409"  # the SQLSTATE tracker_is_at raises
CREDENTIAL_ENDED = "PS401"  # the SQLSTATE credential_ended raises (accounts.credential_proof)
STATEMENT_TIMEOUT = "57014"  # query_canceled: here, a statement of a request ran past statement_timeout


class StaleState(Exception):
    """A write decided on a tracker state remembered from an earlier write, and another write (or
    an edit of the title) has come since: never a client's error, the write loads and decides again."""


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver errors into progress-service errors; anything else is a bug and passes through."""
    try:
        yield
    except (sa_exc.DBAPIError, psycopg2.Error) as error:
        if getattr(getattr(error, "orig", error), "pgcode", None) == STALE_STATE:
            raise StaleState() from error
        translated = _translated(error)
        if translated is None:
            raise
        raise translated from error
    except ValueError as error:  # psycopg2 refuses to send some text at all
        if "NUL (0x00)" in str(error):
            raise BadRequest("Text in the request may not contain the NUL character (\\u0000).") from error
        raise


def _translated(error: Exception) -> ProgressServiceError | None:
    driver_error = getattr(error, "orig", error)  # SQLAlchemy wraps the driver's error
    if getattr(driver_error, "pgcode", None) == CREDENTIAL_ENDED:
        if driver_error.diag.message_detail == "revoked":
            return AuthenticationFailed("This service has been revoked: its tokens no longer work.")
        if driver_error.diag.message_detail == "deleted":
            return AuthenticationFailed("This account no longer exists; register or log in again.")
        return AuthenticationFailed("The account's password has changed since this token was issued; log in again.")
    if getattr(driver_error, "pgcode", None) == VERSION_CONFLICT:  # raised by append_events
        versions = json.loads(driver_error.diag.message_detail)
        return VersionConflict(f"The tracker is at version {versions['actual']}, not {versions['expected']} "
                               "as this change expected.", **versions)
    if (getattr(driver_error, "pgcode", None) or "").startswith("22"):  # data exception: a value out of range
        return BadRequest("A value in the request is out of the range this service accepts.")
    if isinstance(driver_error, psycopg2.IntegrityError):
        constraint = getattr(driver_error.diag, "constraint_name", None)
        return _CONFLICTS[constraint]() if constraint in _CONFLICTS else None
    if getattr(driver_error, "pgcode", None) == STATEMENT_TIMEOUT:
        log.warning("database too slow: %s", error)
        return ServiceUnavailable("The database took too long to answer; try again shortly.")
    if getattr(getattr(getattr(driver_error, "cursor", None), "connection", None), "gave_up", False):
        log.warning("database hung: %s", error)
        # The server may yet run what it received (a frozen server resumed): the outcome is unknown.
        return ServiceUnavailable("The database did not answer in time. If this request was a change, it may "
                                  "still be saved: retry it with the same Idempotency-Key.")
    if getattr(error, "connection_invalidated", False) or (
            isinstance(driver_error, (psycopg2.OperationalError, psycopg2.InterfaceError))
            and _is_unavailable(driver_error)):
        log.warning("database unavailable: %s", error)
        return ServiceUnavailable("The database is not answering right now; try again shortly.")
    return None


def _is_unavailable(error: psycopg2.Error) -> bool:
    code = error.pgcode
    # no SQLSTATE: the connection itself failed; class 08 connection exception, 57P admin shutdown
    return code is None or code.startswith("08") or code.startswith("57P")


Statement = tuple[sa.TextClause, dict[str, Any]]

# A statement every database use of a request stands on (the caller's token still current, see
# accounts.credential_proof), set by the HTTP layer for the request. Each connection the request
# checks out sends it with its first statements, in the same round trip, so no request reads or
# writes anything on a token whose account has gone, and none pays a round trip for it.
request_proof: contextvars.ContextVar[Statement | None] = contextvars.ContextVar("request_proof", default=None)

BEGIN: Statement = (sa.text("BEGIN"), {})
COMMIT: Statement = (sa.text("COMMIT"), {})
_BEGIN: dict[str, Statement] = {level: (sa.text(f"BEGIN ISOLATION LEVEL {level}"), {})
                                for level in ("READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE")}
_NUMBERED = postgresql.dialect(paramstyle="numeric_dollar")
_PYFORMAT = postgresql.psycopg2.dialect()
_PREPARABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES")


@dataclass(frozen=True)
class _Prepared:
    name: str | None  # None: not preparable (BEGIN, SET ...); sent with its parameters filled in
    sql: str
    parameters: tuple[str, ...]

    @functools.cached_property
    def execute(self) -> str:
        """The EXECUTE statement, with a %s for each parameter (for psycopg2 to fill in)."""
        return f"EXECUTE {self.name}" + (f" ({', '.join(['%s'] * len(self.parameters))})" if self.parameters else "")


# Every session answers in UTC, and runs a prepared statement with the plan made when it was
# prepared. Each statement the service prepares is led by a key (a user, a tracker), so one plan
# fits every parameter; left to choose, PostgreSQL planned some anew on every run (a history
# page, whose LIMIT is a parameter, and the read-back of positions after an append).
SESSION_OPTIONS = "-c timezone=UTC -c plan_cache_mode=force_generic_plan"


@functools.lru_cache(maxsize=None)
def _prepared(clause: sa.TextClause) -> _Prepared:
    if not clause.text.strip().upper().startswith(_PREPARABLE):
        return _Prepared(None, str(clause.compile(dialect=_PYFORMAT)).strip(), ())
    compiled = clause.compile(dialect=_NUMBERED)
    return _Prepared(f"progress_service_{_prepared.cache_info().currsize}", str(compiled).strip(),
                     tuple(compiled.positiontup or ()))


def run_together(conn: sa.Connection, statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """Send ``statements`` to the server in one round trip; the rows of the last one come back.

    Under READ COMMITTED each statement still takes its own snapshot, so a read placed after a
    lock sees every write that the lock waited for. Each statement is prepared once per
    connection (psycopg2 never prepares), so the server plans it once, not on every write: the
    connections ask for the prepared plan every time (``SESSION_OPTIONS``). A transaction that failed on
    this connection (a caller that goes on after an error, as a Writing does after StaleState) is
    rolled back first.
    """
    prepared_here: set[str] = conn.connection.info.setdefault("progress_service.prepared", set())
    driver = conn.connection.driver_connection
    proof, driver.proof_due = driver.proof_due, None
    if proof is not None:  # after a BEGIN that leads the batch, so that it runs in the transaction
        at = 1 if statements and statements[0][0].text.lstrip().upper().startswith("BEGIN") else 0
        statements = [*statements[:at], proof, *statements[at:]]
    cursor = driver.cursor()
    failed = driver.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR
    try:
        batch: list[str] = []
        arguments: list[Any] = []
        for clause, params in statements:
            statement = _prepared(clause)
            if statement.name is None:  # filled in here, its % signs kept from psycopg2's own filling in
                sql = cursor.mogrify(statement.sql, params).decode() if params else statement.sql
                batch.append(sql.replace("%", "%%"))
                continue
            if statement.name not in prepared_here:  # once per connection, in a round trip of its own
                if failed:  # a failed transaction prepares nothing
                    cursor.execute("ROLLBACK")
                    failed = False
                cursor.execute(f"PREPARE {statement.name} AS {statement.sql}")
                prepared_here.add(statement.name)
            batch.append(statement.execute)
            arguments += [params[name] for name in statement.parameters]
        if failed:
            batch.insert(0, "ROLLBACK")
        with translated_errors():  # here, so that a caller may go on with the connection
            cursor.execute(";\n".join(batch), arguments)
        if cursor.description is None:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        cursor.close()


# A round trip of a request waits this much longer than statement_timeout, so that a slow
# database answers with its own error before the service deems it hung.
ANSWER_GRACE = 1.0
# /readyz: a database that cannot answer SELECT 1 within this many seconds is not ready.
READY_WITHIN = 1.0


class _Connection(psycopg2.extensions.connection):
    """A psycopg2 connection whose round trips the watchdog bounds: ``deadline`` seconds, or none."""

    def __init__(self, dsn: str, async_: int = 0, *, deadline: float | None):
        super().__init__(dsn, async_)
        self.deadline = deadline
        self.due = 0.0  # time.monotonic() past which the round trip in flight is overdue; 0: none in flight
        self.gave_up = False  # the watchdog ended it: a round trip outlived the deadline
        self.proof_due: Statement | None = None  # the request's proof, not sent yet on this checkout
        self.cursor_factory = _Cursor
        self._incoming = select.poll()
        self._incoming.register(self.fileno(), select.POLLIN)
        if deadline is not None:
            _WATCHDOG.watch(self)

    def close(self) -> None:
        with _WATCHDOG.lock:  # not while the watchdog ends one: once closed, its socket number may be reused
            super().close()

    def ended(self) -> bool:
        """Whether this idle connection is over: closed here, or ended by the server (a restart, a
        terminated backend), which sends a FATAL message and closes, so the socket is readable.
        One poll of the socket, no round trip."""
        if not self.closed and self._incoming.poll(0):
            with contextlib.suppress(psycopg2.Error):
                self.poll()  # reads what came: a notice alone keeps the connection, the end closes it
            if any(notice.startswith("FATAL") for notice in self.notices):
                self.close()
        return bool(self.closed)


class _Cursor(psycopg2.extensions.cursor):
    """A cursor whose round trips last at most its connection's deadline, and which sends the
    request's proof first when it is still due (a statement that came through SQLAlchemy rather
    than run_together, which sends it in its own batch: the hot paths do)."""

    def execute(self, query, vars=None):
        proof = self.connection.proof_due
        if proof is not None:
            self.connection.proof_due = None
            clause, params = proof
            self._bounded(psycopg2.extensions.cursor.execute, str(clause.compile(dialect=_PYFORMAT)), params)
        return self._bounded(psycopg2.extensions.cursor.execute, query, vars)

    def executemany(self, query, vars_list):
        return self._bounded(psycopg2.extensions.cursor.executemany, query, vars_list)

    def _bounded(self, send: Callable, query, arguments):
        connection = self.connection
        if connection.deadline is None:
            return send(self, query, arguments)
        connection.due = time.monotonic() + connection.deadline
        try:
            return send(self, query, arguments)
        finally:
            connection.due = 0.0


class _Watchdog:
    """Ends a round trip that outlives its connection's deadline.

    A database that is frozen (its processes stopped) or behind a network path that silently
    stopped forwarding never answers and never closes the connection, and the kernel keeps
    acknowledging what is sent: neither statement_timeout nor TCP ever ends the wait. So a thread
    looks at the round trips in flight every TICK seconds and shuts down the socket of one past
    its deadline; libpq, waiting in poll(), sees the connection end, and psycopg2 raises an
    OperationalError without SQLSTATE, which is a 503. The connection is closed from then on, and
    the pool replaces it.
    """

    TICK = 0.1

    def __init__(self):
        self._watched: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, connection: _Connection) -> None:
        """Look at ``connection``'s round trips from now on (``_Cursor`` sets ``due`` for each)."""
        with self.lock:
            self._watched.add(connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="progress-service database watchdog",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            with self.lock:
                for connection in [c for c in self._watched if 0 < c.due <= now and not c.closed]:
                    log.warning("the database did not answer within %.1f s; ending its connection",
                                connection.deadline)
                    connection.due, connection.gave_up = 0.0, True
                    with contextlib.suppress(OSError, psycopg2.Error):
                        with socket.socket(fileno=os.dup(connection.fileno())) as sock:
                            sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.__init__)  # a forked worker has none of its parent's threads


def _check_alive(dbapi_connection: _Connection, record, proxy) -> None:
    """At checkout, the pool replaces a connection that is closed (ended by the watchdog, or by
    the server since its last use) instead of handing it to a request."""
    if dbapi_connection.ended():
        raise sa_exc.DisconnectionError("the connection was closed")


class Database:
    def __init__(self, url: str, *, pool_size: int = 20, connect_timeout: int = 5,
                 statement_timeout: int | None = None):
        """``statement_timeout`` (seconds), for the database as requests use it: the longest a
        statement may run on the server, and, ANSWER_GRACE later, the longest a round trip waits
        for the server's answer. None (maintenance: rebuild, verify, the schema) bounds neither."""
        self.url = url
        options = SESSION_OPTIONS + (f" -c statement_timeout={statement_timeout}s" if statement_timeout else "")
        deadline = statement_timeout + ANSWER_GRACE if statement_timeout else None
        self.engine = sa.create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, isolation_level="AUTOCOMMIT",
            # Every connection is in autocommit and write() ends what it began: the pool's rollback
            # at checkin would send nothing, and on a connection the server has closed it would fail.
            pool_reset_on_return=None,
            connect_args={"options": options, "connect_timeout": connect_timeout,
                          "connection_factory": functools.partial(_Connection, deadline=deadline)},
        )
        sa.event.listen(self.engine, "checkout", _check_alive)

    @classmethod
    def for_requests(cls, url: str, config: Config) -> "Database":
        """The database as requests use it: each statement and round trip bounded (docs/ARCHITECTURE.md)."""
        return cls(url, pool_size=config.pool_size, connect_timeout=config.connect_timeout,
                   statement_timeout=config.statement_timeout)

    @classmethod
    def for_maintenance(cls, url: str, config: Config) -> "Database":
        """The database as the schema's set-up and the commands use it: statements run as long as they need."""
        return cls(url, pool_size=config.pool_size, connect_timeout=config.connect_timeout)

    @contextlib.contextmanager
    def _checked_out(self) -> Iterator[sa.Connection]:
        """A pooled connection; the request's proof (request_proof) is due with its first statement."""
        with translated_errors():
            with self.engine.connect() as conn:
                driver = conn.connection.driver_connection
                driver.proof_due = request_proof.get()
                try:
                    yield conn
                finally:
                    driver.proof_due = None

    @contextlib.contextmanager
    def transaction(self, *, isolation_level: str = "READ COMMITTED",
                    snapshot: str | None = None) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises. ``snapshot``
        (from ``pg_export_snapshot()``, REPEATABLE READ) makes it see what another one sees."""
        with self.connection() as conn:
            run_together(conn, [_BEGIN[isolation_level]])
            if snapshot is not None:
                run_together(conn, [(sa.text("SET TRANSACTION SNAPSHOT :snapshot"), {"snapshot": snapshot})])
            yield conn
            run_together(conn, [COMMIT])

    @contextlib.contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """A connection whose transaction the caller spells out in its ``run_together`` batches:
        BEGIN travels with the first statements and COMMIT with the last, so a whole write costs
        two round trips. Whatever is left open when the block ends is rolled back.

        Every pooled connection is in autocommit mode: SQLAlchemy and psycopg2 never send BEGIN
        on their own, so this is the one way transactions start.
        """
        with self._checked_out() as conn:
            driver = conn.connection.driver_connection
            try:
                yield conn
            finally:
                if not driver.closed and (driver.info.transaction_status
                                          != psycopg2.extensions.TRANSACTION_STATUS_IDLE):
                    with driver.cursor() as cursor:  # autocommit: driver.rollback() would not send it
                        cursor.execute("ROLLBACK")

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection outside any transaction, for reads of one statement (each is atomic alone)."""
        with self._checked_out() as conn:
            yield conn

    def prove(self) -> None:
        """Send the request's proof (request_proof) now, for a request that answers before it
        reads anything: a stream about to start, a refusal that must not outlive the credential."""
        if request_proof.get() is not None:
            with self.read() as conn:
                run_together(conn, [])

    @contextlib.contextmanager
    def read_briefly(self) -> Iterator[sa.Connection]:
        """A connection like ``read``'s whose round trips end after READY_WITHIN seconds (a 503):
        for what must answer even when the database does not (readiness, a metrics scrape)."""
        with self.read() as conn:
            driver = conn.connection.driver_connection
            usual, driver.deadline = driver.deadline, READY_WITHIN
            _WATCHDOG.watch(driver)  # a maintenance database's connections are not watched otherwise
            try:
                yield conn
            finally:
                driver.deadline = usual

    def is_ready(self) -> bool:
        """Whether the database answers SELECT 1 within READY_WITHIN seconds (and the connect timeout)."""
        try:
            with self.read_briefly() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except ServiceUnavailable:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def database_url(config: Config) -> str:
    """The configured URL, or an embedded PostgreSQL kept in the data folder."""
    if config.database_url:
        return config.database_url
    return embedded_url(config.data_dir / "postgres")


def embedded_url(data_dir: Path) -> str:
    """Start (or find running) an embedded PostgreSQL kept in ``data_dir``; its own chatter goes to
    a log file beside it, and one line says where."""
    log_file = data_dir.with_name(data_dir.name + ".log")
    _log_embedded_server_to(log_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir.resolve())
    log.info("embedded PostgreSQL in %s (its log: %s)", data_dir, log_file)
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


@functools.lru_cache(maxsize=None)
def _log_embedded_server_to(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pgserver_log = logging.getLogger("pgserver")
    pgserver_log.addHandler(handler)
    pgserver_log.setLevel(logging.INFO)
    pgserver_log.propagate = False  # a newcomer would take its many INFO lines for trouble
