"""Explained figures agree with the figures they explain, over random histories written through the
service (corrections, retractions, rollbacks, removals, backdated entries): for every figure of the
summary and of a title's report, the parts add up to the value, and the value is the figure the
summary or the report gives."""
from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from tests.api.test_explain_api import FIGURES, REPORT_FIGURES
from tests.histories import service_writes, write_through


def figure_of(answer: dict, figure: str):
    group, _, name = figure.partition(".")
    return answer[group][name] if name else answer[group]


def mean(total, count: int, places: int):
    return round(total / count, places) if count else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=service_writes)
def test_every_explained_figure_adds_up_to_the_figure_it_explains(app, client, tracker, db, make_user, show, song,
                                                                   script, now):
    user = make_user()
    with db.read() as conn:
        small = conn.execute(sa.text("SELECT id FROM titles WHERE total_units <= 12 ORDER BY id LIMIT 1")).scalar()
    titles = [show[0], song[0], small]
    write_through(tracker, user, titles, script, now)
    headers = {"Authorization": f"Bearer {app.extensions['progress_service.tokens'].issue(user, 'user', 0)}"}

    summary = client.get(f"/api/progress/summary/{user}", headers=headers).json
    streams = {title: {entry.id for entry in tracker.history(user, title)} for title in titles}
    for figure in FIGURES:
        answer = client.get(f"/api/progress/summary/{user}/explain?figure={figure}", headers=headers).json
        values = [part["value"] for part in answer["parts"]]
        if figure == "ratings.average":
            assert answer["value"] == mean(sum(values), len(values), 2), figure
        else:
            assert answer["value"] == sum(values), figure
        assert answer["value"] == figure_of(summary, figure), figure
        for part in answer["parts"]:
            assert part["entries"] and set(part["entries"]) <= streams[part["title_id"]], (figure, part)
            assert len(part["entries"]) == 1 or figure.startswith("units."), (figure, part)
            assert [detail["id"] for detail in part["entry_details"]] == part["entries"]

    for title in titles:
        report = client.get(f"/api/titles/{title}/report").json
        for figure in REPORT_FIGURES:
            answer = client.get(f"/api/titles/{title}/report/explain?figure={figure}").json
            count = sum(part["count"] for part in answer["parts"])
            weighted = sum(part["value"] * part["count"] for part in answer["parts"])
            expected = {"average_rating": mean(weighted, count, 2),
                        "completion_rate": mean(weighted, count, 4)}.get(figure, count)
            assert answer["value"] == expected == figure_of(report, figure), (title, figure)
