"""The timeline: the history in words, retracting an entry, undoing a retraction, correction or
rollback, rolling a tracker back, undoing a range of entries; export."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .prompts import ask, choose, confirm
from .session import Session, attempt
from .undo import undo_range
from .words import PAGE_SIZE, moment, tracker_line, when

# The entries that change what another entry did; retracting one undoes it.
REWRITES = {"entry_retracted": "retraction", "entry_corrected": "correction", "tracker_rolled_back": "rollback"}


def fate(entry: dict) -> str:
    """" (retracted)" or " (corrected)" for an entry that a later one retracted or corrected;
    " (undone)" for a retraction, correction or rollback that was itself retracted."""
    if entry["retracted_by"] is not None:
        return " (undone)" if entry["event"]["type"] in REWRITES else " (retracted)"
    return " (corrected)" if entry["corrected_by"] is not None else ""


class EntryWords:
    """Entries in words, never by log id or version: "the entry of 14 Nov, 20:00 — Watched episode 5
    of 62", and the sentences of entries that name another ("Retracted the entry of ..."), looking up
    through the API the entries named that are not on the page."""

    def __init__(self, session: Session):
        self.session = session
        self.known: dict[int, dict | None] = {}  # log id → timeline item (None: not in the log)

    def learn(self, entries: list[dict]) -> None:
        self.known.update((entry["event"]["id"], entry) for entry in entries)

    def _history(self, title_id: int, before: int, limit: int) -> list[dict]:
        query = {"title_id": title_id, "before": before, "limit": limit}
        return self.session.api.request("GET", f"/api/progress/{self.session.user_id}/history", query=query)["items"]

    def _named(self, entry: dict) -> dict | None:
        """The entry a retraction or correction names."""
        entry_id = entry["event"]["data"]["entry_id"]
        if entry_id not in self.known:
            found = self._history(entry["event"]["title_id"], entry_id + 1, 1)
            self.known[entry_id] = found[0] if found and found[0]["event"]["id"] == entry_id else None
        return self.known[entry_id]

    def _restored_to(self, entry: dict) -> dict | None:
        """The entry a rollback restored to: within one tracker log ids rise with versions, so it is
        the oldest of the entries between it and the rollback."""
        event = entry["event"]
        version = event["data"].get("to_version")
        if version is None:
            return None
        for known in self.known.values():
            if known and known["event"]["title_id"] == event["title_id"] and known["event"]["version"] == version:
                return known
        back = event["version"] - version
        found = self._history(event["title_id"], event["id"], back) if 1 <= back <= 200 else []
        return found[-1] if found and found[-1]["event"]["version"] == version else None

    def noun(self, entry: dict, depth: int = 0) -> str:
        """"the entry of 14 Nov, 20:00 — Watched episode 5 of 62", "the retraction of the entry of ..."."""
        event = entry["event"]
        kind = REWRITES.get(event["type"])
        if kind is None:
            return f"the entry of {moment(event['occurred_at'])} — {entry['summary']}"
        if kind == "rollback" or depth > 2:
            return f"the {kind} of {moment(event['occurred_at'])}"
        named = self._named(entry)
        return f"the {kind} of {self.noun(named, depth + 1) if named else 'an entry no longer in the log'}"

    def sentence(self, entry: dict) -> str:
        """What the entry did, in words (the API's own sentence for most)."""
        event = entry["event"]
        if event["type"] in ("entry_retracted", "entry_corrected"):
            named = self._named(entry)
            if named is None:
                return entry["summary"]
            if event["type"] == "entry_retracted":
                return f"{'Undid' if named['event']['type'] in REWRITES else 'Retracted'} {self.noun(named)}"
            # The API says "Corrected entry N to: ..."; what follows "to:" is in words already.
            return f"Corrected {self.noun(named)} {entry['summary'][entry['summary'].find(' to: ') + 1:]}"
        if event["type"] == "tracker_rolled_back" and event["data"].get("to_time") is not None:
            return f"Restored to how it was on {moment(event['data']['to_time'])}"
        if event["type"] == "tracker_rolled_back" and event["data"].get("to_version") is not None:
            restored = self._restored_to(entry)
            return (f"Restored to how it was right after {self.noun(restored)}" if restored
                    else "Restored to how it was at an earlier entry")
        return entry["summary"]


def timeline_screen(session: Session, title: dict | None = None) -> None:
    """The history in the order things happened, newest first, a page at a time (an entry logged
    late takes its place); an entry opens to be retracted, undone or rolled back to; a range of
    entries can be undone."""
    cursors: list[str | None] = [None]  # the cursor of each page shown, to page back
    words = EntryWords(session)
    while True:
        query = {"limit": PAGE_SIZE, "order": "occurred", "cursor": cursors[-1], "title_id": title and title["id"]}
        page = session.api.request("GET", f"/api/progress/{session.user_id}/history", query=query)
        entries = page["items"]
        if not entries and len(cursors) == 1:
            print("\nThe timeline is empty: nothing logged yet.")
            return
        words.learn(entries)
        print(f"\nTimeline{' of ' + title['name'] if title else ''}, newest first by when it happened:")
        for number, entry in enumerate(entries, 1):
            print(f"  {number:>2}) {when(entry['event']['occurred_at'])}  {entry['title']['name']}: "
                  f"{words.sentence(entry)}{fate(entry)}")
        print("Type an entry's number to retract or undo it, or roll its tracker back to it.")
        options = {"n": "Older entries"} if page["next_cursor"] else {}
        if len(cursors) > 1:
            options["p"] = "Newer entries"
        options["u"] = "Undo a range: everything logged today, yesterday, on a day, or between two times"
        choice = choose(options | {"b": "Back"}, numbers=len(entries))
        if choice == "b":
            return
        if choice == "n":
            cursors.append(page["next_cursor"])
        elif choice == "p":
            cursors.pop()
        elif choice == "u":
            attempt(session, undo_range, title)
        else:
            attempt(session, entry_screen, entries[int(choice) - 1], words)


def entry_screen(session: Session, entry: dict, words: EntryWords) -> None:
    event, name = entry["event"], entry["title"]["name"]
    noun = words.noun(entry)
    print(f"\n{name}: {noun[0].upper()}{noun[1:]}")
    print(f"Right after it, by everything known now: {tracker_line(entry['state'])}")
    if fate(entry):
        print(f"It was {fate(entry).strip(' ()')} later.")
    kind = REWRITES.get(event["type"])
    options = {}
    if entry["retracted_by"] is None:
        options["1"] = f"Undo this {kind}" if kind else "Retract this entry (as if it never happened)"
    options["2"] = f"Roll {name} back to how it was when this happened"
    choice = choose(options | {"b": "Back"})
    if choice == "1":
        if not confirm(f"{'Undo' if kind else 'Retract'} {noun}?"):
            print("Nothing was changed.")
            return
        session.api.request("DELETE", f"/api/progress/log/{event['id']}")
        tracker = session.tracker(event["title_id"])
        print(f"{'Undid' if kind else 'Retracted'} {noun}. {name} now: "
              + (tracker_line(tracker) if tracker else "not in your trackers."))
    elif choice == "2":
        if not confirm(f"Roll {name} back to how it was when {noun} happened, by everything known now?"):
            print("Nothing was changed.")
            return
        rollback = f"/api/progress/{session.user_id}/trackers/{event['title_id']}/rollback"
        tracker = session.api.request("POST", rollback, {"to_time": event["occurred_at"]})
        print(f"Rolled {name} back to how it was when {noun} happened. {name} now: {tracker_line(tracker)}")


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
