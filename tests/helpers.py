"""Helpers the tests of several modules share: reading a problem answer, logging an entry through
the API, a free loopback port, a GET and a POST that read JSON, the credentials create-service printed,
waiting for a condition."""
from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request


def problem_of(response, status):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]
    return response.json


def log(client, headers, **body):
    return client.post("/api/progress/log", json=body, headers=headers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    """GET JSON (with a bearer token when given); the status and the JSON answer."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post(url: str, body: dict, token: str | None = None) -> dict:
    """POST JSON (with a bearer token when given); the JSON answer of a 2xx."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def printed_credentials(output: str) -> tuple[str, str]:
    """The client id and secret that ``create-service`` printed, as a person reads them off."""
    client_id = re.search(r"^client id: +(\S+)$", output, re.M)
    secret = re.search(r"^client secret: +(\S+)$", output, re.M)
    assert client_id and secret, output
    return client_id.group(1), secret.group(1)


def wait_until(condition, within: float, what: str) -> None:
    """Wait for ``condition()`` to hold, looking every 50 ms; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        time.sleep(0.05)
