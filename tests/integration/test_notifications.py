"""Reminders and digests, sent by ``python -m progress_service notify`` and the queue's worker to a
real SMTP server on loopback (aiosmtpd), each at most once however many senders run or die."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from progress_service import catalog, queue
from progress_service.__main__ import main
from progress_service.config import Config
from progress_service.db import Database
from progress_service.domain.rules import AddProgress, SetProgress, SetStatus
from progress_service.goals import Goals
from progress_service.notifications import unsubscribe
from progress_service.schema import prepare_schema
from progress_service.services import Trackers
from tests.mail import smtp_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def inbox():
    with smtp_server() as handler:
        yield handler


@pytest.fixture
def mail_db(new_database):
    """A database of its own: what is due depends on every user in it."""
    database = Database(new_database(), pool_size=10)
    prepare_schema(database)
    yield database
    database.dispose()


@pytest.fixture
def env(mail_db, inbox, tmp_path, monkeypatch):
    """The environment a `notify` runs in: this database, the SMTP server, a data folder."""
    values = {"DATABASE_URL": mail_db.url, "SMTP_URL": inbox.url, "PROGRESS_SERVICE_DATA_DIR": str(tmp_path),
              "PROGRESS_SERVICE_SECRET_KEY": "a signing secret for the tests of the mail, long enough"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def person(db: Database, *, timezone_: str = "UTC", reminder_at: str | None = None, weekly: bool = False,
           monthly: bool = False, releases: bool = False) -> tuple[int, str]:
    address = f"{uuid.uuid4().hex[:10]}@example.org"
    with db.transaction() as conn:
        user_id = conn.execute(sa.text("INSERT INTO users (username, email, password_hash) VALUES (:name, :email, 'x') "
                                       "RETURNING id"), {"name": f"ann_{uuid.uuid4().hex[:8]}", "email": address}).scalar()
        conn.execute(sa.text(
            "INSERT INTO notification_settings (user_id, timezone, reminder_enabled, reminder_at, weekly_digest, "
            "monthly_digest, releases) VALUES (:user_id, :timezone, :reminder, :at, :weekly, :monthly, :releases)"),
            {"user_id": user_id, "timezone": timezone_, "reminder": reminder_at is not None,
             "at": reminder_at or "20:00", "weekly": weekly, "monthly": monthly, "releases": releases})
    return user_id, address


def title(db: Database, kind: str) -> tuple[int, str]:
    with db.read() as conn:
        return tuple(conn.execute(sa.text("SELECT id, name FROM titles WHERE kind = :kind AND total_units >= 10 "
                                          "ORDER BY id LIMIT 1"), {"kind": kind}).one())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def notify(capsys, moment: str) -> tuple[int, list[str]]:
    status = main(["notify", "--at", moment])
    return status, capsys.readouterr().out.splitlines()


def sent_rows(db: Database, user_id: int) -> list[dict]:
    with db.read() as conn:
        return [dict(row) for row in conn.execute(sa.text(
            "SELECT kind, period, delivered_at FROM notifications_sent WHERE user_id = :id ORDER BY period"),
            {"id": user_id}).mappings()]


def test_a_reminder_goes_out_at_its_time_in_the_users_timezone_on_a_day_with_no_entry(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, timezone_="Europe/Paris", reminder_at="20:00")
    # 18:55 UTC is 19:55 in Paris: not yet
    assert notify(capsys, "2026-12-02T18:55:00Z") == (0, ["no mail is due at 2026-12-02T18:55+00:00"])
    assert inbox.to(address) == []
    status, lines = notify(capsys, "2026-12-02T19:05:00Z")  # 20:05 in Paris
    assert status == 0 and lines == [f"sent the daily reminder for 2026-12-02 to {address}: "
                                     "Nothing logged today (2 Dec 2026)"]
    [mail] = inbox.to(address)
    assert mail["Subject"] == "Nothing logged today (2 Dec 2026)"
    assert "you have logged nothing today, 2 Dec 2026" in mail.get_body(("plain",)).get_content()
    assert "/api/notifications/unsubscribe?token=" in mail.get_body(("html",)).get_content()
    # later the same evening: already sent
    assert notify(capsys, "2026-12-02T21:00:00Z")[1] == ["no mail is due at 2026-12-02T21:00+00:00"]
    assert len(inbox.to(address)) == 1


def test_no_reminder_on_a_day_with_an_entry_by_when_it_occurred_in_the_users_timezone(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, timezone_="America/New_York", reminder_at="21:00")
    show, _ = title(mail_db, "tv_show")
    # 01:30 UTC on 2 Dec is 20:30 on 1 Dec in New York: an entry of the 1st there
    Trackers(mail_db).log(user_id, show, [SetProgress(2)], occurred_at=at("2026-12-02T01:30:00Z"))
    notify(capsys, "2026-12-02T02:05:00Z")  # 21:05 on 1 Dec in New York
    assert inbox.to(address) == []
    notify(capsys, "2026-12-03T02:05:00Z")  # 21:05 on 2 Dec: nothing logged that day
    assert [mail["Subject"] for mail in inbox.to(address)] == ["Nothing logged today (2 Dec 2026)"]


def test_a_weekly_digest_tells_the_week_with_a_chart_and_a_plain_text_part(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, weekly=True)
    show, show_name = title(mail_db, "tv_show")
    book, book_name = title(mail_db, "book")
    trackers = Trackers(mail_db)
    trackers.log(user_id, show, [SetProgress(2)], occurred_at=at("2026-11-20T20:00:00Z"))  # the week before
    for episode, hour in ((3, 19), (4, 20), (5, 21)):  # Tuesday 24 Nov: episodes 3 to 5
        trackers.log(user_id, show, [SetProgress(episode)], occurred_at=at(f"2026-11-24T{hour}:00:00Z"))
    trackers.log(user_id, book, [SetStatus("completed")], occurred_at=at("2026-11-26T09:00:00Z"))  # Thursday
    trackers.log(user_id, show, [SetProgress(6)], occurred_at=at("2026-11-30T10:00:00Z"))  # the week after
    status, lines = notify(capsys, "2026-11-30T12:00:00Z")  # Monday
    subject = "Your week: 4 entries, the week of 23 Nov 2026"
    assert (status, lines) == (0, [f"sent the weekly digest for 2026-W48 to {address}: {subject}"])
    [mail] = inbox.to(address)
    assert mail["Subject"] == subject
    text = mail.get_body(("plain",)).get_content()
    assert "Entries: 4" in text and "Completions: 1" in text
    assert f"- {show_name}: 3 entries, 3 episodes" in text  # from episode 2 to episode 5
    assert f"- {book_name}: 1 entry" in text and "completed" in text.split(book_name)[1].splitlines()[0]
    html = mail.get_body(("html",)).get_content()
    assert '<img src="cid:activity"' in html
    [chart] = [part for part in mail.walk() if part.get_content_type() == "image/svg+xml"]
    assert chart["Content-ID"] == "<activity>"
    svg = chart.get_content()
    svg = svg.decode() if isinstance(svg, bytes) else svg
    assert "Tue: 3" in svg and "Thu: 1" in svg and "Mon: 0" in svg  # one bar a day, Monday to Sunday
    assert notify(capsys, "2026-12-01T12:00:00Z")[1] == ["no mail is due at 2026-12-01T12:00+00:00"]


def titles_of(db: Database, kind: str, count: int) -> list[tuple[int, str]]:
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT id, name FROM titles WHERE kind = :kind AND total_units >= 10 ORDER BY id LIMIT :count"),
            {"kind": kind, "count": count})]


def comes_out(db: Database, title_id: int, day: str) -> None:
    with db.transaction() as conn:
        conn.execute(sa.text("UPDATE titles SET release_date = :day WHERE id = :id"), {"day": day, "id": title_id})


def test_a_weekly_digest_tells_the_weeks_goals_and_the_releases_of_this_week_and_the_next(
        env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, weekly=True)
    (first, _), (second, _), (third, _) = titles_of(mail_db, "book", 3)
    (album, album_name), (song, song_name), (later, later_name) = (
        titles_of(mail_db, "album", 1) + titles_of(mail_db, "tv_show", 2))
    comes_out(mail_db, album, "2026-11-25")  # in the week of 23 Nov
    comes_out(mail_db, song, "2026-12-03")  # the week after
    comes_out(mail_db, later, "2026-12-20")  # later than that: not in this digest
    Goals(mail_db).create(user_id, {"measure": "completions", "kind": "book", "target": 4, "period": "week",
                                    "starts_on": date(2026, 11, 2)}, today=date(2026, 11, 20))
    trackers = Trackers(mail_db)
    for title_id in (album, song, later):
        trackers.log(user_id, title_id, [SetStatus("planned")], occurred_at=at("2026-11-20T10:00:00Z"))
    trackers.log(user_id, first, [SetStatus("completed")], occurred_at=at("2026-11-24T09:00:00Z"))
    trackers.log(user_id, second, [SetStatus("completed")], occurred_at=at("2026-11-27T09:00:00Z"))
    trackers.log(user_id, third, [SetStatus("completed")], occurred_at=at("2026-11-30T09:00:00Z"))  # next week
    notify(capsys, "2026-11-30T12:00:00Z")
    [mail] = inbox.to(address)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    # two of the four books by Sunday, when all four were due: behind
    assert "Goals:\n- 4 books a week: 2 of 4 books, behind" in text
    assert f"Out in this period:\n- {album_name}, 25 Nov 2026" in text
    assert f"Coming out next week:\n- {song_name}, 3 Dec 2026" in text
    assert later_name not in text
    page = mail.get_body(("html",)).get_content()
    assert "<h3>Goals</h3><ul><li>4 books a week: 2 of 4 books, behind</li></ul>" in page
    assert "Out in this period" in page and album_name in page and song_name in page


def test_a_digest_says_a_custom_titles_amounts_in_its_owners_unit(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, weekly=True)
    with mail_db.transaction() as conn:
        running = catalog.create(conn, {"kind": "custom", "name": "Running", "unit": "km", "creator": "",
                                        "description": ""}, owner_id=user_id)["id"]
    Goals(mail_db).create(user_id, {"measure": "units", "unit": "km", "target": 20, "period": "week",
                                    "starts_on": date(2026, 11, 2)}, today=date(2026, 11, 20))
    trackers = Trackers(mail_db)
    for km, day in ((Decimal("5.25"), 24), (Decimal("2.5"), 26)):  # Tuesday and Thursday
        trackers.log(user_id, running, [AddProgress(km)], occurred_at=at(f"2026-11-{day}T07:00:00Z"))
    notify(capsys, "2026-11-30T12:00:00Z")
    [mail] = inbox.to(address)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Units: 7.75 km\n" in text  # not "7.75 kms": the owner's word as given
    assert "- Running: 2 entries, 7.75 km\n" in text
    assert "- 20 km a week: 7.75 of 20 km, behind" in text


def out_now(inbox, address: str, name: str) -> int:
    """How many of the mails to this address say the title is out now."""
    return sum(f"Out now: {name}" in mail.get_body(("plain",)).get_content() for mail in inbox.to(address))


def test_a_planned_title_is_announced_once_on_the_day_it_comes_out_however_many_senders_run(env, mail_db, inbox,
                                                                                              capsys):
    user_id, address = person(mail_db, timezone_="Europe/Paris", releases=True)
    (show, name), = titles_of(mail_db, "tv_show", 1)
    comes_out(mail_db, show, "2026-12-05")
    Trackers(mail_db).log(user_id, show, [SetStatus("planned")], occurred_at=at("2026-11-20T10:00:00Z"))
    assert notify(capsys, "2026-12-04T22:30:00Z")[1] == ["no mail is due at 2026-12-04T22:30+00:00"]  # 23:30 there
    runs = [_notify_process("2026-12-04T23:30:00Z", env) for _ in range(2)]  # 00:30 on the 5th in Paris
    outputs = [run.communicate(timeout=120)[0].splitlines() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert sum(line.startswith("sent the release mail for 2026-12-05") for out in outputs for line in out) == 1
    [mail] = inbox.to(address)
    assert mail["Subject"] == f"Out now: {name}"
    assert f"Out now: {name} (since 5 Dec 2026)" in mail.get_body(("plain",)).get_content()
    assert f"Out now: {name}" in mail.get_body(("html",)).get_content()
    notify(capsys, "2026-12-05T20:00:00Z")  # later that day
    notify(capsys, "2026-12-07T09:00:00Z")  # and days later, still within the week
    assert len(inbox.to(address)) == 1 and out_now(inbox, address, name) == 1


def test_no_release_mail_when_releases_are_off_and_none_for_titles_not_planned(env, mail_db, inbox, capsys):
    quiet, quiet_address = person(mail_db, weekly=True)  # releases off
    keen, keen_address = person(mail_db, releases=True)
    (planned, planned_name), (watching, watching_name) = titles_of(mail_db, "tv_show", 2)
    for title_id in (planned, watching):
        comes_out(mail_db, title_id, "2026-12-01")
    trackers = Trackers(mail_db)
    for user_id in (quiet, keen):
        trackers.log(user_id, planned, [SetStatus("planned")], occurred_at=at("2026-11-20T10:00:00Z"))
    trackers.log(keen, watching, [SetStatus("planned")], occurred_at=at("2026-11-20T10:00:00Z"))
    trackers.log(keen, watching, [SetProgress(1)], occurred_at=at("2026-12-01T08:00:00Z"))  # no longer planned
    notify(capsys, "2026-12-01T09:00:00Z")
    assert [mail["Subject"].split(":")[0] for mail in inbox.to(quiet_address)] == ["Your week"]  # and no release mail
    assert out_now(inbox, quiet_address, planned_name) == 0
    [mail] = inbox.to(keen_address)
    assert mail["Subject"] == f"Out now: {planned_name}" and watching_name not in mail.get_body(("plain",)).get_content()


def test_the_unsubscribe_link_in_a_mail_turns_that_mail_off(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, weekly=True, monthly=True)
    notify(capsys, "2026-12-01T12:00:00Z")
    digest = next(mail for mail in inbox.to(address) if mail["Subject"].startswith("Your week"))
    token = digest["List-Unsubscribe"].partition("token=")[2].rstrip(">")
    assert unsubscribe(mail_db, env["PROGRESS_SERVICE_SECRET_KEY"], token) == "weekly digest"
    with mail_db.read() as conn:
        assert conn.execute(sa.text("SELECT weekly_digest, monthly_digest FROM notification_settings "
                                    "WHERE user_id = :id"), {"id": user_id}).one() == (False, True)
    notify(capsys, "2026-12-08T12:00:00Z")  # the next week: no weekly digest any more
    assert [mail["Subject"].split(":")[0] for mail in inbox.to(address)].count("Your week") == 1


def _notify_process(moment: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "progress_service", "notify", "--at", moment], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_notify_runs_at_once_send_each_mail_exactly_once(env, mail_db, inbox):
    people = [person(mail_db, reminder_at="08:00", weekly=True, monthly=True) for _ in range(6)]
    runs = [_notify_process("2026-12-01T09:00:00Z", env) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0].splitlines() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    sent = [line for output in outputs for line in output if line.startswith("sent ")]
    assert len(sent) == 18  # 6 people × reminder, weekly and monthly digest, between the two runs
    for _, address in people:
        assert sorted(mail["Subject"].split(" ")[0] for mail in inbox.to(address)) == ["Nothing", "Your", "Your"]


def test_a_sender_killed_between_its_claim_and_the_send_never_sends_that_mail_twice(env, mail_db, inbox, capsys):
    user_id, address = person(mail_db, reminder_at="08:00")
    inbox.stall.set()  # the server keeps the sender waiting mid-conversation
    run = _notify_process("2026-12-01T09:00:00Z", env)
    deadline = time.monotonic() + 60
    while not sent_rows(mail_db, user_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent_rows(mail_db, user_id) == [{"kind": "daily_reminder", "period": "2026-12-01", "delivered_at": None}]
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=10)
    inbox.stall.clear()
    assert notify(capsys, "2026-12-01T09:30:00Z")[1] == ["no mail is due at 2026-12-01T09:30+00:00"]
    assert inbox.to(address) == []  # at most once: the claim stands, the unconfirmed mail is not sent again


def test_a_mail_the_server_refuses_is_retried_by_the_queue_until_it_goes(env, mail_db, inbox, capsys, caplog):
    user_id, address = person(mail_db, timezone_="UTC", monthly=True)
    inbox.refuse = 2  # the server is busy: the notify run and the queue's first retry fail
    status, lines = notify(capsys, "2026-12-01T09:00:00Z")
    assert status == 1 and lines[0].startswith("not sent: the monthly digest for 2026-11")
    assert "was not sent (SMTPDataError" in caplog.text  # reported in the log
    assert sent_rows(mail_db, user_id) == [] and inbox.to(address) == []
    config = Config.from_env()

    def november() -> list:  # the worker at the real time may find later mails due too
        return [mail for mail in inbox.to(address) if mail["Subject"] == "Your month: 0 entries, November 2026"]
    deadline = time.monotonic() + 60
    while not november() and time.monotonic() < deadline:  # the worker tries again, after 2 s, 4 s
        asyncio.run(queue.work(config, mail_db.url, wait=False))
        time.sleep(0.5)
    assert len(november()) == 1 and inbox.refuse == 0
    [row] = [row for row in sent_rows(mail_db, user_id) if row["period"] == "2026-11"]
    assert row["delivered_at"] is not None
