"""The summary's figures and a title's report figures, each opened to show what makes it: the
trackers (or, in a report, how many people) behind it and, for the summary, the entries behind
each tracker in words and dates."""
from __future__ import annotations

from ..domain.vocabulary import UNITS, amount_in
from .prompts import choose
from .session import Session, attempt
from .words import STATUSES, counted, entry_in_words

UNIT_WORDS = {"episode": "watched", "page": "read", "track": "heard", "play": "played"}


def number(value: float) -> str:
    return f"{value:g}"


def summary_figures(summary: dict) -> list[tuple[str, str]]:
    """The summary's figures as (figure, what it says), in the order the API explains them, the units
    of one's own custom titles ("7.75 km done") among the units."""
    figures = [(f"counts.{status}", f"{label.capitalize()}: {counted('tracker', summary['counts'][status])}")
               for status, label in STATUSES.items()]
    figures += [(f"units.{unit}", f"{amount_in(summary['units'][unit], unit)} {UNIT_WORDS[unit]}")
                for unit in UNITS.values()]
    figures += [(f"units.{unit}", f"{amount_in(value, unit)} done") for unit, value in summary["units"].items()
                if unit not in UNITS.values()]
    ratings = summary["ratings"]
    figures += [("ratings.count", f"Ratings: {ratings['count']}"),
                ("ratings.average", "Average rating: " + ("none yet" if ratings["average"] is None
                                                           else number(ratings["average"])))]
    return figures


def summary_screen(session: Session) -> None:
    """The summary's figures; a figure's number shows what makes it."""
    while True:
        summary = session.api.request("GET", f"/api/progress/summary/{session.user_id}")
        print("\nYour summary:")
        explained = summary_figures(summary)
        for number_, (_, said) in enumerate(explained, 1):
            print(f"  {number_:>2}) {said}")
        print("Type a figure's number to see what makes it.")
        choice = choose({"b": "Back"}, numbers=len(explained))
        if choice == "b":
            return
        attempt(session, explain_summary_figure, *explained[int(choice) - 1])


def explain_summary_figure(session: Session, figure: str, said: str) -> None:
    answer = session.api.request("GET", f"/api/progress/summary/{session.user_id}/explain", query={"figure": figure})
    parts, (group, name) = answer["parts"], figure.split(".", 1)
    values = [number(part["value"]) for part in parts]
    if not parts:
        print(f"\n{said}: nothing makes it yet.")
        return
    how = f"({' + '.join(values)}) / {len(values)}" if figure == "ratings.average" else " + ".join(values)
    print(f"\n{said}" + (f" = {how}" if len(values) > 1 else "") + ":")
    for part in parts:
        if group == "units":
            what = f"{amount_in(part['value'], name)}, from"
        elif group == "counts":
            what = f"{STATUSES[name]} since"
        else:
            what = f"rated {number(part['value'])} in"
        print(f"  {part['name']}: {what}")
        for detail in part["entry_details"]:
            print(f"    {entry_in_words(detail)}")


REPORT_FIGURES = [*(f"counts.{status}" for status in STATUSES), "rating_count", "average_rating", "completion_rate"]


def report_figures_screen(session: Session, title: dict, report: dict) -> None:
    """After a title's report: a figure's number shows its parts (no one is named)."""
    said = {f"counts.{status}": f"{label.capitalize()}: {report['counts'][status]}" for status, label in STATUSES.items()}
    said |= {"rating_count": f"Ratings: {report['rating_count']}",
             "average_rating": "Average rating: " + ("none yet" if report["average_rating"] is None
                                                     else number(report["average_rating"])),
             "completion_rate": "Completed by: " + ("nobody yet" if report["completion_rate"] is None
                                                    else f"{report['completion_rate']:.0%}")}
    while True:
        print("Type a figure's number to see what makes it:")
        for n, figure in enumerate(REPORT_FIGURES, 1):
            print(f"  {n:>2}) {said[figure]}")
        choice = choose({"b": "Back"}, numbers=len(REPORT_FIGURES))
        if choice == "b":
            return
        figure = REPORT_FIGURES[int(choice) - 1]
        attempt(session, explain_report_figure, title, figure, said[figure])


def explain_report_figure(session: Session, title: dict, figure: str, said: str) -> None:
    answer = session.api.request("GET", f"/api/titles/{title['id']}/report/explain", query={"figure": figure})
    parts = answer["parts"]
    if not parts:
        print(f"\n{said}: nobody makes it yet.")
        return
    people = lambda count: "1 person" if count == 1 else f"{count} people"  # noqa: E731
    if figure == "average_rating":
        count = sum(part["count"] for part in parts)
        how = " + ".join(f"{number(part['value'])} x {part['count']}" for part in parts)
        print(f"\n{said} = ({how}) / {count}:")
    else:
        print(f"\n{said}:")
    for part in parts:
        if figure.startswith("counts."):
            print(f"  {people(part['count'])} with {counted(title['unit'], part['value'])} done")
        elif figure == "completion_rate":
            print(f"  {people(part['count'])} {'finished it' if part['value'] else 'did not finish it (yet)'}")
        else:
            print(f"  {people(part['count'])} gave it {number(part['value'])}")
