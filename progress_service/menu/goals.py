"""Goals with text bars ("[######....] 12 of 20 books, on track"), setting and deleting one, and
the year in review in words."""
from __future__ import annotations

from datetime import date, datetime

from ..domain.goals import MEASURES, PERIOD_WORDS, PERIODS
from ..domain.vocabulary import CUSTOM, KINDS, UNITS, amount_in, amount_text, unit_plural, units_word
from .prompts import ask_day, ask_number, choose, confirm
from .session import Session, attempt
from .words import BAR_WIDTH, KINDS as KIND_WORDS, STATUSES, counted, plural

MEASURE_WORDS = {"completions": "titles finished", "units": "units (pages, episodes, tracks, plays)",
                 "entries": "entries"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_words(day: str) -> str:
    """``1 Jan 2027`` for a day as the API gives it."""
    d = date.fromisoformat(day)
    return f"{d.day} {d:%b %Y}"


def counted_words(goal: dict, count: int) -> str:
    """What a goal counts, for a number: ``books``, ``pages``, ``entries``, ``titles finished``."""
    if goal["measure"] == "units":
        return units_word(goal["unit"], count)
    if goal["measure"] == "entries":
        return "entry" if count == 1 else "entries"
    if goal["kind"]:
        return plural(KIND_WORDS[goal["kind"]], count)
    return "title finished" if count == 1 else "titles finished"


def goal_line(goal: dict) -> str:
    """``20 books a year: [######....] 12 of 20 books, on track (1 Jan 2027 to 31 Dec 2027)``."""
    current, target = goal["current"], goal["target"]
    filled = min(BAR_WIDTH, int(BAR_WIDTH * current["value"] // target))
    pace = "met" if current["value"] >= target else "on track" if current["on_track"] else "behind"
    return (f"{goal['name']}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {amount_text(current['value'])} of {target} "
            f"{counted_words(goal, target)}, {pace} ({day_words(current['period_start'])} to "
            f"{day_words(current['period_end'])})")


def goals_screen(session: Session) -> None:
    while True:
        goals = session.api.request("GET", f"/api/progress/{session.user_id}/goals")["items"]
        print("\nYour goals:" if goals else "\nYou have no goals yet.")
        for n, goal in enumerate(goals, 1):
            print(f"  {n:>2}) {goal_line(goal)}")
        if goals:
            print("Type a goal's number to see its periods or delete it.")
        choice = choose({"a": "Add a goal", "y": "Year in review", "b": "Back"}, numbers=len(goals))
        if choice == "b":
            return
        if choice == "a":
            attempt(session, add_goal)
        elif choice == "y":
            attempt(session, year_in_review)
        else:
            attempt(session, goal_screen, goals[int(choice) - 1])


def _pick(question: str, options: dict[str, str], *, blank: str | None = None) -> str | None:
    print(question)
    keys = {str(n): value for n, value in enumerate(options, 1)}
    listed = {key: options[value] for key, value in keys.items()}
    if blank:
        listed = {"0": blank, **listed}
    choice = choose(listed)
    return None if choice == "0" else keys[choice]


def add_goal(session: Session) -> None:
    measure = _pick("What to count?", {m: MEASURE_WORDS[m] for m in MEASURES})
    kind = _pick("Of which kind?", {k: plural(KIND_WORDS[k], 2) for k in KINDS}, blank="Any kind")
    unit = None
    if measure == "units" and kind is None:
        own = session.api.request("GET", f"/api/progress/{session.user_id}/titles")["items"]
        units = [*UNITS.values(), *sorted({t["unit"] for t in own if t["kind"] == CUSTOM} - set(UNITS.values()))]
        unit = _pick("Which unit?", {u: unit_plural(u) for u in units})
    target = ask_number("How many? ")
    if target is None:
        return
    period = _pick("Each?", {p: PERIOD_WORDS[p] if p != "once" else "once, from a day to a day" for p in PERIODS})
    starts = ask_day("Starts on (YYYY-MM-DD, today): ")
    if starts is None:
        return
    ends = ask_day("Ends on (YYYY-MM-DD; Enter for never): ")
    body = {"measure": measure, "target": target, "period": period, "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat() if ends else None, "kind": kind, "unit": unit}
    made = session.api.request("POST", f"/api/progress/{session.user_id}/goals", body)
    print(f"Added the goal “{made['name']}”: {goal_line(made)}.")


def goal_screen(session: Session, goal: dict) -> None:
    print(f"\n{goal_line(goal)}")
    current = goal["current"]
    print(f"  {current['percent']:g}% done; {current['expected_by_now']:g} due by today at an even pace.")
    for past in goal["history"][:12]:
        print(f"  {day_words(past['period_start'])} to {day_words(past['period_end'])}: {amount_text(past['value'])} of "
              f"{goal['target']}, {'met' if past['met'] else 'not met'}")
    choice = choose({"d": "Delete this goal", "b": "Back"})
    if choice == "d" and confirm(f"Delete the goal “{goal['name']}”? Your entries stay as they are"):
        session.api.request("DELETE", f"/api/progress/{session.user_id}/goals/{goal['id']}")
        print(f"Deleted the goal “{goal['name']}”.")


def year_in_review(session: Session) -> None:
    year = ask_number(f"Which year (Enter for {datetime.now().year})? ") or datetime.now().year
    review = session.api.request("GET", f"/api/progress/{session.user_id}/review", query={"year": year})
    counts = ", ".join(f"{n} {STATUSES[status]}" for status, n in review["counts"].items() if n) or "none"
    units = ", ".join(amount_in(n, unit) for unit, n in review["units"].items() if n) or "nothing"
    print(f"\nYour {year}:")
    print(f"  Trackers at the end of the year: {counts}.")
    print(f"  Consumed: {units}.")
    print(f"  Titles finished: {review['completions']}; by month: "
          + ", ".join(f"{month} {n}" for month, n in zip(MONTHS, review["completions_per_month"])) + ".")
    print(f"  Entries: {review['entries']}.")
    rated = ", ".join(f"{t['name']} ({t['rating']:g})" for t in review["top_rated"]) or "nothing rated"
    print(f"  Rated highest: {rated}.")
    streak = review["longest_streak"]
    if streak["days"] == 0:
        print("  No entries that year.")
    elif streak["days"] == 1:
        print(f"  Longest streak: 1 day, {day_words(streak['first_day'])}.")
    else:
        print(f"  Longest streak: {streak['days']} days in a row, {day_words(streak['first_day'])} to "
              f"{day_words(streak['last_day'])}.")
    for g in review["goals_met"]:
        print(f"  Goal {g['name']}: met in {g['met']} of {counted('period', g['periods'])}.")
