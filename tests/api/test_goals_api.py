"""Goals and the year in review through the real Flask stack: what a goal counts in each period,
worked out by hand from the entries, moved by a backdated entry and a retraction, unchanged by a
rebuild; bad goals refused with the field named; one's own goals only."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from progress_service.projections import rebuild
from tests.helpers import log, problem_of


@pytest.fixture
def books(db):
    """Two new books: (300 pages, 200 pages)."""
    with db.transaction() as conn:
        return tuple(conn.execute(sa.text(
            "INSERT INTO titles (kind, name, total_units) VALUES ('book', :name, :total) RETURNING id"),
            {"name": f"Goal book {uuid.uuid4().hex[:8]}", "total": total}).scalar_one() for total in (300, 200))


def logged(client, headers, **body) -> dict:
    response = log(client, headers, **body)
    assert response.status_code == 201, response.json
    return response.json


def goal(client, user, headers, **body) -> dict:
    response = client.post(f"/api/progress/{user['id']}/goals", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def periods(g) -> list[tuple[str, str, int]]:
    """A goal's periods, oldest first, with their values."""
    past = [(p["period_start"], p["period_end"], p["value"]) for p in reversed(g["history"])]
    c = g["current"]
    return past + [(c["period_start"], c["period_end"], c["value"])]


QUARTER = {"period": "month", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}


def read_a_quarter(client, headers, a, b):
    """Book a (300 pages): page 40 on 10 Jan, 90 on 5 Feb, finished 20 Feb, started again 3 Mar,
    page 30 on 10 Mar. Book b (200 pages): page 50 on 15 Mar. Returns the finishing entry of a."""
    logged(client, headers, title_id=a, progress=40, occurred_at="2026-01-10T20:00:00+00:00")
    logged(client, headers, title_id=a, progress=90, occurred_at="2026-02-05T20:00:00+00:00")
    finished = logged(client, headers, title_id=a, progress=300, occurred_at="2026-02-20T20:00:00+00:00")
    logged(client, headers, title_id=a, restart=True, occurred_at="2026-03-03T20:00:00+00:00")
    logged(client, headers, title_id=a, progress=30, occurred_at="2026-03-10T20:00:00+00:00")
    logged(client, headers, title_id=b, progress=50, occurred_at="2026-03-15T20:00:00+00:00")
    return finished


def test_goals_count_what_occurred_in_each_period_and_move_with_a_backdated_entry_a_retraction_not_a_rebuild(
        client, register, books, db):
    user, headers = register()
    a, b = books
    finished = read_a_quarter(client, headers, a, b)
    pages = goal(client, user, headers, measure="units", unit="page", target=100, **QUARTER)
    finishes = goal(client, user, headers, measure="completions", kind="book", target=1, **QUARTER)
    entries = goal(client, user, headers, measure="entries", target=3, **QUARTER)
    assert pages["name"] == "100 pages a month" and finishes["name"] == "1 book a month"
    months = [("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31")]
    # January: 40 pages. February: 50, then the last 210. March: the new pass from 0 to 30, and 50 of b.
    assert periods(pages) == [(*months[0], 40), (*months[1], 260), (*months[2], 80)]
    assert periods(finishes) == [(*months[0], 0), (*months[1], 1), (*months[2], 0)]
    assert periods(entries) == [(*months[0], 1), (*months[1], 2), (*months[2], 3)]
    # The quarter is over: March was to reach the whole target, and it did not.
    assert pages["current"] == {"period_start": "2026-03-01", "period_end": "2026-03-31", "value": 80,
                                "target": 100, "percent": 80.0, "expected_by_now": 100.0, "on_track": False}
    assert [p["met"] for p in pages["history"]] == [True, False]  # newest first: February, January

    def now_counted():
        listed = client.get(f"/api/progress/{user['id']}/goals", headers=headers).json["items"]
        return {g["id"]: periods(g) for g in listed}

    # Book b finished on 25 Jan, logged late: b's page 50 on 15 Mar is then a step back (0 in March).
    logged(client, headers, title_id=b, progress=200, occurred_at="2026-01-25T12:00:00+00:00")
    counted = now_counted()
    assert counted[pages["id"]] == [(*months[0], 240), (*months[1], 260), (*months[2], 30)]
    assert counted[finishes["id"]] == [(*months[0], 1), (*months[1], 1), (*months[2], 0)]
    assert counted[entries["id"]] == [(*months[0], 2), (*months[1], 2), (*months[2], 3)]

    # Taking back a's finish on 20 Feb: February has only the 50 pages from 40 to 90, and no finish.
    assert client.delete(f"/api/progress/log/{finished['id']}", headers=headers).status_code == 200
    counted = now_counted()
    assert counted[pages["id"]] == [(*months[0], 240), (*months[1], 50), (*months[2], 30)]
    assert counted[finishes["id"]] == [(*months[0], 1), (*months[1], 0), (*months[2], 0)]
    assert counted[entries["id"]] == [(*months[0], 2), (*months[1], 1), (*months[2], 3)]

    with db.transaction() as conn:
        rebuild.rebuild(conn)
    assert now_counted() == counted


