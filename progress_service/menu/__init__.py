"""The terminal menu: a numbered menu for a person at a keyboard, a client of the public HTTP API
(shared/API.md) and of nothing else, so it needs no database and works against any server.

Every screen is a small function of the ``Session``; "q" at any prompt, Ctrl-D or Ctrl-C leave.
"""
from __future__ import annotations

from .account import account_screen
from .mail import mail_screen
from .admin import admin_screen
from .catalog import browse_catalog
from .client import Api, ApiError
from .figures import summary_screen
from .own_titles import own_titles_screen
from .goals import goals_screen
from .imports import imports_screen
from .prompts import Quit, ask, ask_secret, choose
from .releases import releases_screen
from .session import Session, SignedOut, attempt
from .timeline import export_history, timeline_screen
from .trackers import trackers_screen

__all__ = ["Api", "ApiError", "run"]


def run(base_url: str) -> int:
    """The menu until the person leaves: 0 for q or Ctrl-D, 130 for Ctrl-C, 1 when there is no server."""
    session = Session(Api(base_url))
    try:
        print(f"progress-service at {session.api.base_url} (type q at any prompt to quit)")
        try:
            session.api.request("GET", "/healthz")
        except ApiError as error:
            print(error.detail)
            return 1
        while True:
            try:
                (home if session.user else welcome)(session)
            except SignedOut:
                pass
    except Quit:
        print("Goodbye.")
        return 0
    except EOFError:
        print("\nGoodbye.")
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted. Goodbye.")
        return 130


def welcome(session: Session) -> None:
    print("\nYou are not signed in.")
    actions = {"1": ("Log in", log_in), "2": ("Create an account", create_account),
               "3": ("Browse and search the catalog", browse_catalog)}
    choice = choose({key: label for key, (label, _) in actions.items()} | {"q": "Quit"})
    attempt(session, actions[choice][1])


def home(session: Session) -> None:
    print(f"\nSigned in as {session.user['username']}{' (admin)' if session.is_admin else ''}.")
    actions = {"1": ("My trackers", trackers_screen), "2": ("Browse and search the catalog", browse_catalog),
               "3": ("Timeline: history, retract, undo, roll back", timeline_screen),
               "4": ("Export my history to a file", export_history),
               "5": ("My account: email, password, erase", account_screen),
               "6": ("Summary: my figures, and what makes each", summary_screen),
               "7": ("My own titles: a new tracker on something not in the catalog", own_titles_screen),
               "8": ("Releases and calendar: upcoming, up next, a month, the feed", releases_screen),
               "9": ("Goals, and the year in review", goals_screen)}
    if session.is_admin:
        actions["a"] = ("Admin: add, edit or remove titles", admin_screen)
    actions["i"] = ("Import: a file from Goodreads, Trakt, Spotify or another account; undo an import", imports_screen)
    actions["m"] = ("Mail: reminders and digests", mail_screen)
    choice = choose({key: label for key, (label, _) in actions.items()} | {"l": "Log out", "q": "Quit"})
    if choice == "l":
        session.sign_out()
        print("Logged out.")
        return
    attempt(session, actions[choice][1])


def log_in(session: Session) -> None:
    username = ask("Username: ")
    if not username:
        return
    password = ask_secret("Password: ")
    answer = session.api.request("POST", "/api/auth/login", {"username": username, "password": password})
    session.sign_in(answer["access_token"])
    print(f"Welcome back, {session.user['username']}.")


def create_account(session: Session) -> None:
    username = ask("Choose a username (3-32 letters, digits, _ . -): ")
    if not username:
        return
    password = ask_secret("Choose a password (8 characters or more): ")
    if ask_secret("Type the password again: ") != password:
        print("The two passwords differ; nothing was created.")
        return
    email = ask("Email (optional, Enter to skip): ") or None
    answer = session.api.request("POST", "/api/auth/register",
                                 {"username": username, "password": password, "email": email})
    session.sign_in(answer["access_token"])
    print(f"Account created. Welcome, {session.user['username']}.")
