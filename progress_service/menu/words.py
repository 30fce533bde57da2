"""How the menu puts things: kinds, statuses, progress bars, titles, passes, times."""
from __future__ import annotations

from datetime import date, datetime

from ..domain.vocabulary import (CUSTOM, KIND_WORDS as KINDS, STATUS_WORDS as STATUSES, amount_in, amount_text,
                                 unit_plural)

PAGE_SIZE = 10
BAR_WIDTH = 10


def plural(unit: str, count: int) -> str:
    return unit if count == 1 else unit + "s"


def counted(word: str, count: int) -> str:
    """``1 episode``, ``3 episodes``."""
    return f"{count} {plural(word, count)}"


def progress_text(tracker: dict) -> str:
    """``[#####.....] 31 / 62 episodes``; without a total (songs), the count alone: ``3 plays``, ``12.5 km``."""
    progress, total, unit = tracker["progress"], tracker["total"], tracker["title"]["unit"]
    if total is None:
        return amount_in(progress, unit)
    filled = int(BAR_WIDTH * progress // total)  # the API keeps progress within 0..total, total >= 1
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {amount_text(progress)} / {amount_in(total, unit)}"


def tracker_line(tracker: dict) -> str:
    line = f"{progress_text(tracker)}, {STATUSES[tracker['status']]}"
    if tracker["pass"] > 1:
        line += f", pass {tracker['pass']}"
    if tracker["rating"] is not None:
        line += f", rated {tracker['rating']:g}"
    if tracker["notes"]:
        line += f", {len(tracker['notes'])} {plural('note', len(tracker['notes']))}"
    return line


def title_line(title: dict) -> str:
    unit = title["unit"]
    extent = amount_in(title["total_units"], unit) if title["total_units"] else f"counted in {unit_plural(unit)}"
    year = f", {title['year']}" if title["year"] is not None else ""
    line = f"{title['name']} ({KINDS[title['kind']]}{year}, {extent})"
    if title["genres"]:
        line += " - " + ", ".join(title["genres"])
    if title.get("average_rating") is not None:
        line += f" - rated {title['average_rating']:g} by {title['rating_count']}"
    return line


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def sentence(text: str) -> str:
    """The text with a full stop, unless it already ends like a sentence."""
    return text if text.endswith((".", "!", "?")) else text + "."


def when(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def entry_in_words(detail: dict) -> str:
    """``the entry of 14 Nov, 20:00 — Watched episode 5 of 62``: an entry said by when it occurred
    (local time; the year too when it is not this one) and its sentence, never by its log id."""
    return f"the entry of {moment(detail['occurred_at'])} — {detail['summary']}"


def day(timestamp: str) -> str:
    """``3 Jan 2026``: the day of a time, where the menu runs."""
    moment = datetime.fromisoformat(timestamp).astimezone()
    return f"{moment.day} {moment:%b %Y}"


def release_day(iso_date: str) -> str:
    """``14 Mar 2027``: a day of the calendar (a release date), as it is."""
    on = date.fromisoformat(iso_date)
    return f"{on.day} {on:%b %Y}"


def pass_line(item: dict, following: dict | None, title: dict) -> str:
    """``Pass 1: 3 Jan 2026 to 14 Feb 2026, 62 of 62 episodes, finished, rated 4, 3 entries``: one
    pass (of GET .../passes) in words, ending where the ``following`` one began."""
    end = item["completed_at"] or (following and following["started_at"])
    if item["started_at"] is None:
        dates = "not started"
    elif end is None:
        dates = f"since {day(item['started_at'])}"
    elif day(end) == day(item["started_at"]):
        dates = f"on {day(end)}"
    else:
        dates = f"{day(item['started_at'])} to {day(end)}"
    unit, total, progress = title["unit"], title["total_units"], item["progress"]
    parts = [dates, f"{amount_text(progress)} of {amount_in(total, unit)}" if total else amount_in(progress, unit)]
    if item["completed_at"]:
        parts.append("finished")
    if item["rating"] is not None:
        parts.append(f"rated {item['rating']:g}")
    parts.append(f"{item['entries']} {'entry' if item['entries'] == 1 else 'entries'}")
    return f"Pass {item['pass']}: " + ", ".join(parts)


def moment(timestamp: str | datetime, *, seconds: bool = False) -> str:
    """A moment as people name it, in local time: "14 Nov, 20:00" ("14 Nov 2025, 20:00" in another
    year); with ``seconds``, "14 Nov, 20:00:05" when they are not zero."""
    local = (datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp).astimezone()
    year = "" if local.year == datetime.now().astimezone().year else f" {local.year}"
    second = f":{local.second:02}" if seconds and local.second else ""
    return f"{local.day} {local:%b}{year}, {local:%H:%M}{second}"


def count_of(count: int, word: str, words: str | None = None) -> str:
    """"1 entry", "4 entries"."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _amount(tracker: dict) -> str:
    """How far a tracker is, to set beside another: "episode 5", "no episodes", "3 plays", "7.75 km"."""
    unit, progress = tracker["title"]["unit"], tracker["progress"]
    if tracker["total"] is None or tracker["title"]["kind"] == CUSTOM:
        return amount_in(progress, unit)
    return f"{unit} {progress}" if progress else f"no {unit}s"


def _rated(tracker: dict) -> str:
    return "none" if tracker["rating"] is None else f"{tracker['rating']:g}"


def _whole(tracker: dict) -> str:
    """A tracker in a few words: "page 10 of 412", "3 plays", "7.75 of 42 km", "planned", "episode 62 of 62,
    completed, rated 4"."""
    unit, progress, total = tracker["title"]["unit"], tracker["progress"], tracker["total"]
    if not progress:
        done = None
    elif total is None:
        done = amount_in(progress, unit)
    elif tracker["title"]["kind"] == CUSTOM:
        done = f"{amount_text(progress)} of {amount_in(total, unit)}"
    else:
        done = f"{unit} {progress} of {total}"
    status = None if done and tracker["status"] == "in_progress" else STATUSES[tracker["status"]]
    rating = None if tracker["rating"] is None else f"rated {tracker['rating']:g}"
    return ", ".join(part for part in (done, status, rating) if part)


def change_words(change: dict) -> str:
    """What an undo does to one tracker: "Breaking Bad: episode 5 → episode 2; rating 4 → none",
    "Dune: no tracker → page 10 of 412", "Bad Guy: 3 plays → removed"."""
    name, before, after = change["title"]["name"], change["before"], change["after"]
    if before is None:
        return f"{name}: no tracker → {_whole(after)}"
    if after is None:
        return f"{name}: {_whole(before)} → removed"
    parts = []
    if before["status"] != after["status"]:
        parts.append(f"{STATUSES[before['status']]} → {STATUSES[after['status']]}")
    if before["progress"] != after["progress"]:
        parts.append(f"{_amount(before)} → {_amount(after)}")
    if before["rating"] != after["rating"]:
        parts.append(f"rating {_rated(before)} → {_rated(after)}")
    if len(before["notes"]) != len(after["notes"]):
        parts.append(f"{count_of(len(before['notes']), 'note')} → {count_of(len(after['notes']), 'note')}")
    elif before["notes"] != after["notes"]:
        parts.append("its notes change")
    if before["times_completed"] != after["times_completed"]:
        parts.append(f"finished {count_of(before['times_completed'], 'time')} → "
                     f"{count_of(after['times_completed'], 'time')}")
    return f"{name}: {'; '.join(parts) or 'when it was started or finished changes'}"
