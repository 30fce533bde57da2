"""Imports: a file from Goodreads, Trakt, Spotify or another account's export, previewed (rows,
titles found and made, rows skipped and why, each tracker before and after), confirmed, imported;
the imports made, and the undo of one after a preview of what it takes back."""
from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

from ..domain.imports import FORMAT_NAMES, FORMATS
from .prompts import ask, choose, confirm
from .session import Session, attempt
from .undo import offer_undo_of_undo, show_changes
from .words import change_words, count_of, day, moment

CSV_FORMATS = ("goodreads",)  # the others are JSON (API.md)
POLL_SECONDS = 1  # how often a queued import's progress is asked for
NAMED = 12  # titles named in a line; a large file says how many more
# A file of up to 10,000 rows is imported (or previewed) within its request, which takes a while.
IMPORT_TIMEOUT = 180


def imports_screen(session: Session) -> None:
    while True:
        imports = session.api.request("GET", _route(session))["items"]
        print("\nMy imports")
        if not imports:
            print("You have imported nothing yet.")
        for number, item in enumerate(imports, 1):
            print(f"  {number}) {import_line(item)}")
        choice = choose({"n": "Import a file", "u": "Undo an import", "b": "Back"})
        if choice == "b":
            return
        if choice == "n":
            attempt(session, import_file)
        else:
            attempt(session, undo_import, imports)


def import_line(item: dict) -> str:
    """``4 Dec, 18:30 - a Goodreads library export (CSV): 5 entries from 6 rows, 1 skipped - Dune, Paper Rivers``."""
    line = f"{moment(item['created_at'])} - {FORMAT_NAMES.get(item['format'], item['format'])}: "
    line += f"{count_of(item['entries'], 'entry', 'entries')} from {count_of(item['rows'], 'row')}"
    if item["skipped"]:
        line += f", {len(item['skipped'])} skipped"
    titles = item["titles_matched"] + item["titles_created"]
    if titles:
        line += " - " + title_names(titles)
    if item["state"] == "failed":
        line += f" - failed: {item['failure']}"
    elif item["state"] != "done":
        line += f" - importing, {item['progress']}% done"
    if item["undone_at"]:
        line += f" - undone {moment(item['undone_at'])}"
    return line


def title_names(titles: list[dict]) -> str:
    """``Dune, Paper Rivers``; past NAMED titles, ``... and 38 more``."""
    more = f" and {len(titles) - NAMED} more" if len(titles) > NAMED else ""
    return ", ".join(title["name"] for title in titles[:NAMED]) + more


def show_outcome(answer: dict) -> None:
    """What an import does (or would do, in a dry run), part by part."""
    verb = "This would log" if answer["dry_run"] else "Logged"
    print(f"\n{count_of(answer['rows'], 'row')} read. {verb} {count_of(answer['entries'], 'entry', 'entries')}.")
    if answer["titles_matched"]:
        print(f"Titles found in the catalog or among yours ({len(answer['titles_matched'])}): "
              + title_names(answer["titles_matched"]))
    if answer["titles_created"]:
        print(f"New titles of your own ({len(answer['titles_created'])}): " + title_names(answer["titles_created"]))
    if answer["skipped"]:
        print(f"Skipped {count_of(len(answer['skipped']), 'row')}:")
        for skipped in answer["skipped"]:
            print(f"  Row {skipped['row']}: {skipped['reason']}")
    if answer["changes"]:
        print("Your trackers, before → after:")
        for change in answer["changes"]:
            print(f"  {_change_with_dates(change)}")


def _change_with_dates(change: dict) -> str:
    """One tracker's before → after, and the day the import started or finished it."""
    before, after = change["before"] or {}, change["after"]
    words = change_words(change)
    if after and after["completed_at"] and after["completed_at"] != before.get("completed_at"):
        return f"{words}; finished on {day(after['completed_at'])}"
    if after and after["started_at"] and after["started_at"] != before.get("started_at"):
        return f"{words}; started on {day(after['started_at'])}"
    return words


