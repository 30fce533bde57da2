"""Service accounts: other services that follow the feed (shared/API.md, "Others follow the log").
A service is made with a name and gets a client id and a secret, shown once: only the secret's
argon2 hash is kept, as a password's is. Its token (role service) reads the feed and nothing else
(api.access), and ends the moment the service is revoked (accounts.credential_proof)."""
from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from .db import Database
from .errors import AuthenticationFailed, ServiceNotFound
from .security import SERVICE, Tokens, hash_password, password_matches

_CREATE = sa.text("""
    INSERT INTO services (name, client_id, secret_hash) VALUES (:name, :client_id, :secret_hash)
    RETURNING id, name, client_id, created_at
""")
_REVOKE = sa.text("""
    UPDATE services SET revoked_at = now() WHERE lower(name) = lower(:name) AND revoked_at IS NULL
    RETURNING id, name, client_id, revoked_at
""")
_CREDENTIALS = sa.text("SELECT id, secret_hash, revoked_at FROM services WHERE client_id = :client_id")

# The same sentence for an unknown client id, a wrong secret and a revoked service: no oracle.
_WRONG = "The client id or secret is wrong, or the service has been revoked."


class ServiceAccounts:
    def __init__(self, db: Database, tokens: Tokens):
        self.db, self.tokens = db, tokens

    def create(self, name: str) -> dict[str, Any]:
        """A new service of this name (Conflict while one of that name is not revoked), with its
        client_secret: the one time it is known."""
        secret = secrets.token_urlsafe(32)
        values = {"name": name, "client_id": "svc_" + secrets.token_urlsafe(18), "secret_hash": hash_password(secret)}
        with self.db.transaction() as conn:
            service = dict(conn.execute(_CREATE, values).mappings().one())
        return {**service, "client_secret": secret}

    def revoke(self, name: str) -> dict[str, Any]:
        """Revoke the service of this name: every token of it ends at once."""
        with self.db.transaction() as conn:
            row = conn.execute(_REVOKE, {"name": name}).mappings().first()
        if row is None:
            raise ServiceNotFound(f"There is no service named {name!r} that is not revoked.")
        return dict(row)

    def token(self, client_id: str, client_secret: str) -> dict[str, Any]:
        """A token for the service these credentials are of (the client credentials grant)."""
        with self.db.read() as conn:
            row = conn.execute(_CREDENTIALS, {"client_id": client_id}).mappings().first()
        # checked against a hash even for an unknown id, so every refusal takes as long
        matches = password_matches(row["secret_hash"] if row is not None else None, client_secret)
        if not matches or row["revoked_at"] is not None:
            raise AuthenticationFailed(_WRONG)
        return {"access_token": self.tokens.issue_for_service(row["id"]), "token_type": "Bearer",
                "expires_in": self.tokens.ttl, "role": SERVICE}
