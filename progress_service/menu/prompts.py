"""Reading the keyboard: every prompt goes through ``ask``, so "q" quits at any of them."""
from __future__ import annotations

import getpass


class Quit(Exception):
    """The person typed q."""


def ask(prompt: str) -> str:
    answer = input(prompt).strip()
    if answer.lower() == "q":
        raise Quit
    return answer


def ask_secret(prompt: str) -> str:
    answer = getpass.getpass(prompt)
    if answer.strip().lower() == "q":
        raise Quit
    return answer


def ask_number(prompt: str) -> int | None:
    """A whole number, asked again until it is one; None when left blank."""
    while answer := ask(prompt):
        try:
            return int(answer)
        except ValueError:
            print("Type a whole number.")
    return None


def confirm(question: str) -> bool:
    return ask(f"{question} (y/N): ").lower() in ("y", "yes")


def choose(options: dict[str, str], *, numbers: int = 0) -> str:
    """Show the options and return the key typed: one of them, or 1..numbers for a listed item."""
    for key, label in options.items():
        print(f"  {key}) {label}")
    valid = set(options) | {str(n) for n in range(1, numbers + 1)}
    while True:
        answer = ask("Choose: ").lower()
        if answer in valid:
            return answer
        listed = f"a number from 1 to {numbers}, " if numbers else ""
        print(f"Type {listed}{', '.join(key for key in options if key != 'q')} or q to quit.")
