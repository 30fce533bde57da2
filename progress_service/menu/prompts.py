"""Reading the keyboard: every prompt goes through ``ask``, so "q" quits at any of them."""
from __future__ import annotations

import getpass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation


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


def ask_amount(prompt: str) -> int | float | None:
    """An amount of a custom title's unit: 0 or more, with at most 2 decimal places (5.25), asked
    again until it is one; None when left blank. Whole amounts come back as ints."""
    while answer := ask(prompt):
        try:
            amount = Decimal(answer)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            print("Type a number, such as 5.25.")
        elif amount < 0:
            print("Type an amount of 0 or more, such as 5.25.")
        elif amount.normalize().as_tuple().exponent < -2:
            print("Type an amount with at most 2 decimal places, such as 5.25.")
        else:
            return int(amount) if amount == amount.to_integral_value() else float(amount)
    return None


def ask_day(prompt: str) -> date | None:
    """A day: YYYY-MM-DD, "today" or "yesterday", asked again until it is one; None when left blank."""
    while answer := ask(prompt).lower():
        today = datetime.now().astimezone().date()
        if answer in ("today", "yesterday"):
            return today - timedelta(days=answer == "yesterday")
        try:
            return date.fromisoformat(answer)
        except ValueError:
            print("Type a day as YYYY-MM-DD (such as 2026-11-14), today or yesterday.")
    return None


def ask_time(prompt: str, *, day_alone: bool = False) -> datetime | None:
    """A local time, YYYY-MM-DD HH:MM (seconds optional), asked again until it is one; None when blank.
    With ``day_alone``, a day without a time stands for its last second."""
    while answer := ask(prompt):
        try:
            if day_alone and ":" not in answer:
                return datetime.combine(date.fromisoformat(answer), time(23, 59, 59)).astimezone()
            return datetime.strptime(answer, "%Y-%m-%d %H:%M:%S" if answer.count(":") == 2 else "%Y-%m-%d %H:%M"
                                     ).astimezone()
        except ValueError:
            print(f"Type a time as YYYY-MM-DD HH:MM (such as 2026-11-14 20:00); seconds may follow"
                  f"{', or a day alone' if day_alone else ''}.")
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
