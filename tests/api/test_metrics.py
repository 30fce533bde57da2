"""/metrics and the request log through the real Flask stack: what Prometheus and an operator see
of the requests, the appends and the lags, and the request id a caller can follow through."""
from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from progress_service import eventstore
from progress_service.relay import RELAY
from tests.helpers import log, problem_of, wait_until

TRACKER_ROUTE = "/api/progress/<int:user_id>/trackers/<int:title_id>"


def scraped(client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics: (name, labels) → value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status_with_their_latency(client, register, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=1)
    before = scraped(client)
    path = f"/api/progress/{user['id']}/trackers/{show[0]}"
    assert client.get(path, headers=headers).status_code == 200
    assert client.get(path, headers=headers).status_code == 200
    problem_of(client.get(f"/api/progress/{user['id']}/trackers/{show[0]}"), 401)
    client.get("/no/such/page")
    after = scraped(client)
    counted = {status: value(after, "progress_requests_total", method="GET", route=TRACKER_ROUTE, status=status)
               - value(before, "progress_requests_total", method="GET", route=TRACKER_ROUTE, status=status)
               for status in ("200", "401")}
    assert counted == {"200": 2, "401": 1}  # two users' paths, one series: the template's
    assert value(after, "progress_requests_total", method="GET", route="(no route)", status="404") \
        - value(before, "progress_requests_total", method="GET", route="(no route)", status="404") == 1
    timed = value(after, "progress_request_duration_seconds_count", method="GET", route=TRACKER_ROUTE) \
        - value(before, "progress_request_duration_seconds_count", method="GET", route=TRACKER_ROUTE)
    assert timed == 3
    slowest = value(after, "progress_request_duration_seconds_bucket", method="GET", route=TRACKER_ROUTE, le="+Inf")
    assert slowest == value(after, "progress_request_duration_seconds_count", method="GET", route=TRACKER_ROUTE)


def test_events_appended_count_what_was_committed_and_nothing_refused(client, register, show):
    _, headers = register()
    before = value(scraped(client), "progress_events_appended_total")
    log(client, headers, title_id=show[0], progress=1)
    log(client, headers, title_id=show[0], rating=4)
    problem_of(log(client, headers, title_id=show[0], rating=9), 422)  # refused: appends nothing
    assert value(scraped(client), "progress_events_appended_total") - before == 2


def test_a_request_id_is_echoed_kept_with_the_entries_and_made_when_missing(client, register, show, db):
    _, headers = register()
    answer = log(client, headers | {"X-Request-Id": "checkout-7f3a"}, title_id=show[0], progress=2)
    assert answer.headers["X-Request-Id"] == "checkout-7f3a"
    with db.read() as conn:
        assert eventstore.read_entry(conn, answer.json["id"]).metadata["request_id"] == "checkout-7f3a"
    made = client.get("/healthz").headers["X-Request-Id"]
    again = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) == 32 and made != again
    refused = client.get("/healthz", headers={"X-Request-Id": "has spaces in it"}).headers["X-Request-Id"]
    assert " " not in refused and len(refused) == 32  # not printable as one token: one of ours instead


def test_every_request_leaves_one_json_line_with_its_id(client, register, show, caplog):
    user, headers = register()
    with caplog.at_level(logging.INFO, logger="progress_service.requests"):
        client.get(f"/api/progress/{user['id']}/trackers/{show[0]}", headers=headers | {"X-Request-Id": "r-42"})
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "progress_service.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "r-42" and line["status"] == 404 and line["method"] == "GET"
    assert line["route"] == TRACKER_ROUTE and line["path"] == f"/api/progress/{user['id']}/trackers/{show[0]}"
    assert line["caller"] == f"user:{user['id']}" and line["duration_ms"] >= 0


# The feed reads below the oldest transaction in flight on the whole server, so another database's
# transactions (another test run on this server) may hold events back for a moment too: the lags
# are awaited rather than read once.
def lag_becomes(client, name: str, expected: float) -> None:
    wait_until(lambda: value(scraped(client), name) == expected, 30, f"{name} {expected}")


def test_feed_lag_counts_committed_events_held_back_by_an_older_transaction(client, register, show, db):
    _, headers = register()
    lag_becomes(client, "progress_feed_lag_events", 0)
    with db.connection() as held:
        held.execute(sa.text("BEGIN"))
        held.execute(sa.text("SELECT pg_current_xact_id()"))  # an older transaction still in flight
        log(client, headers, title_id=show[0], progress=1)
        log(client, headers, title_id=show[0], progress=2)
        waiting = scraped(client)
        assert value(waiting, "progress_feed_lag_events") >= 2
        assert value(waiting, "progress_feed_lag_seconds") > 0
        held.execute(sa.text("ROLLBACK"))
    lag_becomes(client, "progress_feed_lag_events", 0)


def test_relay_lag_is_the_events_not_yet_published_and_absent_before_a_relay_ran(client, register, show, db):
    assert not any(name == "progress_relay_lag_events" for name, _ in scraped(client))
    _, headers = register()
    log(client, headers, title_id=show[0], progress=1)
    with db.transaction() as conn:
        top = eventstore.high_water(conn)
        conn.execute(sa.text("INSERT INTO relay_checkpoints (relay, tx, event_id) VALUES (:relay, :tx, :id)"),
                     {"relay": RELAY, "tx": str(top.tx), "id": top.id})
    try:
        lag_becomes(client, "progress_relay_lag_events", 0)
        log(client, headers, title_id=show[0], progress=2)
        log(client, headers, title_id=show[0], progress=3)
        lag_becomes(client, "progress_relay_lag_events", 2)
    finally:
        with db.transaction() as conn:
            conn.execute(sa.text("DELETE FROM relay_checkpoints WHERE relay = :relay"), {"relay": RELAY})
