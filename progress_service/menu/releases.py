"""What comes out soon, what to go on with, a month of the calendar in words, and the secret
address of the calendar feed."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Callable

from .prompts import ask, choose, confirm
from .session import Session, attempt
from .words import STATUSES, count_of, moment, release_day

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def releases_screen(session: Session) -> None:
    actions = {"1": ("Upcoming: what comes out soon", show_upcoming), "2": ("Up next: what to go on with", show_up_next),
               "3": ("A month of the calendar", show_month), "4": ("The address of my calendar feed", show_feed),
               "5": ("Make a new calendar feed address (the old one stops working)", renew_feed)}
    while True:
        choice = choose({key: label for key, (label, _) in actions.items()} | {"b": "Back"})
        if choice == "b":
            return
        attempt(session, actions[choice][1])


def show_upcoming(session: Session) -> None:
    _trackers(session, "upcoming", "Nothing you track is still to come out.", "Upcoming, soonest first:",
              lambda tracker: f"comes out on {release_day(tracker['release_date'])}")


def show_up_next(session: Session) -> None:
    def said(tracker: dict) -> str:
        following = tracker["next_unit"]
        return (f"next: {following['unit']} {following['number']} of {following['total']}" if following
                else STATUSES[tracker["status"]])
    _trackers(session, "up-next", "Nothing planned or in progress.", "Up next, most recently touched first:", said)


def _trackers(session: Session, route: str, empty: str, heading: str, said: Callable[[dict], str]) -> None:
    """One of the lists of trackers (upcoming, up next), a line each: the title and ``said`` of it."""
    items = session.api.request("GET", f"/api/progress/{session.user_id}/{route}")["items"]
    print(f"\n{heading if items else empty}")
    for tracker in items:
        print(f"  {tracker['title']['name']} — {said(tracker)}")


def show_month(session: Session) -> None:
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    while not _MONTH.fullmatch(month := ask(f"Which month (YYYY-MM, Enter for {this_month})? ") or this_month):
        print("Type a month as YYYY-MM, such as 2027-03.")
    answer = session.api.request("GET", f"/api/progress/{session.user_id}/calendar", query={"month": month})
    days = answer["days"]
    first = date.fromisoformat(days[0]["date"])
    busy = [day for day in days if day["entries"] or day["releases"]]
    if not busy:
        print(f"\nNothing on your calendar in {first:%B %Y}.")
        return
    print(f"\n{first:%B %Y} (days in {answer['timezone']}, your timezone in the mail settings):")
    for day in busy:
        said = []
        if day["releases"]:
            said.append(count_of(len(day['releases']), 'release'))
        if day["entries"]:
            said.append(count_of(len(day["entries"]), "entry", "entries"))
        on = date.fromisoformat(day["date"])
        print(f"  {on:%a} {on.day} {on:%b}: {', '.join(said)}")
        for release in day["releases"]:
            print(f"      {release['name']} comes out")
        for item in day["entries"]:
            print(f"      {moment(item['event']['occurred_at'])} — {item['title']['name']}: {item['summary']}")


def show_feed(session: Session) -> None:
    url = session.api.request("GET", "/api/users/me/calendar-url")["url"]
    print("\nYour calendar feed (release dates of your titles and your completions), for a calendar app to "
          "subscribe to. Anyone with this address can read it:")
    print(f"  {url}")


def renew_feed(session: Session) -> None:
    if not confirm("Make a new address? Calendars reading the old one get nothing more"):
        print("The address stays as it was.")
        return
    url = session.api.request("DELETE", "/api/users/me/calendar-url")["url"]
    print("The old address has stopped working. Your new calendar feed:")
    print(f"  {url}")
