"""Undo a range: everything logged today, yesterday, on a day or between two times (of one title,
or of them all), previewed tracker by tracker, confirmed, applied; and then the undo of that undo."""
from __future__ import annotations

import urllib.parse
from datetime import date, datetime, time, timedelta

from .prompts import ask, ask_day, ask_time, choose, confirm
from .session import Session
from .words import STATUSES, change_words, count_of, moment


def _day(day: date) -> tuple[datetime, datetime]:
    """A local day, from its first moment up to the next day's."""
    return (datetime.combine(day, time()).astimezone(),
            datetime.combine(day + timedelta(days=1), time()).astimezone())


def ask_range() -> tuple[datetime, datetime, str] | None:
    """The range to undo, in local time, and how to say it; None to go back."""
    print("\nUndo what you logged:")
    choice = choose({"1": "Everything I logged today", "2": "Everything I logged yesterday",
                     "3": "Everything I logged on a day I pick", "4": "Everything I logged between two times",
                     "b": "Back"})
    today = datetime.now().astimezone().date()
    if choice == "1":
        return *_day(today), "everything you logged today"
    if choice == "2":
        return *_day(today - timedelta(days=1)), "everything you logged yesterday"
    if choice == "3":
        day = ask_day("Day (YYYY-MM-DD, today or yesterday; Enter cancels): ")
        return None if day is None else (*_day(day), f"everything you logged on {day:%A} {day.day} {day:%B %Y}")
    if choice == "4":
        since = ask_time("From (YYYY-MM-DD HH:MM; Enter cancels): ")
        until = since and ask_time("To, not included (YYYY-MM-DD HH:MM; Enter cancels): ")
        if not until:
            return None
        if until <= since:
            print("The end of the range must come after its start; nothing was changed.")
            return None
        return since, until, (f"everything you logged from {moment(since, seconds=True)} "
                              f"to {moment(until, seconds=True)}")
    return None


def ask_title(session: Session) -> dict | None:
    """One of the user's tracked titles, or None for them all."""
    board = session.api.request("GET", f"/api/progress/{session.user_id}/trackers")
    tracked = {tracker["title_id"]: tracker["title"] for status in STATUSES for tracker in board[status]}
    titles = sorted(tracked.values(), key=lambda title: title["name"].lower())
    if not titles:
        return None
    print("Of which title?")
    for number, title in enumerate(titles, 1):
        print(f"  {number:>2}) {title['name']}")
    while answer := ask("Type its number, or press Enter for all titles: "):
        if answer.isdigit() and 1 <= int(answer) <= len(titles):
            return titles[int(answer) - 1]
        print(f"Type a number from 1 to {len(titles)}, or press Enter for all titles.")
    return None


def show_changes(answer: dict) -> None:
    for change in answer["changes"]:
        print(f"  {change_words(change)}")


def undo_range(session: Session, title: dict | None = None) -> None:
    """Ask for a range (and a title, unless given), preview, confirm, apply; offer the undo's undo."""
    asked = ask_range()
    if asked is None:
        return
    since, until, said = asked
    title = title or ask_title(session)
    said += f" of {title['name']}" if title else ""
    route = f"/api/progress/{session.user_id}/undo"
    body = {"since": since.isoformat(), "until": until.isoformat(), **({"title_id": title["id"]} if title else {})}
    preview = session.api.request("POST", route, {**body, "dry_run": True})
    if not preview["entries"]:
        print("Nothing was logged in that range.")
        return
    entries = count_of(len(preview["entries"]), "entry", "entries")
    print(f"\nThis takes back {entries}" + (":" if preview["changes"] else "; no tracker would look different."))
    show_changes(preview)
    if not confirm(f"Undo {'this entry' if len(preview['entries']) == 1 else f'these {entries}'}?"):
        print("Nothing was changed.")
        return
    done = session.api.request("POST", route, body)
    print(f"Undid {count_of(len(done['entries']), 'entry', 'entries')}: {said}.")
    show_changes(done)
    offer_undo_of_undo(session, done)


def offer_undo_of_undo(session: Session, done: dict) -> None:
    """After an undo: take it back, if the person wants to."""
    if choose({"1": "Undo this undo", "b": "Back"}) == "1":
        back = session.api.request("DELETE", f"/api/progress/{session.user_id}/undo/"
                                             f"{urllib.parse.quote(done['undo_id'], safe='')}")
        print("The undo is undone: " + ("that entry counts" if len(back["entries"]) == 1
                                        else f"those {len(back['entries'])} entries count") + " again.")
        show_changes(back)