def ask_format() -> str | None:
    print("Which service wrote the file?")
    keys = {str(number): format for number, format in enumerate(FORMATS, 1)}
    choice = choose({key: FORMAT_NAMES[format] for key, format in keys.items()} | {"b": "Back"})
    return keys.get(choice)


def import_file(session: Session) -> None:
    """Ask for a file and its format, preview, confirm, import; a large file's progress until it lands."""
    name = ask("Path of the file (Enter cancels): ")
    if not name:
        return
    path = Path(name).expanduser()
    try:
        body = path.read_bytes()
    except OSError as error:
        print(f"Could not read {path}: {error.strerror or error}.")
        return
    format = ask_format()
    if format is None:
        return
    preview = _send(session, body, format, dry_run=True)
    show_outcome(preview)
    if not preview["entries"]:
        print("There is nothing new in this file to import.")
        return
    if not confirm(f"Import {count_of(preview['entries'], 'entry', 'entries')}?"):
        print("Nothing was imported.")
        return
    done = _send(session, body, format, dry_run=False)
    if done["state"] == "queued":
        done = _follow(session, done)
        if done is None:
            return
        done = {**done, "dry_run": False, "changes": []}
    show_outcome(done)
    print(f"Imported {path.name}. Undo it from this screen if it is not what you wanted.")


def _send(session: Session, body: bytes, format: str, *, dry_run: bool) -> dict:
    return session.api.request("POST", _route(session), body, content_type="text/csv" if format in CSV_FORMATS else "application/json",
                               query={"format": format, "dry_run": "true" if dry_run else "false"},
                               timeout=IMPORT_TIMEOUT)


def _follow(session: Session, queued: dict) -> dict | None:
    """A queued import's progress, until it lands (the import) or fails (None, its sentence said)."""
    print(f"{count_of(queued['rows'], 'row')} is a large file: it is imported in the background.")
    shown = None
    while True:
        time.sleep(POLL_SECONDS)
        found = session.api.request("GET", f"{_route(session)}/{urllib.parse.quote(queued['import_id'], safe='')}")
        if found["state"] == "done":
            return found
        if found["state"] == "failed":
            print(f"The import failed: {found['failure']}")
            return None
        if found["progress"] != shown:
            shown = found["progress"]
            print(f"Importing... {shown}% done.")


def undo_import(session: Session, imports: list[dict]) -> None:
    """Pick an import, preview what undoing it takes back, confirm, undo."""
    undoable = [item for item in imports if item["state"] == "done" and item["entries"] and not item["undone_at"]]
    if not undoable:
        print("There is no import to undo.")
        return
    print("Which import?")
    for number, item in enumerate(undoable, 1):
        print(f"  {number}) {import_line(item)}")
    choice = choose({"b": "Back"}, numbers=len(undoable))
    if choice == "b":
        return
    item = undoable[int(choice) - 1]
    path = f"{_route(session)}/{urllib.parse.quote(item['import_id'], safe='')}"
    preview = session.api.request("DELETE", path, query={"dry_run": "true"}, timeout=IMPORT_TIMEOUT)
    entries = count_of(len(preview["entries"]), "entry", "entries")
    print(f"\nUndoing the import of {moment(item['created_at'])} takes back the {entries} it made, and nothing "
          "you logged yourself" + (":" if preview["changes"] else "; no tracker would look different."))
    show_changes(preview)
    if not confirm(f"Undo the import of {moment(item['created_at'])}?"):
        print("Nothing was changed.")
        return
    done = session.api.request("DELETE", path, timeout=IMPORT_TIMEOUT)
    print(f"Undid {count_of(len(done['entries']), 'entry', 'entries')}: the import of {moment(item['created_at'])}.")
    show_changes(done)
    offer_undo_of_undo(session, done)


def _route(session: Session) -> str:
    return f"/api/progress/{session.user_id}/imports"
