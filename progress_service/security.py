"""Passwords (argon2) and bearer tokens (JWT, HS256) with expiry and role."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .config import Config
from .errors import AuthenticationFailed

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def signing_secret(config: Config) -> str:
    """The configured secret, or one generated on first start and kept (0600) in the data folder."""
    if config.secret_key:
        return config.secret_key
    path: Path = config.data_dir / "secret_key"
    if not path.exists():
        config.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class Caller:
    """Who a valid token says is calling, and the account's token version it was issued at (a
    password change or the account's deletion ends every token of an older version)."""

    user_id: int
    role: str
    token_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int):
        self.secret = secret
        self.ttl = ttl_seconds
        # A token's signature is checked once; until it expires the same token is the same caller.
        self._verified: dict[str, tuple[Caller, float]] = {}

    def issue(self, user_id: int, role: str, token_version: int) -> str:
        now = datetime.now(timezone.utc)
        return jwt.encode({"sub": str(user_id), "role": role, "ver": token_version, "iat": now,
                           "exp": now + timedelta(seconds=self.ttl)}, self.secret, algorithm="HS256")

    def verify(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        caller, expires = self._decode(token)
        if len(self._verified) >= 10_000:
            self._verified.clear()
        self._verified[token] = (caller, expires)
        return caller

    def _decode(self, token: str) -> tuple[Caller, float]:
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("The access token has expired; log in again.") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("The access token is not valid.") from None
        try:
            return (Caller(int(claims["sub"]), str(claims.get("role", "user")), int(claims.get("ver", 0))),
                    float(claims["exp"]))
        except (TypeError, ValueError, OverflowError):
            raise AuthenticationFailed("The access token is not valid.") from None
