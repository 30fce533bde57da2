"""The JSON export as a file to import (issue 15, the progress-service format): its titles say what
finds or makes them again elsewhere, and read back by the import parser it gives the same trackers."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from itertools import groupby

from progress_service.domain.events import Recorded
from progress_service.domain.imports import TitleRef, parse, with_total
from progress_service.domain.tracker import fold
from tests.helpers import log


def own_title(client, user, headers, **fields):
    response = client.post(f"/api/progress/{user['id']}/titles", json=fields, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_each_exported_entry_names_its_titles_creator_year_unit_total_and_whether_it_is_ones_own(client, register,
                                                                                                  book):
    user, headers = register()
    running = own_title(client, user, headers, kind="custom", name=f"Running {uuid.uuid4().hex[:6]}", unit="km",
                        creator="Me", year=2025)
    catalog = client.get(f"/api/titles/{book[0]}", headers=headers).json
    assert log(client, headers, title_id=book[0], progress=12).status_code == 201
    assert log(client, headers, title_id=running["id"], delta=5.25).status_code == 201
    exported = client.get(f"/api/progress/{user['id']}/export", headers=headers).json
    assert [item["title"] for item in exported] == [
        {"id": book[0], "name": catalog["name"], "kind": "book", "creator": catalog["creator"],
         "year": catalog["year"], "unit": "page", "total_units": book[1], "own": False},
        {"id": running["id"], "name": running["name"], "kind": "custom", "creator": "Me", "year": 2025,
         "unit": "km", "total_units": None, "own": True},
    ]
    assert [sorted(item) for item in exported] == [  # the rest of the item as the timeline's
        ["corrected_by", "event", "retracted_by", "state", "summary", "title"]] * 2
    history = client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]
    assert history[0]["title"] == {"id": running["id"], "name": running["name"], "kind": "custom"}


def test_an_export_read_as_an_import_replays_every_tracker_as_it_stands(client, register, show, book, song):
    user, headers = register()
    earlier = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
    first = log(client, headers, title_id=show[0], progress=3).json
    log(client, headers, title_id=show[0], delta=1)
    rating = log(client, headers, title_id=show[0], rating=4).json
    client.put(f"/api/progress/log/{first['id']}", json={"progress": 2}, headers=headers)
    client.delete(f"/api/progress/log/{rating['id']}", headers=headers)
    log(client, headers, title_id=show[0], note="watched with Ana", occurred_at=earlier)  # backdated
    log(client, headers, title_id=book[0], status="completed")
    log(client, headers, title_id=book[0], restart=True)
    log(client, headers, title_id=book[0], progress=40)
    log(client, headers, title_id=book[0], rating=3.5)
    rolled = client.post(f"/api/progress/{user['id']}/trackers/{book[0]}/rollback", json={"to_version": 3},
                         headers=headers)
    assert rolled.status_code in (200, 201), rolled.json
    for _ in range(3):
        log(client, headers, title_id=song[0], delta=1)
    exported = client.get(f"/api/progress/{user['id']}/export", headers=headers)

    parsed = parse("progress-service", exported.data, now=datetime.now(timezone.utc))
    assert (parsed.rows, parsed.skipped) == (len(exported.json), ())
    assert [(entry.source_id, entry.source_version, entry.event.type) for entry in parsed.entries
            if entry.title.kind == "tv_show"] == [
        (item["event"]["id"], item["event"]["version"], item["event"]["type"]) for item in exported.json
        if item["title"]["id"] == show[0]]
    streams = {title: list(entries) for title, entries in groupby(parsed.entries, key=lambda entry: entry.title)}
    assert len(streams) == 3  # each title's entries together, in the order of its stream
    # by hand: the show at 2 corrected +1 = 3, its rating taken back; the book read once, then at page
    # 40 of its second pass (rolled back to version 3: before its rating); the song played 3 times
    expected = {show[0]: ("in_progress", 3, None, ["watched with Ana"], 0, 1),
                book[0]: ("in_progress", 40, None, [], 1, 2), song[0]: ("in_progress", 3, None, [], 0, 1)}
    for title_id, total in (show, book, song):
        tracker = client.get(f"/api/progress/{user['id']}/trackers/{title_id}", headers=headers).json
        [entries] = [entries for title, entries in streams.items() if title.name == tracker["title"]["name"]]
        replayed = fold([Recorded(entry.source_version, with_total(entry.event, total), entry.occurred_at,
                                  id=entry.source_id) for entry in entries])
        said = (replayed.status, replayed.progress, replayed.rating, list(replayed.notes), replayed.times_completed,
                replayed.pass_number)
        assert said == expected[title_id] == (tracker["status"], tracker["progress"], tracker["rating"],
                                              tracker["notes"], tracker["times_completed"], tracker["pass"])
    book_title = next(entry.title for entry in parsed.entries if entry.title.kind == "book")
    catalog = client.get(f"/api/titles/{book[0]}", headers=headers).json
    assert book_title == TitleRef("book", catalog["name"], catalog["creator"] or None, catalog["year"], book[1])