def test_a_goal_on_one_title_and_weeks_from_monday_cut_to_the_goal_days(client, register, books):
    user, headers = register()
    a, b = books
    logged(client, headers, title_id=a, progress=10, occurred_at="2026-01-07T08:00:00+00:00")  # Wednesday
    logged(client, headers, title_id=a, progress=25, occurred_at="2026-01-11T23:59:00+00:00")  # Sunday
    logged(client, headers, title_id=a, progress=60, occurred_at="2026-01-12T00:00:00+00:00")  # Monday
    logged(client, headers, title_id=b, progress=100, occurred_at="2026-01-13T10:00:00+00:00")
    logged(client, headers, title_id=a, progress=70, occurred_at="2026-01-21T10:00:00+00:00")  # after the goal
    weekly = goal(client, user, headers, measure="units", title_id=a, target=20, period="week",
                  starts_on="2026-01-07", ends_on="2026-01-20")
    assert weekly["unit"] == "page"  # the title's
    assert periods(weekly) == [("2026-01-07", "2026-01-11", 25), ("2026-01-12", "2026-01-18", 35),
                               ("2026-01-19", "2026-01-20", 0)]
    assert [p["met"] for p in weekly["history"]] == [True, True]


def test_the_current_period_says_the_pace_by_today(client, register, books):
    user, headers = register()
    a, _ = books
    today = datetime.now(timezone.utc).date()
    logged(client, headers, title_id=a, progress=1)
    # 20 days, today the 10th: by tonight half the target is due.
    g = goal(client, user, headers, measure="entries", target=10, period="once",
             starts_on=(today - timedelta(days=9)).isoformat(), ends_on=(today + timedelta(days=10)).isoformat())
    assert g["current"] == {"period_start": (today - timedelta(days=9)).isoformat(),
                            "period_end": (today + timedelta(days=10)).isoformat(), "value": 1, "target": 10,
                            "percent": 10.0, "expected_by_now": 5.0, "on_track": False}
    assert g["history"] == []
    for page in range(2, 7):
        logged(client, headers, title_id=a, progress=page)
    g = client.get(f"/api/progress/{user['id']}/goals/{g['id']}", headers=headers).json
    assert (g["current"]["value"], g["current"]["percent"], g["current"]["on_track"]) == (6, 60.0, True)
    # A goal that starts next year: nothing is due yet.
    later = goal(client, user, headers, measure="completions", kind="book", target=20, period="year",
                 starts_on=f"{today.year + 1}-01-01")
    assert later["name"] == "20 books a year"
    assert later["current"] == {"period_start": f"{today.year + 1}-01-01", "period_end": f"{today.year + 1}-12-31",
                                "value": 0, "target": 20, "percent": 0.0, "expected_by_now": 0.0, "on_track": True}


