"""The user service that user ids are checked against before a write, when one is configured."""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from .errors import ServiceUnavailable, UserNotFound


class UserServiceClient:
    """``GET {base_url}/{user_id}``: 200 the user exists, 404 it does not, anything else (or no
    answer within ``timeout`` seconds) means the user service is unavailable.

    Only "this user exists" is remembered, for ``ttl`` seconds: a user the service does not know
    may be made there any moment, and a service that does not answer must be asked again, so
    neither is kept. A short ``ttl`` keeps the writes that pass while the service is down to those
    few seconds."""

    def __init__(self, base_url: str, *, timeout: float = 2.0, ttl: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout, self.ttl = timeout, ttl
        self._exists_until: dict[int, float] = {}
        self._lock = threading.Lock()

    def check(self, user_id: int) -> None:
        with self._lock:
            if self._exists_until.get(user_id, 0.0) > time.monotonic():
                return
        if not self._ask(user_id):
            raise UserNotFound(f"The user service does not know user {user_id}.")
        with self._lock:
            if len(self._exists_until) >= 10_000:
                self._exists_until.clear()
            self._exists_until[user_id] = time.monotonic() + self.ttl

    def _ask(self, user_id: int) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/{user_id}", timeout=self.timeout) as response:
                return 200 <= response.status < 300
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise ServiceUnavailable(f"The user service answered {error.code}; try again shortly.") from None
        except (OSError, ValueError):
            raise ServiceUnavailable("The user service did not answer in time; nothing was written.") from None
