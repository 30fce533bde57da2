"""`serve` sends reminders and digests by itself: its mail worker runs beside the web workers."""
from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import MAIL_CHECKED_OFTEN
from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, serving
from tests.helpers import get, post
from tests.mail import smtp_server

pytestmark = pytest.mark.e2e


def test_serve_sends_a_due_reminder_by_itself_and_starts_its_mail_worker_again_when_it_dies(new_database, tmp_path):
    with smtp_server() as inbox, serving(new_database(), tmp_path, ADMIN, ADMIN_PASSWORD,
                                         environment={"SMTP_URL": inbox.url, **MAIL_CHECKED_OFTEN}) as service:
        token = post(service.url + "/api/auth/register", {"username": f"ann_{uuid.uuid4().hex[:8]}",
                                                          "password": "long enough"})["access_token"]
        request = urllib.request.Request(
            service.url + "/api/users/me/notifications", method="PUT",
            data=json.dumps({"email": "ann@example.org", "daily_reminder": {"enabled": True, "at": "00:00"}}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["daily_reminder"] == {"enabled": True, "at": "00:00"}
        deadline = time.monotonic() + 60  # the schedule looks every 2 s
        while not inbox.to("ann@example.org") and time.monotonic() < deadline:
            time.sleep(0.5)
        [mail] = inbox.to("ann@example.org")
        assert mail["Subject"].startswith("Nothing logged today")

        # the mail worker dies: serve starts it again, and the web workers go on
        [pid] = re.findall(r"the mail worker \(process (\d+)\) is running", service.log_path.read_text())
        os.kill(int(pid), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(re.findall(r"the mail worker \(process \d+\) is running", service.log_path.read_text())) < 2:
            assert time.monotonic() < deadline, service.log_path.read_text()
            time.sleep(0.2)
        assert "the mail worker" in service.log_path.read_text().split("was killed by SIGKILL")[0].splitlines()[-1]
        assert get(service.url + "/readyz")[0] == 200 and service.process.poll() is None