def test_changing_and_deleting_a_goal(client, register, books):
    user, headers = register()
    a, _ = books
    logged(client, headers, title_id=a, progress=40, occurred_at="2026-01-10T20:00:00+00:00")
    g = goal(client, user, headers, measure="units", unit="page", target=100, **QUARTER)
    url = f"/api/progress/{user['id']}/goals/{g['id']}"
    changed = client.patch(url, json={"target": 30}, headers=headers)
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "30 pages a month"  # the name the service gave follows the goal
    assert changed.json["history"][-1] == {"period_start": "2026-01-01", "period_end": "2026-01-31", "value": 40,
                                           "met": True}
    named = client.patch(url, json={"name": "Read more", "period": "once"}, headers=headers).json
    assert (named["name"], named["period"], periods(named)) == ("Read more", "once",
                                                                [("2026-01-01", "2026-03-31", 40)])
    problem = problem_of(client.patch(url, json={"ends_on": "2025-12-31"}, headers=headers), 422)
    assert "ends_on" in problem["errors"]
    assert client.get(url, headers=headers).json["ends_on"] == "2026-03-31"  # the refused change changed nothing
    assert client.delete(url, headers=headers).status_code == 204
    problem_of(client.get(url, headers=headers), 404)
    problem_of(client.delete(url, headers=headers), 404)
    problem_of(client.patch(url, json={"target": 3}, headers=headers), 404)
    assert client.get(f"/api/progress/{user['id']}/goals", headers=headers).json == {"items": []}


@pytest.mark.parametrize("body, field", [
    ({"target": 0}, "target"),
    ({"target": -5}, "target"),
    ({"ends_on": "2026-01-31", "starts_on": "2026-02-01"}, "ends_on"),
    ({"measure": "pages"}, "measure"),
    ({"period": "fortnight"}, "period"),
    ({"kind": "film"}, "kind"),
    ({"measure": "units", "kind": "custom"}, "unit"),  # which of one's own units?
    ({"measure": "units"}, "unit"),
    ({"measure": "units", "kind": "book", "unit": "episode"}, "unit"),
    ({"unit": "page"}, "unit"),
    ({"period": "once"}, "ends_on"),
    ({"title_id": 2**62}, "title_id"),
])
def test_a_bad_goal_is_a_422_naming_the_field_and_keeps_nothing(client, register, body, field):
    user, headers = register()
    goal_body = {"measure": "completions", "target": 20, "period": "year", "starts_on": "2027-01-01", **body}
    problem = problem_of(client.post(f"/api/progress/{user['id']}/goals", json=goal_body, headers=headers), 422)
    assert field in problem["errors"]
    assert client.get(f"/api/progress/{user['id']}/goals", headers=headers).json == {"items": []}


def test_a_goal_on_a_title_one_does_not_track_is_refused(client, register, books):
    user, headers = register()
    problem = problem_of(client.post(f"/api/progress/{user['id']}/goals", headers=headers, json={
        "measure": "completions", "title_id": books[0], "target": 1, "period": "once", "starts_on": "2026-01-01",
        "ends_on": "2026-06-30"}), 422)
    assert "title_id" in problem["errors"] and "no tracker" in problem["detail"]


def test_goals_are_their_owners_an_admin_may_read_them(client, register, app, books):
    owner, owner_headers = register()
    other, other_headers = register()
    g = goal(client, owner, owner_headers, measure="entries", target=3, period="week", starts_on="2026-01-05")
    base = f"/api/progress/{owner['id']}/goals"
    for method, url in (("GET", base), ("POST", base), ("GET", f"{base}/{g['id']}"), ("PATCH", f"{base}/{g['id']}"),
                        ("DELETE", f"{base}/{g['id']}"), ("GET", f"/api/progress/{owner['id']}/review?year=2026")):
        problem_of(client.open(url, method=method, json={"target": 1}, headers=other_headers), 403)
    # another user's goal id under one's own path is just unknown
    problem_of(client.get(f"/api/progress/{other['id']}/goals/{g['id']}", headers=other_headers), 404)
    accounts = app.extensions["progress_service.accounts"]
    admin = accounts.create_admin(f"goals_{uuid.uuid4().hex[:8]}", "admin password")
    admin_headers = {"Authorization": f"Bearer {accounts.token_for(admin)}"}
    assert client.get(f"{base}/{g['id']}", headers=admin_headers).json["name"] == "3 entries a week"
    problem_of(client.delete(f"{base}/{g['id']}", headers=admin_headers), 403)


