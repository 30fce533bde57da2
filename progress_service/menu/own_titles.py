"""My own titles: a new tracker on a title of one's own (nobody else sees it), and changing or
removing the titles one has made."""
from __future__ import annotations

from ..domain.vocabulary import CUSTOM, UNITS, unit_plural
from .admin import ask_changes
from .catalog import ask_kind
from .prompts import ask, ask_number, choose, confirm
from .session import Session, attempt
from .trackers import title_screen
from .words import title_line


def own_titles_screen(session: Session) -> None:
    while True:
        titles = session.api.request("GET", f"/api/progress/{session.user_id}/titles")["items"]
        print("\nMy own titles (only you see them)")
        if not titles:
            print("You have made no titles of your own yet.")
        for number, title in enumerate(titles, 1):
            print(f"  {number}) {title_line(title)}")
        if titles:
            print("Type a title's number to open it.")
        choice = choose({"n": "New tracker on a title of my own", "e": "Edit one of my titles",
                         "r": "Remove one of my titles", "b": "Back"}, numbers=len(titles))
        if choice == "b":
            return
        if choice == "n":
            attempt(session, new_tracker)
        elif choice in ("e", "r"):
            attempt(session, edit_own_title if choice == "e" else remove_own_title, pick(titles))
        else:
            attempt(session, title_screen, titles[int(choice) - 1]["id"])


def pick(titles: list[dict]) -> dict | None:
    if not titles:
        print("You have made no titles of your own yet.")
        return None
    print("Type the title's number.")
    choice = choose({"b": "Back"}, numbers=len(titles))
    return None if choice == "b" else titles[int(choice) - 1]


def new_tracker(session: Session) -> None:
    kind = ask_kind(optional=False, own=True)
    name = ask("Name (Enter cancels): ")
    if not name:
        return
    if kind == CUSTOM:  # counted in the owner's word, which the API judges (1 to 20 characters)
        unit = ask("Unit (your own word, e.g. km, hour, glass): ")
        if not unit:
            print("A title of your own is counted in a unit of your words; nothing was made.")
            return
        title = {"kind": kind, "name": name, "unit": unit,
                 "total_units": ask_number(f"Total in {unit} (Enter if none): ")}
    else:
        title = {"kind": kind, "name": name, "creator": ask("Creator: "), "year": ask_number("Year: "),
                 "total_units": ask_number(f"Number of {UNITS[kind]}s (Enter if unknown or endless): ")}
    made = session.api.request("POST", f"/api/progress/{session.user_id}/titles", title)
    session.api.request("POST", "/api/progress/log", {"title_id": made["id"], "status": "planned"})
    print(f"Made {title_line(made)}: it is in your trackers, planned.")


def edit_own_title(session: Session, title: dict | None) -> None:
    if title is None:
        return
    print(f"Editing {title_line(title)}")
    changes = ask_changes(title, (("name", "Name"), ("creator", "Creator"), ("year", "Year"),
                                  ("total_units", f"Number of {unit_plural(title['unit'])}"),
                                  ("description", "Description")))
    if not changes:
        print("Nothing changed.")
        return
    edited = session.api.request("PATCH", f"/api/progress/{session.user_id}/titles/{title['id']}", changes)
    print(f"Saved {title_line(edited)}.")


def remove_own_title(session: Session, title: dict | None) -> None:
    if title is not None and confirm(f"Remove {title['name']}? Only a title you never tracked can be removed."):
        session.api.request("DELETE", f"/api/progress/{session.user_id}/titles/{title['id']}")
        print(f"Removed {title['name']}.")
