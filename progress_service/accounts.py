"""Accounts: registration, login (rate-limited), the profile, erasure, and admins."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import sqlalchemy as sa

from . import projections
from .db import Database
from .errors import AuthenticationFailed, TooManyRequests, UserNotFound
from .security import Tokens, hash_password, password_matches

_USER_COLUMNS = "id, username, email, role, created_at"


class LoginLimiter:
    """At most ``attempts`` failed logins per username and address within ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300.0):
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, username: str, address: str) -> None:
        with self._lock:
            recent = self._recent((username.lower(), address))
            if len(recent) >= self.attempts:
                wait = int(self.window - (time.monotonic() - recent[0])) + 1
                raise TooManyRequests(f"Too many failed logins for this account from this address; "
                                      f"try again in {wait} seconds.")

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address)).append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and time.monotonic() - recent[0] > self.window:
            recent.popleft()
        return recent


class Accounts:
    def __init__(self, db: Database, tokens: Tokens, limiter: LoginLimiter | None = None):
        self.db, self.tokens = db, tokens
        self.limiter = limiter or LoginLimiter()

    def register(self, username: str, password: str, email: str | None = None) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return dict(conn.execute(sa.text(
                f"INSERT INTO users (username, email, password_hash) VALUES (:username, :email, :hash) "
                f"RETURNING {_USER_COLUMNS}"),
                {"username": username, "email": email, "hash": hash_password(password)}).mappings().one())

    def log_in(self, username: str, password: str, address: str) -> dict[str, Any]:
        self.limiter.check(username, address)
        with self.db.read() as conn:
            row = conn.execute(sa.text(f"SELECT {_USER_COLUMNS}, password_hash FROM users "
                                       "WHERE lower(username) = lower(:username)"), {"username": username}).mappings().first()
        if row is None or not password_matches(row["password_hash"], password):
            self.limiter.failed(username, address)
            raise AuthenticationFailed("The username or password is wrong.")
        self.limiter.succeeded(username, address)
        user = {key: row[key] for key in row.keys() if key != "password_hash"}
        return {"access_token": self.tokens.issue(user["id"], user["role"]), "token_type": "Bearer",
                "expires_in": self.tokens.ttl, "user": user}

    def token_for(self, user: dict[str, Any]) -> str:
        return self.tokens.issue(user["id"], user["role"])

    def get(self, user_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(sa.text(f"SELECT {_USER_COLUMNS} FROM users WHERE id = :id"), {"id": user_id}).mappings().first()
        if row is None:
            raise UserNotFound(f"There is no user {user_id}.")
        return dict(row)

    def update(self, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        values = {"id": user_id, "email": changes.get("email"),
                  "hash": hash_password(changes["password"]) if changes.get("password") else None}
        assignments = [clause for key, clause in (("email", "email = :email"), ("password", "password_hash = :hash"))
                       if key in changes]
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
            erased = projections.erase_user(conn, user_id)
            conn.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user_id})
        return erased

    def create_admin(self, username: str, password: str) -> dict[str, Any]:
        """Create an admin, or make an existing user one (with this password)."""
        with self.db.transaction() as conn:
            return dict(conn.execute(sa.text(
                f"INSERT INTO users (username, password_hash, role) VALUES (:username, :hash, 'admin') "
                f"ON CONFLICT (lower(username)) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash "
                f"RETURNING {_USER_COLUMNS}"), {"username": username, "hash": hash_password(password)}).mappings().one())
