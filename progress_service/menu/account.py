"""Your account: the email, a new password (which ends every other sign-in), erasing the account."""
from __future__ import annotations

from .prompts import ask, ask_secret, choose, confirm
from .session import Session, SignedOut


def account_screen(session: Session) -> None:
    me = session.api.request("GET", "/api/users/me")
    print(f"\n{me['username']}{' (admin)' if me['role'] == 'admin' else ''}, here since "
          f"{me['created_at'][:10]}; email: {me['email'] or 'none'}.")
    choice = choose({"1": "Change the email", "2": "Change the password", "3": "Erase the account and its history",
                     "b": "Back"})
    if choice == "1":
        email = ask("New email (Enter for none): ") or None
        saved = session.api.request("PATCH", "/api/users/me", {"email": email})
        print(f"Your email is now {saved['email']}." if saved["email"] else "Your account has no email now.")
    elif choice == "2":
        password = ask_secret("New password (8 characters or more): ")
        if ask_secret("Type it again: ") != password:
            print("The two passwords differ; nothing was changed.")
            return
        session.api.request("PATCH", "/api/users/me", {"password": password})
        # The change ended this token too: sign in again with the new password, so the menu goes on.
        answer = session.api.request("POST", "/api/auth/login", {"username": me["username"], "password": password})
        session.sign_in(answer["access_token"])
        print("Your password is changed. You are logged out everywhere else.")
    elif choice == "3":
        print("This deletes the account and its whole history for good: every tracker, entry, rating and note.")
        if not confirm("Erase it?") or ask(f"Type your username ({me['username']}) to be sure: ") != me["username"]:
            print("Nothing was erased.")
            return
        session.api.request("DELETE", "/api/users/me")
        session.sign_out()
        print("Your account and its history were erased.")
        raise SignedOut
