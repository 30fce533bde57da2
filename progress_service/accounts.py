"""Accounts: registration, login (rate-limited in PostgreSQL), the profile, erasure, admins, and the
proof that a token's account still stands as it was when the token was issued."""
from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from . import catalog
from .db import Database, Statement
from .errors import AuthenticationFailed, TooManyRequests, UserNotFound
from .security import Caller, Tokens, hash_password, password_matches
from .store import erase_user

_USER_COLUMNS = "id, username, email, role, created_at"
_TOKEN_COLUMNS = f"{_USER_COLUMNS}, token_version"

_PROVE = sa.text("""
    SELECT credential_ended(:user_id, :token_version)
    WHERE NOT EXISTS (SELECT FROM users WHERE id = :user_id AND token_version = :token_version)
""")
_PROVE_SERVICE = sa.text("""
    SELECT service_revoked(:service_id)
    WHERE NOT EXISTS (SELECT FROM services WHERE id = :service_id AND revoked_at IS NULL)
""")


def credential_proof(caller: Caller) -> Statement:
    """The statement that fails (AuthenticationFailed) unless the caller's account still exists at
    the token version its token was issued at (a service's: unless it is revoked); db sends it
    with a request's first statements."""
    if caller.is_service:
        return _PROVE_SERVICE, {"service_id": caller.service_id}
    return _PROVE, {"user_id": caller.user_id, "token_version": caller.token_version}


class LoginLimiter:
    """At most ``attempts`` logins per username and address in a window of ``window`` seconds,
    counted in PostgreSQL (one row per username and address), so every worker process and every
    app server on the database shares the count. A successful login clears it."""

    _TAKE = sa.text("""
        WITH swept AS (  -- rows of windows long past go, a few at a time, so the table stays small
            DELETE FROM login_attempts WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM login_attempts
                WHERE window_start < now() - make_interval(secs => :window)
                  AND (username, address) <> (lower(:username), :address) LIMIT 20))
        )
        INSERT INTO login_attempts AS a (username, address, window_start, attempts)
        VALUES (lower(:username), :address, now(), 1)
        ON CONFLICT (username, address) DO UPDATE SET
            window_start = CASE WHEN a.window_start < now() - make_interval(secs => :window)
                                THEN now() ELSE a.window_start END,
            attempts = CASE WHEN a.window_start < now() - make_interval(secs => :window)
                            THEN 1 ELSE a.attempts + 1 END
        RETURNING attempts, extract(epoch FROM a.window_start + make_interval(secs => :window) - now()) AS left
    """)
    _CLEAR = sa.text("DELETE FROM login_attempts WHERE username = lower(:username) AND address = :address")

    def __init__(self, db: Database, *, attempts: int = 5, window: float = 300.0):
        self.db, self.attempts, self.window = db, attempts, window

    def take(self, username: str, address: str) -> None:
        """Count an attempt; TooManyRequests when the window has had its share (nothing is checked then)."""
        with self.db.read() as conn:
            row = conn.execute(self._TAKE, {"username": username, "address": address, "window": self.window}).one()
        if row.attempts > self.attempts:
            wait = max(1, math.ceil(row.left))
            raise TooManyRequests(f"Too many failed logins for this account from this address; "
                                  f"try again in {wait} seconds.", retry_after=wait)

    def succeeded(self, username: str, address: str) -> None:
        with self.db.read() as conn:
            conn.execute(self._CLEAR, {"username": username, "address": address})


class Accounts:
    def __init__(self, db: Database, tokens: Tokens, limiter: LoginLimiter | None = None):
        self.db, self.tokens = db, tokens
        self.limiter = limiter or LoginLimiter(db)

    def register(self, username: str, password: str, email: str | None = None) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return dict(conn.execute(sa.text(
                f"INSERT INTO users (username, email, password_hash) VALUES (:username, :email, :hash) "
                f"RETURNING {_TOKEN_COLUMNS}"),
                {"username": username, "email": email, "hash": hash_password(password)}).mappings().one())

    def log_in(self, username: str, password: str, address: str) -> dict[str, Any]:
        self.limiter.take(username, address)
        with self.db.read() as conn:
            row = conn.execute(sa.text(f"SELECT {_TOKEN_COLUMNS}, password_hash FROM users "
                                       "WHERE lower(username) = lower(:username)"), {"username": username}).mappings().first()
        if not password_matches(row["password_hash"] if row is not None else None, password):
            raise AuthenticationFailed("The username or password is wrong.")
        self.limiter.succeeded(username, address)
        return {"access_token": self.token_for(row), "token_type": "Bearer", "expires_in": self.tokens.ttl,
                "user": _user(row)}

    def token_for(self, user: dict[str, Any]) -> str:
        return self.tokens.issue(user["id"], user["role"], user["token_version"])

    def get(self, user_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(sa.text(f"SELECT {_USER_COLUMNS} FROM users WHERE id = :id"), {"id": user_id}).mappings().first()
        if row is None:
            raise UserNotFound(f"There is no user {user_id}.")
        return dict(row)

    def update(self, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Change the email or the password; a new password ends every token issued before it."""
        values = {"id": user_id, "email": changes.get("email"),
                  "hash": hash_password(changes["password"]) if changes.get("password") else None}
        assignments = [clause for key, clause in (
            ("email", "email = :email"),
            ("password", "password_hash = :hash, token_version = token_version + 1")) if key in changes]
        if not assignments:
            return self.get(user_id)
        with self.db.transaction() as conn:
            row = conn.execute(sa.text(f"UPDATE users SET {', '.join(assignments)} WHERE id = :id "
                                       f"RETURNING {_USER_COLUMNS}"), values).mappings().first()
        if row is None:
            raise UserNotFound(f"There is no user {user_id}.")
        return dict(row)

    def erase(self, user_id: int) -> int:
        """Delete the account and every event of it, through the one erasure path."""
        with self.db.transaction() as conn:
            erased = erase_user(conn, user_id)
            catalog.forget_own_titles(conn, user_id)
            conn.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user_id})
        return erased

    def create_admin(self, username: str, password: str) -> dict[str, Any]:
        """Create an admin, or make an existing user one (with this password, which ends their
        earlier tokens)."""
        with self.db.transaction() as conn:
            return dict(conn.execute(sa.text(
                f"INSERT INTO users (username, password_hash, role) VALUES (:username, :hash, 'admin') "
                f"ON CONFLICT (lower(username)) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash, "
                f"token_version = users.token_version + 1 "
                f"RETURNING {_TOKEN_COLUMNS}"), {"username": username, "hash": hash_password(password)}).mappings().one())


def _user(row: Any) -> dict[str, Any]:
    """The API's ``user`` object of a users row."""
    return {key: row[key] for key in ("id", "username", "email", "role", "created_at")}