def test_the_year_in_review(client, register, books):
    user, headers = register()
    a, b = books
    logged(client, headers, title_id=a, progress=100, occurred_at="2025-03-01T09:00:00+00:00")
    logged(client, headers, title_id=a, progress=300, occurred_at="2025-03-02T09:00:00+00:00")
    logged(client, headers, title_id=a, rating=4.5, occurred_at="2025-03-03T09:00:00+00:00")
    logged(client, headers, title_id=b, progress=50, occurred_at="2025-03-04T23:30:00+00:00")
    logged(client, headers, title_id=b, progress=200, occurred_at="2025-07-10T09:00:00+00:00")
    logged(client, headers, title_id=b, rating=3, occurred_at="2025-07-10T10:00:00+00:00")
    logged(client, headers, title_id=b, restart=True, occurred_at="2026-01-05T09:00:00+00:00")  # the next year
    logged(client, headers, title_id=a, progress=120, occurred_at="2024-12-31T23:00:00+00:00")  # the year before
    goal(client, user, headers, measure="completions", kind="book", target=1, period="month",
         starts_on="2025-01-01", ends_on="2025-12-31")
    review = client.get(f"/api/progress/{user['id']}/review?year=2025", headers=headers)
    assert review.status_code == 200, review.json
    body = review.json
    assert body["counts"] == {"planned": 0, "in_progress": 0, "completed": 2, "paused": 0, "dropped": 0}
    # a: from page 120 (read in 2024) to 300; b: 200 pages
    assert body["units"] == {"episode": 0, "page": 180 + 200, "track": 0, "play": 0}
    assert body["completions_per_month"] == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert body["completions"] == 2 and body["entries"] == 6
    assert [(t["title_id"], t["rating"]) for t in body["top_rated"]] == [(a, 4.5), (b, 3.0)]
    assert body["longest_streak"] == {"days": 4, "first_day": "2025-03-01", "last_day": "2025-03-04"}
    assert [(g["name"], g["periods"], g["met"]) for g in body["goals_met"]] == [("1 book a month", 12, 2)]

    next_year = client.get(f"/api/progress/{user['id']}/review?year=2026", headers=headers).json
    assert next_year["counts"]["completed"] == 1 and next_year["counts"]["in_progress"] == 1  # b again
    assert next_year["completions_per_month"] == [0] * 12 and next_year["top_rated"] == []
    assert next_year["longest_streak"] == {"days": 1, "first_day": "2026-01-05", "last_day": "2026-01-05"}
    problem_of(client.get(f"/api/progress/{user['id']}/review", headers=headers), 400)


def test_a_goal_on_a_title_of_another_kind_or_unit_is_refused_in_words_and_a_new_kind_brings_its_unit(
        client, register, books, show):
    user, headers = register()
    a, _ = books
    logged(client, headers, title_id=a, progress=10)
    base = f"/api/progress/{user['id']}/goals"
    problem = problem_of(client.post(base, headers=headers, json={
        "measure": "units", "title_id": a, "kind": "tv_show", "target": 5, "period": "day", "starts_on": "2026-01-01"}),
        422)
    assert "is a book, not a TV show" in problem["detail"] and "kind" in problem["errors"]
    problem = problem_of(client.post(base, headers=headers, json={
        "measure": "units", "kind": "book", "unit": "episode", "target": 5, "period": "day",
        "starts_on": "2026-01-01"}), 422)
    assert problem["detail"] == "Books are counted in pages, not episodes."
    g = goal(client, user, headers, measure="units", kind="book", target=50, period="week", starts_on="2026-01-05")
    assert (g["unit"], g["name"]) == ("page", "50 pages a week")
    changed = client.patch(f"{base}/{g['id']}", json={"kind": "tv_show"}, headers=headers)
    assert changed.status_code == 200, changed.json
    assert (changed.json["unit"], changed.json["name"]) == ("episode", "50 episodes a week")
    changed = client.patch(f"{base}/{g['id']}", json={"measure": "completions"}, headers=headers).json
    assert (changed["unit"], changed["name"]) == (None, "50 TV shows a week")
    problem = problem_of(client.post(base, headers=headers, json={
        "measure": "entries", "target": 5, "period": "year", "starts_on": "9999-01-01"}), 422)
    assert "starts_on" in problem["errors"]
