"""progress-service: an event-sourced progress tracker for shows, books, albums and songs."""
from __future__ import annotations

from flask import Flask

from . import api
from .accounts import Accounts
from .calendar_feed import CalendarFeeds
from .config import Config
from .db import Database
from .feed import FeedSlots, FeedWaiter
from .goals import Goals
from .imports import Imports
from .queue import ImportDeferrer
from .schema import open_database
from .security import Tokens, signing_secret
from .service_accounts import ServiceAccounts
from .services import Trackers
from .user_service import UserServiceClient
from .web import web as web_page


def create_app(config: Config | None = None, *, db: Database | None = None) -> Flask:
    """The app factory: one Database, one Trackers service, the blueprints, the error handler and the web page."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["PROGRESS_SERVICE"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    database = db or open_database(config)
    secret = signing_secret(config)
    tokens = Tokens(secret, config.token_ttl)
    app.extensions["progress_service.db"] = database
    app.extensions["progress_service.tokens"] = tokens
    app.extensions["progress_service.secret"] = secret  # signs the unsubscribe links of mails
    users = (UserServiceClient(config.user_svc_base_url, ttl=config.user_svc_cache_seconds)
             if config.user_svc_base_url else None)
    trackers = app.extensions["progress_service.trackers"] = Trackers(database, users=users)
    app.extensions["progress_service.imports"] = Imports(trackers)
    app.extensions["progress_service.import_deferrer"] = ImportDeferrer(database.url)
    app.extensions["progress_service.accounts"] = Accounts(database, tokens)
    app.extensions["progress_service.service_accounts"] = ServiceAccounts(database, tokens)
    app.extensions["progress_service.calendar_feeds"] = CalendarFeeds(database, tokens.secret)
    app.extensions["progress_service.goals"] = Goals(database)
    app.extensions["progress_service.feed_waiter"] = FeedWaiter(database)
    app.extensions["progress_service.feed_slots"] = FeedSlots(config.feed_slots)
    api.register(app)
    app.register_blueprint(web_page)
    return app
