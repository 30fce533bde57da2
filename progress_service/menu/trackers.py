"""The tracker board, and one title: its tracker's changes (progress, status, rating, notes, starting
again), its passes, the tracker as it was at a time, and the title's report."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..domain.vocabulary import AGAIN_WORDS, CUSTOM, unit_plural
from .client import ApiError
from .figures import report_figures_screen
from .prompts import ask, ask_amount, ask_number, ask_time, choose, confirm
from .session import Session, attempt
from .timeline import timeline_screen
from .words import STATUSES, moment, pass_line, plural, progress_text, sentence, title_line, tracker_line


def trackers_screen(session: Session) -> None:
    while True:
        board = session.api.request("GET", f"/api/progress/{session.user_id}/trackers")
        listed = [tracker for status in STATUSES for tracker in board[status]]
        if not listed:
            print("\nYou track no titles yet: find some in the catalog.")
            return
        width = min(40, max(len(tracker["title"]["name"]) for tracker in listed))
        number = 0
        for status, label in STATUSES.items():
            if board[status]:
                print(f"\n{label.capitalize()} ({len(board[status])})")
            for tracker in board[status]:
                number += 1
                rating = f"  rated {tracker['rating']:g}" if tracker["rating"] is not None else ""
                print(f"  {number:>2}) {tracker['title']['name']:<{width}}  {progress_text(tracker)}{rating}")
        print("Type a tracker's number to open it.")
        choice = choose({"b": "Back"}, numbers=len(listed))
        if choice == "b":
            return
        attempt(session, title_screen, listed[int(choice) - 1]["title_id"])


def title_screen(session: Session, title_id: int) -> None:
    title = session.api.request("GET", f"/api/titles/{title_id}")
    print(f"\n{title_line(title)}")
    if title["creator"]:
        print(f"By {title['creator']}.")
    if title["description"]:
        print(title["description"])
    while True:
        tracker = session.tracker(title_id) if session.user else None
        if session.user:
            print(f"\n{title['name']}: " + (tracker_line(tracker) if tracker else "not in your trackers."))
        actions = title_actions(title, tracker, signed_in=session.user is not None)
        choice = choose({key: label for key, (label, _) in actions.items()} | {"b": "Back"})
        if choice == "b":
            return
        attempt(session, actions[choice][1], title)


def title_actions(title: dict, tracker: dict | None, *, signed_in: bool) -> dict[str, tuple[str, Callable]]:
    """What one may do on a title's screen; one's own title has no report (nobody else tracks it)."""
    actions = _title_actions(title, tracker, signed_in=signed_in)
    if title.get("owner_id") is None:
        return actions
    kept = [action for action in actions.values() if action[1] is not show_report]
    return {str(number): action for number, action in enumerate(kept, 1)}


def _title_actions(title: dict, tracker: dict | None, *, signed_in: bool) -> dict[str, tuple[str, Callable]]:
    if not signed_in:
        return {"1": ("Report", show_report)}
    if tracker is None:
        return {"1": ("Add to my trackers", add_tracker), "2": ("Report", show_report)}
    unit, units, again = title["unit"], unit_plural(title["unit"]), AGAIN_WORDS.get(title["kind"])
    more = (f"Add {units} (such as 2.5)", log_amount) if title["kind"] == CUSTOM else (f"+1 {unit}", log_one_more)
    return {"1": more, "2": (f"Set the number of {units}", set_progress),
            "3": ("Change status", change_status), "4": ("Rate (0.5 to 5)", rate), "5": ("Add a note", add_note),
            "6": (f"Start again{f' ({again.lower()})' if again else ''}: a new pass, back to 0 {units}", start_again),
            "7": ("Passes: each time through, with dates", show_passes),
            "8": ("Timeline of this title: retract, undo, roll back", timeline_screen), "9": ("Report", show_report),
            "10": ("Remove from my trackers", remove_tracker), "11": ("See it as it was on a date", see_as_it_was)}


def log_change(session: Session, title: dict, change: dict) -> None:
    """Append one entry and say what it did, in the API's own sentence from the timeline."""
    entry = session.api.request("POST", "/api/progress/log", {"title_id": title["id"], **change})
    said = session.api.request("GET", f"/api/progress/{session.user_id}/history",
                               query={"title_id": title["id"], "before": entry["id"] + 1, "limit": 1})["items"]
    if said and said[0]["event"]["id"] == entry["id"]:
        print(f"Logged: {sentence(said[0]['summary'])}")


def add_tracker(session: Session, title: dict) -> None:
    status = ask_status(default="planned")
    if status:
        log_change(session, title, {"status": status})


def log_one_more(session: Session, title: dict) -> None:
    log_change(session, title, {"delta": 1})


def log_amount(session: Session, title: dict) -> None:
    """Add an amount of a custom title's unit, such as 5.25 km."""
    delta = ask_amount(f"How many {unit_plural(title['unit'])} to add? ")
    if delta is not None:
        log_change(session, title, {"delta": delta})


