"""progress-service: an event-sourced progress tracker for shows, books, albums and songs."""
from __future__ import annotations

from flask import Flask

from .config import Config
from .db import Database, open_database


def create_app(config: Config | None = None, *, db: Database | None = None) -> Flask:
    """The app factory: one Database, one Tracker service, the blueprints, the error handler and the web page."""
    from . import api
    from .accounts import Accounts
    from .directory import UserDirectory
    from .security import Tokens, signing_secret
    from .services import Tracker
    from .web import web

    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["PROGRESS_SERVICE"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    database = db or open_database(config)
    tokens = Tokens(signing_secret(config), config.token_ttl)
    app.extensions["progress_service.db"] = database
    app.extensions["progress_service.tokens"] = tokens
    users = (UserDirectory(config.user_svc_base_url, ttl=config.user_svc_cache_seconds)
             if config.user_svc_base_url else None)
    app.extensions["progress_service.tracker"] = Tracker(database, users=users)
    app.extensions["progress_service.accounts"] = Accounts(database, tokens)
    api.register(app)
    app.register_blueprint(web)
    return app
