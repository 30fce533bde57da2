"""Goals: what a user means to do in each period ("read 20 books a year"), and the periods a goal
runs over. Only the definition is kept; what was done in a period is counted from the log when
asked (``progress_service.goals``), so a backdated entry, a retraction or a rebuild moves it.

Periods are calendar days, ISO weeks (Monday to Sunday), months and years in UTC. The first
period of a goal is the one holding ``starts_on``, counted from that day; with ``ends_on`` the
last is the one holding it, counted to that day. A ``once`` goal has one period, ``starts_on`` to
``ends_on``. Every period is given as its first and last day (both included).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .vocabulary import KIND_WORDS, units_word

MEASURES = ("units", "completions", "entries")
PERIODS = ("day", "week", "month", "year", "once")
PERIOD_WORDS = {"day": "a day", "week": "a week", "month": "a month", "year": "a year", "once": "in all"}
HISTORY = 100  # the most past periods a goal lists


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the last day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _calendar_start(period: str, day: date) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_start(period: str, start: date) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def period_of(period: str, starts_on: date, ends_on: date | None, day: date) -> Period:
    """The goal's period holding ``day`` (which must lie within the goal)."""
    if period == "once":
        return Period(starts_on, ends_on)
    first = _calendar_start(period, day)
    last = _next_start(period, first) - timedelta(days=1)
    return Period(max(first, starts_on), last if ends_on is None else min(last, ends_on))


def periods(period: str, starts_on: date, ends_on: date | None, today: date,
            limit: int = HISTORY) -> tuple[Period, list[Period]]:
    """The current period (the one holding today; the first before the goal starts, the last after
    it ends) and up to ``limit`` periods before it, newest first."""
    day = max(starts_on, today if ends_on is None else min(today, ends_on))
    current = period_of(period, starts_on, ends_on, day)
    past: list[Period] = []
    earliest = current
    while len(past) < limit and earliest.start > starts_on:
        earliest = period_of(period, starts_on, ends_on, earliest.start - timedelta(days=1))
        past.append(earliest)
    return current, past


def elapsed_share(period: Period, today: date) -> float:
    """How much of the period is behind us by the end of today: 0 before it, 1 after it."""
    done = (min(today, period.end) - period.start).days + 1
    return max(0, min(done, period.days)) / period.days


def default_name(measure: str, target: int, period: str, *, unit: str | None, kind: str | None,
                 title_name: str | None) -> str:
    """A goal's name when its owner gives none: "20 books a year", "300 pages a week"."""
    per = PERIOD_WORDS[period]
    what = counted_words(measure, target, unit=unit, kind=kind, one_title=bool(title_name))
    if measure == "completions" and title_name:
        return f"Finish {title_name} {target} {what} {per}"
    return f"{target} {what}{f' of {title_name}' if title_name else ''} {per}"


def counted_words(measure: str, count: int, *, unit: str | None, kind: str | None, one_title: bool) -> str:
    """What a goal counts, for ``count`` of it: "books", "pages", "titles finished", "times", "entries"."""
    if measure == "units":
        return units_word(unit, count)
    if measure == "completions":
        if one_title:
            return "time" if count == 1 else "times"
        return _plural(KIND_WORDS[kind], count) if kind else _plural("title", count) + " finished"
    return _plural("entry", count)


def _plural(word: str, count: int) -> str:
    if count == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2] not in "aeiou" else word + "s"