def set_progress(session: Session, title: dict) -> None:
    """The progress reached: whole units, or an amount such as 12.5 on a custom title."""
    limit = f" (0 to {title['total_units']})" if title["total_units"] else ""
    ask_progress = ask_amount if title["kind"] == CUSTOM else ask_number
    progress = ask_progress(f"How many {unit_plural(title['unit'])} done{limit}? ")
    if progress is not None:
        log_change(session, title, {"progress": progress})


def ask_status(*, default: str | None = None) -> str | None:
    statuses = list(STATUSES)
    print("Statuses: " + "  ".join(f"{n}) {STATUSES[status]}" for n, status in enumerate(statuses, 1)))
    while True:
        answer = ask(f"Status (Enter for {STATUSES[default]}): " if default else "Status (Enter cancels): ")
        if not answer:
            return default
        if answer in {str(n) for n in range(1, len(statuses) + 1)}:
            return statuses[int(answer) - 1]
        print(f"Type a number from 1 to {len(statuses)}.")


def change_status(session: Session, title: dict) -> None:
    status = ask_status()
    if status:
        log_change(session, title, {"status": status})


def rate(session: Session, title: dict) -> None:
    while answer := ask("Rating from 0.5 to 5 in halves ('none' clears it, Enter cancels): "):
        try:
            rating = None if answer.lower() == "none" else float(answer)
        except ValueError:
            print("Type a number, such as 3.5.")
            continue
        log_change(session, title, {"rating": rating})
        return


def add_note(session: Session, title: dict) -> None:
    note = ask("Note (Enter cancels): ")
    if note:
        log_change(session, title, {"note": note})


def start_again(session: Session, title: dict) -> None:
    tracker = session.tracker(title["id"])
    following = tracker["pass"] + 1 if tracker else 2
    again = AGAIN_WORDS.get(title["kind"])  # a custom title has no word of its own for it
    start = f"{again} {title['name']}" if again else f"Start {title['name']} again"
    if confirm(f"{start} from the start, as pass {following}? Progress goes back to 0; the passes so far stay in "
               f"its history."):
        log_change(session, title, {"restart": True})
    else:
        print("Nothing was started.")


def show_passes(session: Session, title: dict) -> None:
    items = session.api.request("GET", f"/api/progress/{session.user_id}/trackers/{title['id']}/passes")["items"]
    print(f"\nPasses of {title['name']}, oldest first:")
    for i, item in enumerate(items):
        print(f"  {pass_line(item, items[i + 1] if i + 1 < len(items) else None, title)}")


def remove_tracker(session: Session, title: dict) -> None:
    if confirm(f"Remove {title['name']} from your trackers? Its history stays in the timeline."):
        session.api.request("DELETE", f"/api/progress/{session.user_id}/trackers/{title['id']}")
        print(f"Removed {title['name']} from your trackers.")


def show_report(session: Session, title: dict) -> None:
    report = session.api.request("GET", f"/api/titles/{title['id']}/report")
    print(f"\nReport on {title['name']}")
    counts = ", ".join(f"{label} {report['counts'][status]}" for status, label in STATUSES.items())
    print(f"  Trackers: {report['trackers']} ({counts})")
    if report["completion_rate"] is not None:
        print(f"  Completed by {report['completion_rate']:.0%} of them")
    if report["average_rating"] is None:
        print("  Not rated yet")
    else:
        print(f"  Average rating: {report['average_rating']:g} from {report['rating_count']} "
              f"{plural('rating', report['rating_count'])}")
        for value, count in report["rating_histogram"].items():
            if count:
                print(f"    {float(value):>3g}: {'*' * count} {count}")
    if report["average_days_to_complete"] is not None:
        print(f"  Average time to complete: {report['average_days_to_complete']:.1f} days")
    report_figures_screen(session, title, report)


def see_as_it_was(session: Session, title: dict) -> None:
    """The tracker as it was at a time (?at=), and, if asked, as it was known then (as_of too)."""
    at = ask_time("As it was when? (YYYY-MM-DD HH:MM, or a day alone for its end; Enter cancels): ", day_alone=True)
    if at is None:
        return
    at = min(at, datetime.now().astimezone())  # the end of today is still to come: now, then
    known_then = confirm("As we knew it then, leaving out what was logged later?")
    as_known = ", as we knew it then" if known_then else ""
    query = {"at": at.isoformat(), "as_of": at.isoformat() if known_then else None}
    try:
        tracker = session.api.request("GET", f"/api/progress/{session.user_id}/trackers/{title['id']}", query=query)
    except ApiError as error:
        if error.status != 404:
            raise
        print(f"No tracker yet on that date{as_known}.")
        return
    print(f"\n{title['name']} as it was on {moment(at, seconds=True)}{as_known}:")
    print(f"  Status: {STATUSES[tracker['status']]}")
    print(f"  Progress: {progress_text(tracker)}")
    print(f"  Rating: {'not rated' if tracker['rating'] is None else format(tracker['rating'], 'g')}")
    print("  Notes:" + ("" if tracker["notes"] else " none"))
    for note in tracker["notes"]:
        print(f"    - {note}")
