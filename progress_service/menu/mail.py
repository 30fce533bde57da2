"""Mail: reminders and digests (which, where, in which timezone), and the mails sent."""
from __future__ import annotations

from .prompts import ask, choose, confirm
from .session import Session
from .words import moment

KINDS = {"daily_reminder": "Daily reminder", "weekly_digest": "Weekly digest", "monthly_digest": "Monthly digest",
         "release": "Release mail"}


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def mail_screen(session: Session) -> None:
    settings = session.api.request("GET", "/api/users/me/notifications")
    reminder = settings["daily_reminder"]
    print(f"\nMail goes to {settings['email'] or 'no address'}; days are counted in {settings['timezone']}.")
    print(f"  Daily reminder: {_on(reminder['enabled'])}"
          + (f", at {reminder['at']} on a day you logged nothing" if reminder["enabled"] else ""))
    print(f"  Weekly digest: {_on(settings['weekly_digest'])}; monthly digest: {_on(settings['monthly_digest'])}; "
          f"releases: {_on(settings['releases'])}")
    print('  (Releases: on the day a title you plan comes out, a mail that says "Out now", once for each title.)')
    choice = choose({"1": "Change the mail settings", "2": "Mails sent", "b": "Back"})
    if choice == "1":
        change_settings(session, settings)
    elif choice == "2":
        sent = session.api.request("GET", "/api/users/me/notifications/sent", query={"limit": 20})
        if not sent:
            print("No mail has been sent to you yet.")
        for mail in sent:
            print(f"  {moment(mail['sent_at'])}: {mail['subject']} ({KINDS[mail['kind']].lower()})")


def change_settings(session: Session, settings: dict) -> None:
    """Ask for each setting, Enter keeping what it is; then save them together."""
    email = ask(f"Email (Enter keeps {settings['email'] or 'none'}, - for none): ")
    timezone = ask(f"Timezone, such as Europe/Paris (Enter keeps {settings['timezone']}): ")
    reminder = confirm("Daily reminder on a day you logged nothing?")
    at = ask(f"At what time, HH:MM (Enter keeps {settings['daily_reminder']['at']}): ") if reminder else ""
    body = {"daily_reminder": {"enabled": reminder, **({"at": at} if at else {})},
            "weekly_digest": confirm("Weekly digest each Monday?"),
            "monthly_digest": confirm("Monthly digest on the first of each month?"),
            "releases": confirm("A mail when a title you plan comes out?")}
    if email:
        body["email"] = None if email == "-" else email
    if timezone:
        body["timezone"] = timezone
    saved = session.api.request("PUT", "/api/users/me/notifications", body)
    kinds = [f"a daily reminder at {saved['daily_reminder']['at']}" if saved["daily_reminder"]["enabled"] else None,
             "a weekly digest" if saved["weekly_digest"] else None,
             "a monthly digest" if saved["monthly_digest"] else None, "releases" if saved["releases"] else None]
    kinds = [kind for kind in kinds if kind]
    print(f"Saved: {', '.join(kinds)}, to {saved['email']} ({saved['timezone']})." if kinds
          else "Saved: you get no mail.")
