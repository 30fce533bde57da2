"""How the menu puts things: kinds, statuses, progress bars, titles, passes, times."""
from __future__ import annotations

from datetime import datetime

from ..domain.vocabulary import KIND_WORDS as KINDS, STATUS_WORDS as STATUSES

PAGE_SIZE = 10
BAR_WIDTH = 10


def plural(unit: str, count: int) -> str:
    return unit if count == 1 else unit + "s"


def counted(word: str, count: int) -> str:
    """``1 episode``, ``3 episodes``."""
    return f"{count} {plural(word, count)}"


def progress_text(tracker: dict) -> str:
    """``[#####.....] 31 / 62 episodes``; without a total (songs), the count alone: ``3 plays``."""
    progress, total, unit = tracker["progress"], tracker["total"], tracker["title"]["unit"]
    if total is None:
        return f"{progress} {plural(unit, progress)}"
    filled = BAR_WIDTH * progress // total  # the API keeps progress within 0..total, total >= 1
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress} / {total} {plural(unit, total)}"


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
    extent = f"{title['total_units']} {plural(unit, title['total_units'])}" if title["total_units"] else \
        f"counted in {unit}s"
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
    moment = datetime.fromisoformat(detail["occurred_at"]).astimezone()
    year = "" if moment.year == datetime.now().astimezone().year else f" {moment.year}"
    return f"the entry of {moment.day} {moment:%b}{year}, {moment:%H:%M} — {detail['summary']}"


def day(timestamp: str) -> str:
    """``3 Jan 2026``: the day of a time, where the menu runs."""
    moment = datetime.fromisoformat(timestamp).astimezone()
    return f"{moment.day} {moment:%b %Y}"


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
    parts = [dates, f"{progress} of {total} {plural(unit, total)}" if total else f"{progress} {plural(unit, progress)}"]
    if item["completed_at"]:
        parts.append("finished")
    if item["rating"] is not None:
        parts.append(f"rated {item['rating']:g}")
    parts.append(f"{item['entries']} {'entry' if item['entries'] == 1 else 'entries'}")
    return f"Pass {item['pass']}: " + ", ".join(parts)
