"""The admin's submenu: add, edit and remove titles of the catalog."""
from __future__ import annotations

from typing import Any

from ..domain.vocabulary import UNITS
from .catalog import ask_kind
from .prompts import ask, ask_number, choose, confirm
from .session import Session, attempt
from .words import PAGE_SIZE, shorten, title_line


def admin_screen(session: Session) -> None:
    actions = {"1": ("Add a title", add_title), "2": ("Edit a title", edit_title),
               "3": ("Remove a title", remove_title)}
    while True:
        print("\nAdmin: the catalog")
        choice = choose({key: label for key, (label, _) in actions.items()} | {"b": "Back"})
        if choice == "b":
            return
        attempt(session, actions[choice][1])


def pick_title(session: Session) -> dict | None:
    answer = ask("Title (its id, or part of its name; Enter cancels): ")
    if not answer:
        return None
    if answer.isdigit():
        return session.api.request("GET", f"/api/titles/{answer}")
    titles = session.api.request("GET", "/api/titles", query={"q": answer, "limit": PAGE_SIZE})["items"]
    if len(titles) <= 1:
        if not titles:
            print(f'No title contains "{answer}".')
        return titles[0] if titles else None
    for number, title in enumerate(titles, 1):
        print(f"  {number}) [{title['id']}] {title_line(title)}")
    print("Type a title's number.")
    choice = choose({"b": "Back"}, numbers=len(titles))
    return None if choice == "b" else titles[int(choice) - 1]


def genres_from(answer: str) -> list[str]:
    return [genre.strip().lower() for genre in answer.split(",") if genre.strip()]


def add_title(session: Session) -> None:
    kind = ask_kind(optional=False)
    name = ask("Name (Enter cancels): ")
    if not name:
        return
    unit = UNITS[kind]
    title = {"kind": kind, "name": name, "creator": ask("Creator: "),
             "genres": genres_from(ask("Genres, separated by commas: ")), "year": ask_number("Year: "),
             "total_units": ask_number(f"Number of {unit}s (Enter if unknown or endless): "),
             "description": ask("Description: ")}
    made = session.api.request("POST", "/api/titles", title)
    print(f"Added title {made['id']}: {title_line(made)}.")


def edit_title(session: Session) -> None:
    title = pick_title(session)
    if title is None:
        return
    print(f"Editing [{title['id']}] {title_line(title)}")
    changes = ask_changes(title, (("name", "Name"), ("creator", "Creator"), ("genres", "Genres, separated by commas"),
                                  ("year", "Year"), ("total_units", f"Number of {title['unit']}s"),
                                  ("description", "Description")))
    if not changes:
        print("Nothing changed.")
        return
    edited = session.api.request("PATCH", f"/api/titles/{title['id']}", changes)
    print(f"Saved title {edited['id']}: {title_line(edited)}.")


def ask_changes(title: dict, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The changes to ``title`` typed field by field (``fields``: its name and label each)."""
    print("Press Enter to keep a value; type - to empty it.")
    changes: dict[str, Any] = {}
    for field, label in fields:
        now = ", ".join(title[field]) if field == "genres" else "" if title[field] is None else str(title[field])
        while answer := ask(f"{label} [{shorten(now, 40)}]: "):
            try:
                changes[field] = edited_value(field, answer)
                break
            except ValueError:
                print("Type a whole number.")
    return changes


def edited_value(field: str, answer: str) -> Any:
    """What an admin typed for a field, as the API takes it; "-" empties the field."""
    numeric = field in ("year", "total_units")
    if answer == "-":
        return None if numeric else [] if field == "genres" else ""
    if field == "genres":
        return genres_from(answer)
    return int(answer) if numeric else answer


def remove_title(session: Session) -> None:
    title = pick_title(session)
    if title is not None and confirm(f"Remove [{title['id']}] {title['name']} from the catalog?"):
        session.api.request("DELETE", f"/api/titles/{title['id']}")
        print(f"Removed {title['name']} from the catalog.")
