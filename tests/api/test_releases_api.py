"""Releases and the calendar through the real Flask stack: a tracker's release_date and released,
progress refused before a title is out, upcoming and up next, the month calendar and the secret
iCalendar feed. Dates are worked out from today (UTC), as the service counts them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from tests.helpers import log, problem_of


def today() -> date:
    return datetime.now(timezone.utc).date()


@pytest.fixture
def new_title(db):
    """A title of the catalog coming out ``days`` from today (negative: out already)."""
    def make(days: int | None, *, kind: str = "tv_show", total: int | None = 62, name: str = "Show") -> int:
        with db.transaction() as conn:
            return conn.execute(sa.text(
                "INSERT INTO titles (kind, name, total_units, release_date) VALUES (:kind, :name, :total, :released) "
                "RETURNING id"), {"kind": kind, "name": f"{name} {uuid.uuid4().hex[:8]}", "total": total,
                                  "released": None if days is None else today() + timedelta(days=days)}).scalar_one()
    return make


def logged(client, headers, **body) -> dict:
    response = log(client, headers, **body)
    assert response.status_code == 201, response.json
    return response.json


def test_a_title_out_tomorrow_refuses_progress_saying_when_and_may_be_planned(client, register, new_title):
    user, headers = register()
    tomorrow = today() + timedelta(days=1)
    title = new_title(1)
    said = f"comes out on {tomorrow.day} {tomorrow:%b %Y}"  # e.g. "comes out on 14 Mar 2027"
    for change, field in (({"delta": 1}, "delta"), ({"progress": 3}, "progress"),
                          ({"status": "in_progress"}, "status"), ({"status": "completed"}, "status")):
        refused = problem_of(log(client, headers, title_id=title, **change), 422)
        assert said in refused["detail"] and field in refused["errors"]
    assert client.get(f"/api/progress/{user['id']}/trackers/{title}", headers=headers).status_code == 404

    logged(client, headers, title_id=title, status="planned")
    tracker = client.get(f"/api/progress/{user['id']}/trackers/{title}", headers=headers).json
    assert (tracker["status"], tracker["release_date"], tracker["released"]) == ("planned", tomorrow.isoformat(), False)
    assert said in problem_of(log(client, headers, title_id=title, delta=1), 422)["detail"]
    assert said in problem_of(client.put(f"/api/progress/{user['id']}/trackers/{title}", json={"progress": 2},
                                         headers=headers), 422)["detail"]
    assert client.get(f"/api/progress/{user['id']}/trackers/{title}", headers=headers).json["version"] == 1

    upcoming = client.get(f"/api/progress/{user['id']}/upcoming", headers=headers)
    assert upcoming.status_code == 200
    assert [(t["title_id"], t["released"]) for t in upcoming.json["items"]] == [(title, False)]
    assert client.get(f"/api/progress/{user['id']}/up-next", headers=headers).json == {"items": []}


def test_upcoming_lists_the_soonest_first_and_none_that_is_out(client, register, new_title):
    user, headers = register()
    in_a_month, in_three_days, out = new_title(30), new_title(3), new_title(-3)
    for title in (in_a_month, in_three_days, out):
        logged(client, headers, title_id=title, status="planned")
    items = client.get(f"/api/progress/{user['id']}/upcoming", headers=headers).json["items"]
    assert [(t["title_id"], t["release_date"]) for t in items] == [
        (in_three_days, (today() + timedelta(days=3)).isoformat()),
        (in_a_month, (today() + timedelta(days=30)).isoformat())]


def test_a_title_that_is_out_is_up_next_with_the_unit_that_comes_next(client, register, new_title, now):
    user, headers = register()
    show, album, song, finished = new_title(-10), new_title(-1, kind="album", total=12), \
        new_title(None, kind="song", total=None), new_title(-400)
    logged(client, headers, title_id=finished, progress=62, occurred_at=(now - timedelta(hours=5)).isoformat())
    logged(client, headers, title_id=song, delta=1, occurred_at=(now - timedelta(hours=4)).isoformat())
    logged(client, headers, title_id=album, status="planned", occurred_at=(now - timedelta(hours=3)).isoformat())
    logged(client, headers, title_id=show, progress=13, occurred_at=(now - timedelta(hours=2)).isoformat())

    items = client.get(f"/api/progress/{user['id']}/up-next", headers=headers).json["items"]
    assert [(t["title_id"], t["status"], t["next_unit"]) for t in items] == [
        (show, "in_progress", {"number": 14, "total": 62, "unit": "episode"}),  # episode 14 of 62
        (album, "planned", {"number": 1, "total": 12, "unit": "track"}),
        (song, "in_progress", None)]  # a song has no total
    assert all(t["released"] for t in items)

    logged(client, headers, title_id=album, delta=1)  # touched last: first now
    items = client.get(f"/api/progress/{user['id']}/up-next", headers=headers).json["items"]
    assert [(t["title_id"], t["next_unit"]["number"]) for t in items[:2]] == [(album, 2), (show, 14)]


def test_a_kept_tracker_object_says_released_once_its_title_is_out(client, db, register, new_title):
    """The timeline keeps each entry's tracker object, rendered when the entry is made: planned the
    day before its title comes out, it must not go on saying unreleased once the day has come."""
    user, headers = register()
    title = new_title(1)
    logged(client, headers, title_id=title, status="planned")
    history = client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]
    assert history[0]["state"]["released"] is False
    with db.transaction() as conn:  # the clock passes the release date: the title itself is not edited
        conn.execute(sa.text("UPDATE titles SET release_date = current_date - 1 WHERE id = :id"), {"id": title})
        kept = conn.execute(sa.text("SELECT title_revision = t.revision FROM tracker_versions v JOIN titles t "
                                    "ON t.id = v.title_id WHERE v.user_id = :u"), {"u": user["id"]}).scalar_one()
    assert kept  # the timeline serves the object it kept
    yesterday = (today() - timedelta(days=1)).isoformat()
    base = f"/api/progress/{user['id']}"
    for state in (client.get(f"{base}/history", headers=headers).json["items"][0]["state"],
                  client.get(f"{base}/history?order=occurred", headers=headers).json["items"][0]["state"],
                  client.get(f"{base}/trackers/{title}?version=1", headers=headers).json,
                  client.get(f"{base}/trackers/{title}", headers=headers).json):
        assert (state["released"], state["release_date"]) == (True, yesterday)
    logged(client, headers, title_id=title, delta=1)  # and progress on it is taken now


def test_the_month_calendar_gives_every_day_with_its_entries_and_releases(client, db, register, new_title):
    user, headers = register()
    title = new_title(None)
    with db.transaction() as conn:
        conn.execute(sa.text("UPDATE titles SET release_date = '2026-03-14' WHERE id = :id"), {"id": title})
    logged(client, headers, title_id=title, status="planned", occurred_at="2026-03-02T10:00:00+00:00")
    logged(client, headers, title_id=title, progress=6, occurred_at="2026-03-14T23:30:00+00:00")
    logged(client, headers, title_id=title, progress=5, occurred_at="2026-03-14T21:00:00+00:00")  # backdated
    logged(client, headers, title_id=title, progress=7, occurred_at="2026-04-01T00:30:00+00:00")

    calendar = client.get(f"/api/progress/{user['id']}/calendar?month=2026-03", headers=headers)
    assert calendar.status_code == 200
    days = calendar.json["days"]
    assert calendar.json["month"] == "2026-03"
    assert [d["date"] for d in days] == [f"2026-03-{n:02}" for n in range(1, 32)]
    busy = {d["date"]: d for d in days if d["entries"] or d["releases"]}
    assert set(busy) == {"2026-03-02", "2026-03-14"}
    assert [e["summary"] for e in busy["2026-03-02"]["entries"]] == ["Planned"]
    assert busy["2026-03-02"]["releases"] == []
    fourteenth = busy["2026-03-14"]
    assert [(e["summary"], e["event"]["occurred_at"], e["state"]["progress"]) for e in fourteenth["entries"]] == [
        ("Watched episode 5 of 62", "2026-03-14T21:00:00+00:00", 5),
        ("Watched episode 6 of 62", "2026-03-14T23:30:00+00:00", 6)]
    assert [(r["id"], r["release_date"]) for r in fourteenth["releases"]] == [(title, "2026-03-14")]

    april = client.get(f"/api/progress/{user['id']}/calendar?month=2026-04", headers=headers).json["days"]
    assert len(april) == 30 and [e["summary"] for e in april[0]["entries"]] == ["Watched episode 7 of 62"]
    assert len(client.get(f"/api/progress/{user['id']}/calendar?month=2026-02", headers=headers).json["days"]) == 28


def test_the_month_calendar_counts_days_in_the_users_timezone(client, register, new_title):
    user, headers = register()
    title = new_title(None)
    logged(client, headers, title_id=title, status="planned", occurred_at="2026-03-10T12:00:00+00:00")
    # 02:00 UTC on 1 April is 22:00 on 31 March in New York (EDT, UTC-4)
    logged(client, headers, title_id=title, progress=1, occurred_at="2026-04-01T02:00:00+00:00")
    base = f"/api/progress/{user['id']}/calendar"
    utc = client.get(f"{base}?month=2026-04", headers=headers).json  # no settings yet: days in UTC
    assert utc["timezone"] == "UTC" and [e["summary"] for e in utc["days"][0]["entries"]] == ["Watched episode 1 of 62"]
    changed = client.put("/api/users/me/notifications", headers=headers, json={"timezone": "America/New_York"})
    assert changed.status_code == 200, changed.json
    march = client.get(f"{base}?month=2026-03", headers=headers).json
    assert march["timezone"] == "America/New_York"
    assert [e["summary"] for e in march["days"][30]["entries"]] == ["Watched episode 1 of 62"]  # 31 March
    assert [e["summary"] for e in march["days"][9]["entries"]] == ["Planned"]  # 08:00 on 10 March there
    april = client.get(f"{base}?month=2026-04", headers=headers).json
    assert all(day["entries"] == [] for day in april["days"])


@pytest.mark.parametrize("month", ["2026-13", "March", "2026-3", "2026-03-01", ""])
def test_a_month_that_is_not_one_is_refused_with_a_sentence(client, register, month):
    user, headers = register()
    refused = problem_of(client.get(f"/api/progress/{user['id']}/calendar?month={month}", headers=headers), 400)
    assert refused["errors"]["month"]


def test_another_users_releases_and_calendar_are_not_yours(client, register):
    user, _ = register()
    _, other = register()
    for route in ("upcoming", "up-next", "calendar?month=2026-03"):
        assert problem_of(client.get(f"/api/progress/{user['id']}/{route}", headers=other), 403)
        assert problem_of(client.get(f"/api/progress/{user['id']}/{route}"), 401)
    assert problem_of(client.get("/api/users/me/calendar-url"), 401)
    assert problem_of(client.delete("/api/users/me/calendar-url"), 401)


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_calendar_feed_gives_releases_and_completions_and_a_new_address_ends_the_old(
        client, db, register, new_title):
    user, headers = register()
    _, other = register()
    coming, done, dateless = new_title(20, name="Coming"), new_title(None, name="Done", total=10), new_title(None)
    with db.transaction() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name FROM titles WHERE id IN (:a, :b)"),
                                  {"a": coming, "b": done}).all())
    logged(client, headers, title_id=coming, status="planned")
    logged(client, headers, title_id=done, progress=10, occurred_at="2026-05-03T19:30:00+00:00")
    logged(client, headers, title_id=dateless, status="planned")

    first = client.get("/api/users/me/calendar-url", headers=headers)
    assert first.status_code == 200
    url = first.json["url"]
    assert url.startswith("http://localhost/api/calendar/") and url.endswith(".ics")
    assert client.get("/api/users/me/calendar-url", headers=headers).json["url"] == url  # the same, asked again
    assert client.get("/api/users/me/calendar-url", headers=other).json["url"] != url

    path = url.removeprefix("http://localhost")
    feed = client.get(path)  # no bearer token
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = _events(feed.data)
    assert set(events) == {f"{names[coming]} comes out", f"Finished {names[done]}"}
    assert events[f"{names[coming]} comes out"].decoded("dtstart") == today() + timedelta(days=20)
    assert events[f"Finished {names[done]}"].decoded("dtstart") == datetime(2026, 5, 3, 19, 30, tzinfo=timezone.utc)

    renewed = client.delete("/api/users/me/calendar-url", headers=headers)
    assert renewed.status_code == 200 and renewed.json["url"] != url
    assert "replaced" in problem_of(client.get(path), 404)["detail"]
    assert client.get(renewed.json["url"].removeprefix("http://localhost")).status_code == 200
    assert client.get("/api/users/me/calendar-url", headers=headers).json["url"] == renewed.json["url"]


@pytest.mark.parametrize("token", ["nothing", "1-" + "A" * 43, "0-" + "A" * 43, "9" * 19 + "-" + "A" * 43,
                                   "99999999999999999999-x"])
def test_a_feed_address_that_was_never_made_is_not_found(client, token):
    problem_of(client.get(f"/api/calendar/{token}.ics"), 404)
