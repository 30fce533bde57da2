"""The timeline: the history in the API's sentences, retracting an entry, rolling a tracker back; export."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .prompts import ask, choose, confirm
from .session import Session, attempt
from .words import PAGE_SIZE, tracker_line, when


def fate(entry: dict) -> str:
    """" (retracted)" or " (corrected)" for an entry that a later one retracted or corrected."""
    if entry["retracted_by"] is not None:
        return " (retracted)"
    return " (corrected)" if entry["corrected_by"] is not None else ""


def timeline_screen(session: Session, title: dict | None = None) -> None:
    """The history, newest first, a page at a time; an entry opens to be retracted or rolled back to."""
    cursors: list[int | None] = [None]  # the `before` of each page shown, to page back
    while True:
        query = {"limit": PAGE_SIZE, "before": cursors[-1], "title_id": title and title["id"]}
        page = session.api.request("GET", f"/api/progress/{session.user_id}/history", query=query)
        entries = page["items"]
        if not entries and len(cursors) == 1:
            print("\nThe timeline is empty: nothing logged yet.")
            return
        print(f"\nTimeline{' of ' + title['name'] if title else ''}, newest first:")
        for number, entry in enumerate(entries, 1):
            print(f"  {number:>2}) {when(entry['event']['occurred_at'])}  {entry['title']['name']}: {entry['summary']}"
                  f"{fate(entry)}")
        print("Type an entry's number to retract it or roll its tracker back to it.")
        options = {"n": "Older entries"} if page["next_before"] else {}
        if len(cursors) > 1:
            options["p"] = "Newer entries"
        choice = choose(options | {"b": "Back"}, numbers=len(entries))
        if choice == "b":
            return
        if choice == "n":
            cursors.append(page["next_before"])
        elif choice == "p":
            cursors.pop()
        else:
            attempt(session, entry_screen, entries[int(choice) - 1])


def entry_screen(session: Session, entry: dict) -> None:
    event, name = entry["event"], entry["title"]["name"]
    print(f"\nEntry {event['id']}, {when(event['occurred_at'])}, {name} version {event['version']}: {entry['summary']}")
    print(f"Right after it: {tracker_line(entry['state'])}")
    choice = choose({"1": "Retract this entry (as if it never happened)",
                     "2": f"Roll {name} back to how it was right after this entry", "b": "Back"})
    if choice == "1":
        session.api.request("DELETE", f"/api/progress/log/{event['id']}")
        tracker = session.tracker(event["title_id"])
        print(f"Retracted entry {event['id']}. {name} now: "
              + (tracker_line(tracker) if tracker else "not in your trackers."))
    elif choice == "2":
        rollback = f"/api/progress/{session.user_id}/trackers/{event['title_id']}/rollback"
        tracker = session.api.request("POST", rollback, {"to_version": event["version"]})
        print(f"Rolled back to version {event['version']}. {name} now: {tracker_line(tracker)}")


def export_history(session: Session) -> None:
    form = ask("Format, csv or json (Enter for csv): ").lower() or "csv"
    if form not in ("csv", "json"):
        print("Type csv or json.")
        return
    default = f"progress-{session.user['username']}.{form}"
    path = Path(ask(f"Save to (Enter for {default}): ") or default).expanduser()
    if path.exists() and not confirm(f"{path} exists. Replace it?"):
        return
    history = session.api.request("GET", f"/api/progress/{session.user_id}/export", query={"format": form})
    if form == "json":
        text, count = json.dumps(history, indent=2, ensure_ascii=False) + "\n", len(history)
    else:
        text, count = history, max(0, sum(1 for _ in csv.reader(io.StringIO(history))) - 1)
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        print(f"Could not save to {path}: {error.strerror or error}.")
        return
    print(f"Saved {count} {'entry' if count == 1 else 'entries'} to {path.resolve()}.")
