"""One Config, read from the environment (and command-line overrides). Every key is in the README."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Config:
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".progress-service"))
    port: int = 5000
    user_svc_base_url: str | None = None
    pool_size: int = 20
    secret_key: str | None = None  # None: generated once and kept in data_dir
    token_ttl: int = 3600
    max_body_bytes: int = 1_048_576  # a request body past this is refused (413) before it is read
    import_max_bytes: int = 20_971_520  # the same for a file sent to POST .../imports
    connection_limit: int = 1000  # open connections per worker process; past it, 503 at once
    idle_timeout: int = 15  # seconds a keep-alive connection may wait for its next request
    request_timeout: int = 10  # seconds a client has to deliver a whole request (headers and body)
    user_svc_cache_seconds: int = 5  # how long the user service's "this user exists" holds
    statement_timeout: int = 5  # seconds a statement of a request may run; its round trip waits 1 s more
    connect_timeout: int = 5  # seconds opening a database connection may take
    smtp_url: str | None = None  # smtp://[user:password@]host:port; None: mail goes to data_dir/outbox
    public_url: str | None = None  # the address in mails' links; None: http://127.0.0.1:PORT
    feed_slots: int = 32  # feed streams and long polls a worker holds open at once, on threads of their own
    nats_url: str | None = None  # NATS with JetStream that the relay publishes the feed to; None: no relay
    mail_check_seconds: int = 60  # how often the mail worker looks for the mails due (a divisor of 60)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Config":
        env = os.environ if environ is None else environ
        config = cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PROGRESS_SERVICE_DATA_DIR") or ".progress-service"),
            port=_int(env, "PORT", 5000),
            user_svc_base_url=env.get("USER_SVC_BASE_URL") or None,
            pool_size=_int(env, "PROGRESS_SERVICE_POOL_SIZE", 20),
            secret_key=env.get("PROGRESS_SERVICE_SECRET_KEY") or None,
            token_ttl=_int(env, "PROGRESS_SERVICE_TOKEN_TTL", 3600),
            max_body_bytes=_int(env, "PROGRESS_SERVICE_MAX_BODY_BYTES", 1_048_576),
            import_max_bytes=_int(env, "PROGRESS_SERVICE_IMPORT_MAX_BYTES", 20_971_520),
            connection_limit=_int(env, "PROGRESS_SERVICE_CONNECTION_LIMIT", 1000),
            idle_timeout=_int(env, "PROGRESS_SERVICE_IDLE_TIMEOUT", 15),
            request_timeout=_int(env, "PROGRESS_SERVICE_REQUEST_TIMEOUT", 10),
            user_svc_cache_seconds=_int(env, "USER_SVC_CACHE_SECONDS", 5, minimum=0),
            statement_timeout=_int(env, "PROGRESS_SERVICE_STATEMENT_TIMEOUT", 5),
            connect_timeout=_int(env, "PROGRESS_SERVICE_CONNECT_TIMEOUT", 5, minimum=2),
            smtp_url=env.get("SMTP_URL") or None,
            public_url=(env.get("PROGRESS_SERVICE_PUBLIC_URL") or "").rstrip("/") or None,
            feed_slots=_int(env, "PROGRESS_SERVICE_FEED_SLOTS", 32),
            nats_url=env.get("NATS_URL") or None,
            mail_check_seconds=_int(env, "PROGRESS_SERVICE_MAIL_CHECK_SECONDS", 60),
        )
        config = replace(config, **{key: value for key, value in overrides.items() if value is not None})
        if config.nats_url is not None and urlsplit(config.nats_url).scheme not in ("nats", "tls"):
            raise ConfigError(f"NATS_URL must be a nats:// or tls:// address such as nats://127.0.0.1:4222, "
                              f"got {config.nats_url!r}")
        if 60 % config.mail_check_seconds:
            raise ConfigError(f"PROGRESS_SERVICE_MAIL_CHECK_SECONDS must divide a minute (1, 2, 5, 10, 30, 60 ...), "
                              f"got {config.mail_check_seconds}")
        return config


def _int(env: Mapping[str, str], key: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {value}")
    return value
