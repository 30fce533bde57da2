"""Who is signed in, and running one action so that an API refusal is a sentence, not a crash."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .client import Api, ApiError


class SignedOut(Exception):
    """The token stopped working (expired, or its account is gone): back to the welcome screen."""


@dataclass
class Session:
    api: Api
    user: dict | None = None

    def sign_in(self, token: str) -> None:
        self.api.token = token
        self.user = self.api.request("GET", "/api/users/me")

    def sign_out(self) -> None:
        self.api.token = None
        self.user = None

    @property
    def user_id(self) -> int:
        return self.user["id"]

    @property
    def is_admin(self) -> bool:
        return bool(self.user) and self.user["role"] == "admin"

    def tracker(self, title_id: int) -> dict | None:
        """The signed-in user's tracker on a title, or None when there is none."""
        try:
            return self.api.request("GET", f"/api/progress/{self.user_id}/trackers/{title_id}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise


def attempt(session: Session, action: Callable, *args) -> None:
    """Run one action; an API refusal is shown as the API's sentence and the menu goes on."""
    try:
        action(session, *args)
    except ApiError as error:
        print(error.detail)
        if error.status == 401 and session.user is not None:
            session.sign_out()
            print("Please log in again.")
            raise SignedOut from None
