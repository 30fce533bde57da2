"""One Config, read from the environment (and command-line overrides). Every key is in the README."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping


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
    statement_timeout: int = 5  # seconds a statement of a request may run; its round trip waits 1 s more
    connect_timeout: int = 5  # seconds opening a database connection may take

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
            statement_timeout=_int(env, "PROGRESS_SERVICE_STATEMENT_TIMEOUT", 5),
            connect_timeout=_int(env, "PROGRESS_SERVICE_CONNECT_TIMEOUT", 5, minimum=2),
        )
        return replace(config, **{key: value for key, value in overrides.items() if value is not None})


def _int(env: Mapping[str, str], key: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{key} must be positive, got {value}")
    if value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {value}")
    return value
