"""The user service that user ids are checked against before a write, when one is configured."""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from .errors import ServiceUnavailable, UserNotFound


class UserDirectory:
    """``GET {base_url}/{user_id}``: 200 the user exists, 404 it does not, anything else (or no
    answer within ``timeout`` seconds) means the user service is unavailable. Answers are
    remembered for ``ttl`` seconds."""

    def __init__(self, base_url: str, *, timeout: float = 2.0, ttl: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout, self.ttl = timeout, ttl
        self._known: dict[int, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def check(self, user_id: int) -> None:
        with self._lock:
            known = self._known.get(user_id)
        if known is None or time.monotonic() - known[1] > self.ttl:
            known = (self._ask(user_id), time.monotonic())
            with self._lock:
                self._known[user_id] = known
        if not known[0]:
            raise UserNotFound(f"The user service does not know user {user_id}.")

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
