"""The feed through the real Flask stack (shared/API.md, "Others follow the log"): every committed
event after a log id or position, oldest first, filtered, held open with wait; for an admin (and a
service) alone."""
from __future__ import annotations

import threading
import time

import pytest

from progress_service.feed import FeedSlots
from tests.api.test_catalog import admin, headers_for  # noqa: F401 (fixtures)
from tests.helpers import log, problem_of


def page(client, headers, **query) -> dict:
    response = client.get("/api/events", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def follow(client, headers, after, until: int, **query) -> list[dict]:
    """Every item after ``after`` up to the event ``until``, page by page, as a follower reads
    them: waiting (a long poll) where the feed has nothing yet, since another transaction on the
    server may hold the newest back for a moment."""
    items = []
    while not any(item["id"] == until for item in items):
        answer = page(client, headers, after=after, limit=3, wait=5, **query)
        assert answer["items"], f"the feed did not come to event {until}"
        items += answer["items"]
        after = answer["next_after"]
    return items


def test_the_feed_gives_every_event_after_a_log_id_once_in_order_with_its_position(client, register, admin, show):
    start = page(client, admin, after=0, limit=1)["high_water"]
    user, headers = register()
    logged = [log(client, headers, title_id=show[0], progress=n).json["id"] for n in (1, 2, 3, 4)]
    items = follow(client, admin, start, until=logged[-1])
    mine = [item for item in items if item["user_id"] == user["id"]]
    assert [item["id"] for item in mine] == logged
    assert [item["data"]["progress"] for item in mine] == [1, 2, 3, 4]
    assert all(item["position"].endswith(f":{item['id']}") for item in items)
    answer = page(client, admin, after=start)
    assert answer["high_water"] == logged[-1] and answer["next_after"] == logged[-1]
    # after a position says the same place as after its log id
    by_position = page(client, admin, after=mine[1]["position"])["items"]
    assert [item["id"] for item in by_position if item["user_id"] == user["id"]] == logged[2:]


def test_the_feed_filters_by_type_and_user_and_reads_on_past_what_it_left_out(client, register, admin, show):
    start = page(client, admin, after=0, limit=1)["high_water"]
    user, headers = register()
    other, other_headers = register()
    log(client, headers, title_id=show[0], progress=2)
    rated = log(client, headers, title_id=show[0], rating=4).json["id"]
    log(client, other_headers, title_id=show[0], rating=5)
    answer = page(client, admin, after=start, type="rating_set", user_id=user["id"], wait=5)
    assert [item["id"] for item in answer["items"]] == [rated]
    empty = page(client, admin, after=answer["next_after"], type="rating_set", user_id=user["id"])
    assert empty["items"] == [] and empty["next_after"] == empty["high_water"]  # nothing more of it up to there


def test_a_wait_holds_an_empty_answer_until_an_event_arrives(client, register, admin, show):
    user, headers = register()
    high_water = page(client, admin, after=0, limit=1)["high_water"]
    threading.Timer(0.5, lambda: log(client, headers, title_id=show[0], progress=1)).start()
    began = time.monotonic()
    answer = page(client, admin, after=high_water, wait=10)
    assert 0.4 < time.monotonic() - began < 5
    assert [item["user_id"] for item in answer["items"]] == [user["id"]]
    began = time.monotonic()
    assert page(client, admin, after=answer["next_after"], wait=1)["items"] == []
    assert time.monotonic() - began >= 1


def test_only_an_admin_reads_the_feed(client, register):
    _, headers = register()
    assert "admin or a service" in problem_of(client.get("/api/events", headers=headers), 403)["detail"]
    problem_of(client.get("/api/events"), 401)
    problem_of(client.get("/api/events/stream", headers=headers), 403)


@pytest.mark.parametrize("query, field", [
    ({"after": "soon"}, "after"), ({"after": "12:"}, "after"), ({"after": 2**62}, "after"),
    ({"wait": 31}, "wait"), ({"limit": 0}, "limit"), ({"type": "watched"}, "type"),
])
def test_a_bad_query_names_its_field(client, admin, query, field):
    problem = client.get("/api/events", query_string=query, headers=admin)
    assert problem.status_code in (400, 422) and field in problem.json["errors"], problem.json


def test_the_stream_sends_the_events_after_last_event_id_then_waits(client, register, admin, show):
    user, headers = register()
    first = log(client, headers, title_id=show[0], progress=1).json["id"]
    second = log(client, headers, title_id=show[0], progress=2).json["id"]
    response = client.get(f"/api/events/stream?user_id={user['id']}", headers={**admin, "Last-Event-ID": str(first)},
                          buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).startswith(b"retry: 1000\n")
    sent = next(chunks).decode()
    assert sent.startswith(f"id: {second}\nevent: progress_logged\ndata: {{") and sent.endswith("\n\n")
    response.close()


def test_a_wait_past_the_workers_feed_slots_is_a_503_that_says_when_to_retry(client, app, admin, monkeypatch):
    slots = FeedSlots(1)
    monkeypatch.setitem(app.extensions, "progress_service.feed_slots", slots)
    release = slots.take()  # an open stream holds the one slot
    high_water = page(client, admin, after=0, limit=1)["high_water"]
    busy = client.get(f"/api/events?after={high_water}&wait=5", headers=admin)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "feed streams and long polls are open" in busy.json["detail"]
    assert page(client, admin, after=high_water)["items"] == []  # a page that does not wait still answers
    release()
    assert client.get(f"/api/events?after={high_water}&wait=1", headers=admin).status_code == 200
