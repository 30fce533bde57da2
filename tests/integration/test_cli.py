"""The command line: create-admin, create-service (rebuild and verify are with the projection tests)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa

from progress_service.security import password_matches
from tests.helpers import printed_credentials


def cli(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "progress_service", *arguments], env=env, capture_output=True,
                          text=True, timeout=120)


def test_create_admin_makes_an_admin_who_can_log_in(database_url, db, tmp_path):
    name = f"boss_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path)}
    made = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", name, "--password", "a strong one"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    with db.read() as conn:
        role, password_hash = conn.execute(sa.text("SELECT role, password_hash FROM users WHERE username = :n"),
                                           {"n": name}).one()
    assert role == "admin" and password_matches(password_hash, "a strong one")
    weak = subprocess.run([sys.executable, "-m", "progress_service", "create-admin", name, "--password", "short"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert weak.returncode == 2 and "8 to 256 characters" in weak.stderr


def test_create_service_prints_its_secret_once_and_keeps_only_its_hash(database_url, db, client, tmp_path):
    name = f"reader {uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path)}
    made = cli(env, "create-service", name)
    assert made.returncode == 0, made.stderr
    client_id, secret = printed_credentials(made.stdout)
    assert "shown only this once" in made.stdout and "cannot be shown again" in made.stdout
    with db.read() as conn:
        stored = conn.execute(sa.text("SELECT client_id, secret_hash, revoked_at FROM services WHERE name = :n"),
                              {"n": name}).one()
    assert stored.client_id == client_id and stored.revoked_at is None
    assert stored.secret_hash.startswith("$argon2") and secret not in stored.secret_hash
    assert password_matches(stored.secret_hash, secret)
    # what it printed is what a service asks for its token with
    token = client.post("/api/auth/token", json={"grant_type": "client_credentials", "client_id": client_id,
                                                 "client_secret": secret})
    assert token.status_code == 200 and token.json["role"] == "service"
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    assert client.get("/api/events", query_string={"limit": 1}, headers=headers).status_code == 200

    taken = cli(env, "create-service", name)
    assert taken.returncode == 1 and "not revoked" in taken.stderr and secret not in taken.stdout + taken.stderr

    revoked = cli(env, "create-service", name, "--revoke")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    assert "revoked" in client.get("/api/events", headers=headers).json["detail"]  # its token ended at once
    again = cli(env, "create-service", name, "--revoke")
    assert again.returncode == 1 and "There is no service named" in again.stderr
    anew = cli(env, "create-service", name)  # a revoked name may be made again, with new credentials
    assert anew.returncode == 0 and printed_credentials(anew.stdout)[0] != client_id


def test_create_service_refuses_a_name_past_100_characters(database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path)}
    refused = cli(env, "create-service", "n" * 101)
    assert refused.returncode == 2 and "1 to 100 characters" in refused.stderr


def test_serve_refuses_to_start_on_a_malformed_timeout_naming_it(tmp_path):
    env = {**os.environ, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path), "PROGRESS_SERVICE_STATEMENT_TIMEOUT": "soon"}
    refused = subprocess.run([sys.executable, "-m", "progress_service", "serve"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2
    assert "PROGRESS_SERVICE_STATEMENT_TIMEOUT must be a whole number, got 'soon'" in refused.stderr


def test_relay_refuses_to_start_without_a_nats_server_to_publish_to(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NATS_URL"}
    env["PROGRESS_SERVICE_DATA_DIR"] = str(tmp_path)
    refused = subprocess.run([sys.executable, "-m", "progress_service", "relay"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2
    assert "relay needs the NATS server to publish to: set NATS_URL or pass --nats-url" in refused.stderr
