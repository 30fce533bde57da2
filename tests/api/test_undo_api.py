"""Undo anything: retracting a retraction, correction or rollback, and undoing a range of entries
with a preview, through the real Flask stack."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import log, problem_of


def _tracker(client, headers, user, title_id):
    return client.get(f"/api/progress/{user['id']}/trackers/{title_id}", headers=headers)


def _history(client, headers, user):
    return {item["event"]["id"]: item
            for item in client.get(f"/api/progress/{user['id']}/history", headers=headers).json["items"]}


def test_retracting_a_retraction_brings_the_entry_back_and_the_timeline_says_which_counts(client, register, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=2)
    fifth = log(client, headers, title_id=show[0], progress=5).json
    retraction = client.delete(f"/api/progress/log/{fifth['id']}", headers=headers).json
    assert _tracker(client, headers, user, show[0]).json["progress"] == 2
    undo = client.delete(f"/api/progress/log/{retraction['id']}", headers=headers)
    assert undo.status_code == 200 and undo.json["data"]["entry_id"] == retraction["id"]
    assert _tracker(client, headers, user, show[0]).json["progress"] == 5
    items = _history(client, headers, user)
    assert items[fifth["id"]]["retracted_by"] is None  # it counts again
    assert items[retraction["id"]]["retracted_by"] == undo.json["id"]
    again = problem_of(client.delete(f"/api/progress/log/{retraction['id']}", headers=headers), 409)
    assert "already been undone" in again["detail"]


def test_retracting_a_correction_or_a_rollback_undoes_it(client, register, show):
    user, headers = register()
    first = log(client, headers, title_id=show[0], progress=2).json
    correction = client.put(f"/api/progress/log/{first['id']}", json={"progress": 7}, headers=headers).json
    assert _tracker(client, headers, user, show[0]).json["progress"] == 7
    client.delete(f"/api/progress/log/{correction['id']}", headers=headers)
    assert _tracker(client, headers, user, show[0]).json["progress"] == 2
    log(client, headers, title_id=show[0], progress=9)
    client.post(f"/api/progress/{user['id']}/trackers/{show[0]}/rollback", json={"to_version": 1}, headers=headers)
    rolled = _tracker(client, headers, user, show[0]).json
    assert rolled["progress"] == 2
    rollback_id = client.get(f"/api/progress/{user['id']}", headers=headers).json["items"][0]["id"]
    client.delete(f"/api/progress/log/{rollback_id}", headers=headers)
    assert _tracker(client, headers, user, show[0]).json["progress"] == 9


def test_correcting_a_retraction_is_refused_in_words(client, register, show):
    user, headers = register()
    entry = log(client, headers, title_id=show[0], progress=2).json
    retraction = client.delete(f"/api/progress/log/{entry['id']}", headers=headers).json
    refused = problem_of(client.put(f"/api/progress/log/{retraction['id']}", json={"progress": 3}, headers=headers),
                         422)
    assert "is a retraction" in refused["detail"] and "retract it to undo it" in refused["detail"]


def _evening(client, headers, user, show, book, song):
    """Two entries before the evening, four during it; returns (entries of the evening, since, until)."""
    log(client, headers, title_id=show[0], progress=2)
    book_entry = log(client, headers, title_id=book[0], progress=10).json
    evening = [log(client, headers, title_id=show[0], progress=5).json,
               log(client, headers, title_id=show[0], rating=4).json,
               log(client, headers, title_id=song[0], delta=3).json,
               client.delete(f"/api/progress/log/{book_entry['id']}", headers=headers).json]
    since = datetime.fromisoformat(evening[0]["recorded_at"])
    until = datetime.fromisoformat(evening[-1]["recorded_at"]) + timedelta(microseconds=1)
    return evening, since.isoformat(), until.isoformat()


def _without_moment(changes):
    """The changes, leaving out when each tracker last moved (a retraction moves it to its own time)."""
    return [{**change, "after": change["after"] and {**change["after"], "updated_at": None}} for change in changes]


def test_an_undo_previews_exactly_what_it_then_does_and_can_itself_be_undone(client, register, show, book, song):
    user, headers = register()
    evening, since, until = _evening(client, headers, user, show, book, song)
    route = f"/api/progress/{user['id']}/undo"
    preview = client.post(route, json={"since": since, "until": until, "dry_run": True}, headers=headers)
    assert preview.status_code == 200
    assert preview.json["undo_id"] is None and preview.json["dry_run"] is True
    assert preview.json["entries"] == [entry["id"] for entry in evening]
    changes = {change["title_id"]: change for change in preview.json["changes"]}
    assert set(changes) == {show[0], book[0], song[0]}
    assert (changes[show[0]]["before"]["progress"], changes[show[0]]["before"]["rating"]) == (5, 4)
    assert (changes[show[0]]["after"]["progress"], changes[show[0]]["after"]["rating"]) == (2, None)
    assert changes[song[0]]["before"]["progress"] == 3 and changes[song[0]]["after"] is None
    assert changes[book[0]]["before"] is None and changes[book[0]]["after"]["progress"] == 10
    assert changes[book[0]]["title"]["kind"] == "book"
    assert _tracker(client, headers, user, show[0]).json["progress"] == 5  # the preview appended nothing

    done = client.post(route, json={"since": since, "until": until}, headers=headers).json
    assert done["dry_run"] is False and done["undo_id"]
    assert done["entries"] == preview.json["entries"]
    assert _without_moment(done["changes"]) == _without_moment(preview.json["changes"])
    shown = _tracker(client, headers, user, show[0]).json
    assert (shown["progress"], shown["rating"]) == (2, None)
    assert _tracker(client, headers, user, book[0]).json["progress"] == 10
    assert _tracker(client, headers, user, song[0]).status_code == 404
    repeated = client.post(route, json={"since": since, "until": until}, headers=headers).json
    assert (repeated["entries"], repeated["changes"]) == ([], [])  # nothing of the evening counts any more

    back_route = f"{route}/{done['undo_id']}"
    back_preview = client.delete(back_route, query_string={"dry_run": "true"}, headers=headers).json
    assert _tracker(client, headers, user, show[0]).json["progress"] == 2
    back = client.delete(back_route, headers=headers)
    assert back.status_code == 200 and back.json["undo_id"] == done["undo_id"]
    assert len(back.json["entries"]) == 4 and back.json["entries"] == back_preview["entries"]
    assert (_tracker(client, headers, user, show[0]).json["progress"],
            _tracker(client, headers, user, song[0]).json["progress"]) == (5, 3)
    assert _tracker(client, headers, user, book[0]).status_code == 404  # its retraction counts again
    assert "already been undone" in problem_of(client.delete(back_route, headers=headers), 409)["detail"]


def test_an_undo_of_one_title_leaves_the_others(client, register, show, book, song):
    user, headers = register()
    evening, since, until = _evening(client, headers, user, show, book, song)
    done = client.post(f"/api/progress/{user['id']}/undo", json={"since": since, "until": until,
                                                                 "title_id": show[0]}, headers=headers).json
    assert done["entries"] == [evening[0]["id"], evening[1]["id"]]
    assert [change["title_id"] for change in done["changes"]] == [show[0]]
    assert _tracker(client, headers, user, song[0]).json["progress"] == 3


def test_an_undo_that_matches_nothing_answers_empty_lists(client, register, show):
    user, headers = register()
    log(client, headers, title_id=show[0], progress=2)
    answer = client.post(f"/api/progress/{user['id']}/undo",
                         json={"since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"}, headers=headers)
    assert answer.status_code == 200
    assert (answer.json["entries"], answer.json["changes"]) == ([], [])


def test_bad_undos_get_clear_answers(client, register, show):
    user, headers = register()
    other, other_headers = register()
    route = f"/api/progress/{user['id']}/undo"
    body = {"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    assert "must come after since" in problem_of(client.post(route, json=body, headers=headers), 422)["errors"]["until"][0]
    assert "since" in problem_of(client.post(route, json={"until": body["since"]}, headers=headers), 422)["errors"]
    forward = {"since": body["until"], "until": body["since"]}
    assert problem_of(client.post(route, json={**forward, "title_id": 999999999}, headers=headers), 404)
    assert problem_of(client.post(route, json=forward, headers=other_headers), 403)
    assert "dryrun" in problem_of(client.post(route, json=forward, query_string={"dryrun": "1"}, headers=headers),
                                  400)["detail"]
    assert problem_of(client.delete(f"{route}/no-such-undo", headers=headers), 404)
