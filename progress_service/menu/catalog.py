"""Browsing and searching the catalog by title, genre and kind, a page at a time."""
from __future__ import annotations

from ..domain.vocabulary import CUSTOM, KINDS as CATALOG_KINDS, OWN_KINDS
from .prompts import ask, choose
from .session import Session, attempt
from .trackers import title_screen
from .words import KINDS, PAGE_SIZE, title_line


def browse_catalog(session: Session) -> None:
    filters = ask_filters(session)
    offset = 0
    while True:
        page = session.api.request("GET", "/api/titles", query={**filters, "limit": PAGE_SIZE, "offset": offset})
        titles = page["items"]
        if not titles:
            print(f"No titles match {describe_filters(filters)}.")
        else:
            matches = "1 title matches" if page["total"] == 1 else f"{page['total']} titles match"
            print(f"\n{matches} {describe_filters(filters)}; "
                  f"showing {offset + 1}-{offset + len(titles)}:")
            for number, title in enumerate(titles, 1):
                print(f"  {number:>2}) {title_line(title)}")
            print("Type a title's number to open it.")
        options = {}
        if offset + len(titles) < page["total"]:
            options["n"] = "Next page"
        if offset > 0:
            options["p"] = "Previous page"
        choice = choose(options | {"s": "New search", "b": "Back"}, numbers=len(titles))
        if choice == "b":
            return
        if choice == "n":
            offset += PAGE_SIZE
        elif choice == "p":
            offset = max(0, offset - PAGE_SIZE)
        elif choice == "s":
            filters, offset = ask_filters(session), 0
        else:
            attempt(session, title_screen, titles[int(choice) - 1]["id"])


def ask_filters(session: Session) -> dict:
    print("\nSearch the catalog; press Enter to leave a filter out.")
    return {"q": ask("Title contains: "), "genre": ask_genre(session), "kind": ask_kind(optional=True)}


def describe_filters(filters: dict) -> str:
    said = [f'title contains "{filters["q"]}"' if filters["q"] else "",
            f'genre "{filters["genre"]}"' if filters["genre"] else "",
            f"kind {KINDS[filters['kind']]}" if filters["kind"] else ""]
    return ", ".join(part for part in said if part) or "everything"


def ask_genre(session: Session) -> str:
    genres: list[str] = []
    while True:
        answer = ask("Genre (? lists them): ")
        if answer == "?":
            genres = [genre["name"] for genre in session.api.request("GET", "/api/genres")["items"]]
            for row in range(0, len(genres), 4):
                print("".join(f"{n + 1:>4}) {genres[n]:<18}" for n in range(row, min(row + 4, len(genres)))).rstrip())
            continue
        if answer.isdigit() and genres:
            if 1 <= int(answer) <= len(genres):
                return genres[int(answer) - 1]
            print(f"Type a number from 1 to {len(genres)}, or a genre's name.")
            continue
        return answer


def ask_kind(*, optional: bool, own: bool = False) -> str | None:
    """One of the catalog's kinds; with ``own`` (a title of one's own), custom too: something of one's own."""
    kinds = list(OWN_KINDS if own else CATALOG_KINDS)
    words = KINDS | {CUSTOM: "something of my own"}
    print("Kinds: " + "  ".join(f"{n}) {words[kind]}" for n, kind in enumerate(kinds, 1)))
    while True:
        answer = ask("Kind (Enter for any): " if optional else "Kind: ")
        if not answer and optional:
            return None
        if answer in {str(n) for n in range(1, len(kinds) + 1)}:
            return kinds[int(answer) - 1]
        if answer.lower() in kinds:
            return answer.lower()
        print(f"Type a number from 1 to {len(kinds)}.")
