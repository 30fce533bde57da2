"""The command line: create-admin (rebuild and verify are with the projection tests)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa

from progress_service.security import password_matches


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
