"""The command line: serve, relay, create-admin, create-service, rebuild, verify, notify, menu."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime, timezone

from marshmallow import ValidationError
from tqdm import tqdm

from . import create_app
from .accounts import Accounts
from .config import Config, ConfigError
from .db import Database, database_url
from .errors import Conflict, NotFound
from . import metrics, notifications, queue, relay
from .mail import Mailer
from .menu import run as run_menu
from .prefork import serve
from .projections import TABLES, rebuild as projection_rebuild
from .schema import prepare_schema
from .schemas.accounts import PASSWORD, SERVICE_NAME, USERNAME
from .security import Tokens, signing_secret
from .service_accounts import ServiceAccounts


# Requests each worker process handles at once. The service is CPU-bound on a small machine, and a
# second thread in a worker only contends with the first for the worker's GIL: with 2 threads a
# history page costs ~25% more CPU and its p99 at 16 connections is ~50% longer, with writes no
# faster (docs/PERFORMANCE.md). Other requests queue in waitress, first come first served, and the
# workers share the connections evenly (prefork). Raise it with --threads when requests wait on
# something slow (a user service that does not answer, say).
SERVE_THREADS = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m progress_service", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="PostgreSQL URL (default: DATABASE_URL, else embedded)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", parents=[common], help="run the HTTP service on waitress")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 5000)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--threads", type=int, default=SERVE_THREADS, help="waitress threads per worker process")
    serve.add_argument("--workers", type=int, default=0, help="worker processes (default: one per CPU)")
    serve.add_argument("--user_svc_base_url", "--user-svc-base-url", dest="user_svc_base_url",
                       help="user service to validate user ids against")
    serve.add_argument("--nats-url", help="NATS with JetStream to relay the feed to (default: NATS_URL, else none)")
    relaying = commands.add_parser("relay", parents=[common],
                                   help="publish every event of the feed to NATS JetStream, until SIGTERM or Ctrl-C")
    relaying.add_argument("--nats-url", help="NATS with JetStream to publish to (default: NATS_URL)")
    admin = commands.add_parser("create-admin", parents=[common], help="create an admin (or promote a user)")
    admin.add_argument("username")
    admin.add_argument("--password", required=True)
    service = commands.add_parser("create-service", parents=[common],
                                  help="make a service that follows the feed (prints its client id and secret once)")
    service.add_argument("name")
    service.add_argument("--revoke", action="store_true", help="revoke the service of this name: its tokens end at once")
    commands.add_parser("rebuild", parents=[common], help="rebuild every projection from the event log")
    commands.add_parser("verify", parents=[common],
                        help="compare the projections with a rebuild from the log; exit 1 on any difference")
    notify = commands.add_parser("notify", parents=[common], help="send every reminder and digest due at a time")
    notify.add_argument("--at", type=_moment, help="ISO 8601 time, such as 2026-12-03T20:05+01:00; UTC without an "
                        "offset (default: now)")
    menu = commands.add_parser("menu", help="a numbered menu at the terminal, over the HTTP API of a running service")
    menu.add_argument("--url", help="the service's address (default: http://127.0.0.1:PORT, PORT defaulting to 5000)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = Config.from_env(database_url=getattr(args, "database_url", None),
                                 port=getattr(args, "port", None),
                                 user_svc_base_url=getattr(args, "user_svc_base_url", None),
                                 nats_url=getattr(args, "nats_url", None))
    except ConfigError as error:
        parser.error(str(error))
    if args.command == "relay" and not config.nats_url:
        parser.error("relay needs the NATS server to publish to: set NATS_URL or pass --nats-url "
                     "(such as nats://127.0.0.1:4222)")
    if args.command == "menu":  # a client of the HTTP API: it never opens the database
        return _menu(parser, config, args)
    db = Database.for_maintenance(database_url(config), config)
    prepare_schema(db)
    return {"serve": _serve, "relay": _relay, "create-admin": _create_admin, "create-service": _create_service,
            "rebuild": _rebuild, "verify": _verify, "notify": _notify}[args.command](config, db, args)


def _menu(parser: argparse.ArgumentParser, config: Config, args: argparse.Namespace) -> int:
    url = args.url or f"http://127.0.0.1:{config.port}"
    if not url.startswith(("http://", "https://")):
        parser.error(f"--url must start with http:// or https://, got {url!r}")
    return run_menu(url)


def _serve(config: Config, db: Database, args: argparse.Namespace) -> int:
    """waitress in ``--workers`` supervised processes sharing one listening socket (``prefork``), and
    beside them the mail's queue worker and, with a NATS_URL, the NATS relay, supervised the same
    way; 1 when the workers keep dying."""
    signing_secret(config)  # created once here, so the workers only read it
    db.dispose()  # every worker opens connections of its own
    metrics.prepare_multiprocess(config.data_dir / "metrics")  # before the workers count anything
    requests_log = logging.getLogger("progress_service.requests")  # one JSON line per request, on stdout
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests_log.addHandler(handler)
    requests_log.propagate = False
    companions = [("the mail worker", lambda: queue.run_worker(config, db.url))]
    if config.nats_url:
        companions.append(("the NATS relay", lambda: relay.run(config, db.url)))
    return serve(lambda: create_app(config, db=Database.for_requests(db.url, config)), host=args.host,
                 port=config.port, workers=args.workers or os.cpu_count() or 1, threads=args.threads,
                 ident="progress-service", config=config, companions=companions)


def _relay(config: Config, db: Database, args: argparse.Namespace) -> int:
    """The NATS relay alone, until SIGTERM or Ctrl-C (another relay started meanwhile waits for it)."""
    db.dispose()
    relay.run(config, db.url)
    return 0


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time such as 2026-12-03T20:05+01:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _notify(config: Config, db: Database, args: argparse.Namespace) -> int:
    """Send what is due now: one line per mail; a mail the server did not take goes to the queue to be
    tried again (exit status 1)."""
    at = args.at or datetime.now(timezone.utc)
    mailer, secret, failed = Mailer(config), signing_secret(config), []
    due = notifications.find_due(db, at)
    for mail in due:
        try:
            message = notifications.deliver(db, mailer, config, secret, mail)
        except Exception as error:  # logged by deliver
            print(f"not sent: the {notifications.WORDS[mail.kind]} for {mail.period} of user {mail.user_id} "
                  f"({type(error).__name__}: {error}); the queue will try it again")
            failed.append(mail)
            continue
        if message is not None:
            print(notifications.describe(mail, message))
    if not due:
        print(f"no mail is due at {at.isoformat(timespec='minutes')}")
    if failed:
        queue.defer(db.url, failed)
    return 1 if failed else 0


def _create_admin(config: Config, db: Database, args: argparse.Namespace) -> int:
    for check, value in ((USERNAME, args.username), (PASSWORD, args.password)):
        try:
            check(value)
        except ValidationError as error:
            print(f"error: {' '.join(error.messages)}", file=sys.stderr)
            return 2
    user = Accounts(db, Tokens(signing_secret(config), config.token_ttl)).create_admin(args.username, args.password)
    print(f"{user['username']} (id {user['id']}) is an admin")
    return 0


def _create_service(config: Config, db: Database, args: argparse.Namespace) -> int:
    name = args.name.strip()
    try:
        SERVICE_NAME(name)
    except ValidationError as error:
        print(f"error: {' '.join(error.messages)}", file=sys.stderr)
        return 2
    services = ServiceAccounts(db, Tokens(signing_secret(config), config.token_ttl))
    try:
        service = services.revoke(name) if args.revoke else services.create(name)
    except (Conflict, NotFound) as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    if args.revoke:
        print(f"service {service['name']} (client id {service['client_id']}) is revoked: its tokens no longer work")
        return 0
    print(f"service {service['name']} (id {service['id']}) is made; it reads the feed (/api/events) and nothing else")
    print(f"client id:     {service['client_id']}")
    print(f"client secret: {service['client_secret']}")
    print("Keep the secret now: it is shown only this once and not stored (only its hash is), so it cannot be "
          "shown again. If it is lost, revoke the service (--revoke) and make it again.")
    print('A token: POST /api/auth/token {"grant_type": "client_credentials", "client_id": ..., "client_secret": ...}')
    return 0


def _bar(db: Database, description: str) -> tqdm:
    with db.read() as conn:
        events = projection_rebuild.count_events(conn)
    return tqdm(total=events, desc=description, unit="events", unit_scale=True, file=sys.stderr)


def _rebuild(config: Config, db: Database, args: argparse.Namespace) -> int:
    with _bar(db, "rebuilding projections") as bar, db.transaction() as conn:
        projection_rebuild.rebuild(conn, progress=bar.update, second=db)
    with _bar(db, "rendering the timeline's tracker objects") as bar:
        projection_rebuild.render_all_states(db, progress=bar.update)
    print("rebuilt " + ", ".join(TABLES) + " from the event log")
    return 0


def _verify(config: Config, db: Database, args: argparse.Namespace) -> int:
    with _bar(db, "verifying projections") as bar, db.transaction(isolation_level="REPEATABLE READ") as conn:
        differences = projection_rebuild.verify(conn, progress=bar.update, second=db)
    for difference in differences:
        print(difference)
    print(f"{len(differences)} difference(s) between the projections and a rebuild from the log")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
