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


# A secret of no account (an unknown username, an unknown client id) is checked against this hash,
# so the answer takes as long whether the account exists or not.
_NOBODY = hash_password("no account has this password")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; with no hash (no such account), always False, as slowly."""
    try:
        return _hasher.verify(password_hash or _NOBODY, password) and password_hash is not None
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


SERVICE = "service"  # the role of a service's token (service_accounts.py)
_SERVICE_SUBJECT = "service:"  # a service token's subject: "service:<id>", never a user's id


@dataclass(frozen=True)
class Caller:
    """Who a valid token says is calling, and the account's token version it was issued at (a
    password change or the account's deletion ends every token of an older version). A service
    is no user: its user_id is None, so no user's route can take it for one."""

    user_id: int | None
    role: str
    token_version: int = 0
    service_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_service(self) -> bool:
        return self.service_id is not None


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int):
        self.secret = secret
        self.ttl = ttl_seconds
        # A token's signature is checked once; until it expires the same token is the same caller.
        self._verified: dict[str, tuple[Caller, float]] = {}

    def issue(self, user_id: int, role: str, token_version: int) -> str:
        return self._issue(str(user_id), role, token_version)

    def issue_for_service(self, service_id: int) -> str:
        return self._issue(f"{_SERVICE_SUBJECT}{service_id}", SERVICE, 0)

    def _issue(self, subject: str, role: str, token_version: int) -> str:
        now = datetime.now(timezone.utc)
        return jwt.encode({"sub": subject, "role": role, "ver": token_version, "iat": now,
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
            return _caller(claims), float(claims["exp"])
        except (TypeError, ValueError, OverflowError):
            raise AuthenticationFailed("The access token is not valid.") from None


def _caller(claims: dict) -> Caller:
    subject, role = str(claims["sub"]), str(claims.get("role", "user"))
    if subject.startswith(_SERVICE_SUBJECT) and role == SERVICE:
        return Caller(None, SERVICE, service_id=int(subject.removeprefix(_SERVICE_SUBJECT)))
    if role == SERVICE:
        raise ValueError("a service's role on a user's subject")
    return Caller(int(subject), role, int(claims.get("ver", 0)))
