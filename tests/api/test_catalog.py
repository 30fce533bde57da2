"""The catalog, genres and reports through the real Flask stack. Every test makes titles of its own
with a unique tag in their names, so counts do not depend on other tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import problem_of

LABELS = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]


@pytest.fixture
def headers_for(app):
    def headers(user_id: int, role: str = "user") -> dict:
        return {"Authorization": f"Bearer {app.extensions['progress_service.tokens'].issue(user_id, role, 0)}"}
    return headers


@pytest.fixture
def admin(make_user, headers_for) -> dict:
    return headers_for(make_user("admin"), "admin")


@pytest.fixture
def user_headers(make_user, headers_for):
    """A new user's bearer headers."""
    return lambda: headers_for(make_user())


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def add_title(client, admin, tag):
    """Add a title as the admin; names carry the test's tag unless given in full."""
    def add(name: str = "", **fields) -> dict:
        body = {"kind": "book", "name": f"{name} {tag}".strip(), **fields}
        response = client.post("/api/titles", json=body, headers=admin)
        assert response.status_code == 201, response.json
        return response.json
    return add


def log(client, headers, title_id, **change):
    response = client.post("/api/progress/log", json={"title_id": title_id, **change}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [title["name"] for title in response.json["items"]]


# --- reading the catalog ---------------------------------------------------------------------------

def test_search_matches_part_of_the_name_in_any_case(client, add_title, tag):
    add_title("The Long Way")
    add_title("A long walk")
    add_title("Short stories")
    found = client.get("/api/titles", query_string={"q": "LONG W"})
    assert sorted(n for n in names(found) if tag in n) == [f"A long walk {tag}", f"The Long Way {tag}"]
    only_tagged = client.get("/api/titles", query_string={"q": f"way {tag.upper()}"})
    assert names(only_tagged) == [f"The Long Way {tag}"] and only_tagged.json["total"] == 1


def test_the_catalog_is_public_and_titles_carry_their_ratings(client, add_title):
    added = add_title("Public", kind="album", creator="Someone", genres=["jazz"], year=1959, total_units=5,
                      release_date="1959-08-17", description="Modal.")
    response = client.get(f"/api/titles/{added['id']}")
    assert response.status_code == 200
    assert response.json == {**added, "unit": "track", "average_rating": None, "rating_count": 0}
    assert response.json["release_date"] == "1959-08-17" and response.json["genres"] == ["jazz"]


def test_genre_filter_is_exact_in_any_case(client, add_title, tag):
    wanted = add_title("Wanted", genres=[f"noir-{tag}", "drama"])
    add_title("Longer genre", genres=[f"noir-{tag}-revival"])
    add_title("Other genre", genres=["drama"])
    response = client.get("/api/titles", query_string={"genre": f"NOIR-{tag.upper()}"})
    assert names(response) == [wanted["name"]] and response.json["total"] == 1


def test_kind_creator_and_year_filters(client, add_title, tag):
    book = add_title("Filtered", kind="book", creator=f"Ann Writer {tag}", year=1990)
    song = add_title("Filtered", kind="song", creator=f"Ann Writer {tag}", year=1991)
    add_title("Unrelated", kind="song", creator="Somebody Else", year=1990)
    assert names(client.get("/api/titles", query_string={"q": tag, "kind": "book"})) == [book["name"]]
    by_creator = client.get("/api/titles", query_string={"creator": f"ann writer {tag}"})
    assert {t["id"] for t in by_creator.json["items"]} == {book["id"], song["id"]}
    assert [t["id"] for t in client.get("/api/titles", query_string={"q": tag, "year": 1991}).json["items"]] \
        == [song["id"]]


def test_blank_query_fields_filter_nothing(client, add_title, tag):
    added = add_title("Blank fields")
    response = client.get("/api/titles", query_string={"q": tag, "kind": "", "genre": "", "year": "", "sort": ""})
    assert [t["id"] for t in response.json["items"]] == [added["id"]]


def test_pages_carry_total_limit_and_offset(client, add_title, tag):
    for letter in "abcde":
        add_title(f"{letter} page")
    pages = [client.get("/api/titles", query_string={"q": tag, "limit": 2, "offset": offset}).json
             for offset in (0, 2, 4, 6)]
    assert [(p["total"], p["limit"], p["offset"], len(p["items"])) for p in pages] == \
        [(5, 2, 0, 2), (5, 2, 2, 2), (5, 2, 4, 1), (5, 2, 6, 0)]
    assert [t["name"] for p in pages for t in p["items"]] == [f"{letter} page {tag}" for letter in "abcde"]


def test_by_default_a_page_holds_the_first_20_titles_by_name(client):
    page = client.get("/api/titles").json
    assert (page["limit"], page["offset"], len(page["items"])) == (20, 0, 20)
    assert page["total"] >= 179  # the seed catalog, and whatever other tests added
    assert page == client.get("/api/titles", query_string={"sort": "name", "limit": 20, "offset": 0}).json


@pytest.mark.parametrize("query, field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "many"}, "limit"),
    ({"offset": -1}, "offset"), ({"offset": 10 ** 20}, "offset"), ({"sort": "rating"}, "sort"),
    ({"kind": "movie"}, "kind"), ({"year": "nineteen"}, "year"), ({"year": 10 ** 12}, "year"),
    ({"q": "nul\x00byte"}, "q"),
])
def test_malformed_query_values_are_400_naming_the_field(client, query, field):
    assert field in problem_of(client.get("/api/titles", query_string=query), 400)["errors"]


def test_sort_orders(client, add_title, user_headers):
    # rating: middle 4.5 over 2 ratings, first 3.0 over 2, last unrated;
    # popularity (active trackers): first 3, middle 2, last 1; year: last, first, middle (none).
    first = add_title("Bravo", year=1999)
    middle = add_title("alpha")
    last = add_title("Charlie", year=2005)
    for rating in (4.5, 4.5):
        log(client, user_headers(), middle["id"], rating=rating)
    for change in ({"rating": 2.5}, {"rating": 3.5}, {"status": "planned"}):
        log(client, user_headers(), first["id"], **change)
    log(client, user_headers(), last["id"], status="planned")

    def order(sort: str) -> list[int]:
        tag = first["name"].split()[-1]
        response = client.get("/api/titles", query_string={"q": tag, "sort": sort})
        assert response.status_code == 200
        return [title["id"] for title in response.json["items"]]

    assert order("name") == [middle["id"], first["id"], last["id"]]
    assert order("-year") == [last["id"], first["id"], middle["id"]]
    assert order("-rating") == [middle["id"], first["id"], last["id"]]
    assert order("-popularity") == [first["id"], middle["id"], last["id"]]


def test_average_rating_and_rating_count_follow_the_ratings(client, add_title, user_headers, tag):
    title = add_title("Rated")
    raters = [user_headers() for _ in range(3)]
    for headers, rating in zip(raters, (4, 5, 3.5)):
        log(client, headers, title["id"], rating=rating)
    got = client.get(f"/api/titles/{title['id']}").json
    assert (got["average_rating"], got["rating_count"]) == (4.17, 3)  # 12.5 / 3
    log(client, raters[2], title["id"], rating=None)  # cleared: 4 and 5 remain
    listed = client.get("/api/titles", query_string={"q": tag}).json["items"][0]
    assert (listed["average_rating"], listed["rating_count"]) == (4.5, 2)


def test_genres_count_titles_by_name(client, add_title, tag):
    add_title("One", genres=[f"a-{tag}", f"b-{tag}"])
    add_title("Two", genres=[f"a-{tag}"])
    response = client.get("/api/genres")
    assert response.status_code == 200
    items = response.json["items"]
    assert [g["name"] for g in items] == sorted(g["name"] for g in items)
    counts = {g["name"]: g["count"] for g in items}
    assert (counts[f"a-{tag}"], counts[f"b-{tag}"]) == (2, 1)
    assert counts["drama"] >= 29  # the seed catalog's


def test_an_unknown_title_is_404(client, admin):
    for response in (client.get("/api/titles/987654321"), client.get("/api/titles/987654321/report"),
                     client.patch("/api/titles/987654321", json={"year": 2000}, headers=admin),
                     client.delete("/api/titles/987654321", headers=admin)):
        assert problem_of(response, 404)["title"] == "Title not found"


# --- changing the catalog --------------------------------------------------------------------------

def test_an_admin_adds_changes_and_deletes_a_title(client, admin, tag):
    body = {"kind": "tv_show", "name": f"Show {tag}", "creator": "A. Creator", "genres": ["comedy", "drama"],
            "year": 2020, "total_units": 10, "release_date": "2020-03-01", "description": "A show."}
    created = client.post("/api/titles", json=body, headers=admin)
    assert created.status_code == 201
    title = created.json
    assert created.headers["Location"] == f"/api/titles/{title['id']}"
    assert title == {**body, "id": title["id"], "unit": "episode", "owner_id": None, "average_rating": None,
                     "rating_count": 0}

    changed = client.patch(f"/api/titles/{title['id']}", json={"total_units": 12, "year": None, "genres": ["drama"]},
                           headers=admin)
    assert changed.status_code == 200
    assert changed.json == {**title, "total_units": 12, "year": None, "genres": ["drama"]}
    retyped = client.patch(f"/api/titles/{title['id']}", json={"kind": "book"}, headers=admin)
    assert (retyped.json["kind"], retyped.json["unit"]) == ("book", "page")
    assert client.get(f"/api/titles/{title['id']}").json == retyped.json

    deleted = client.delete(f"/api/titles/{title['id']}", headers=admin)
    assert deleted.status_code == 204 and deleted.data == b""
    problem_of(client.get(f"/api/titles/{title['id']}"), 404)


def test_a_title_needs_only_kind_and_name(client, admin, tag):
    created = client.post("/api/titles", json={"kind": "song", "name": f"Bare {tag}"}, headers=admin)
    assert created.status_code == 201
    assert {key: created.json[key] for key in ("creator", "genres", "year", "total_units", "unit",
                                               "release_date", "description")} == \
        {"creator": "", "genres": [], "year": None, "total_units": None, "unit": "play", "release_date": None,
         "description": ""}


def test_a_duplicate_title_is_a_conflict(client, admin, add_title, tag):
    add_title("Twice", kind="album", creator="Band")
    duplicate = {"kind": "album", "name": f"TWICE {tag}", "creator": "band"}
    refused = problem_of(client.post("/api/titles", json=duplicate, headers=admin), 409)
    assert "already in the catalog" in refused["detail"]
    other_kind = add_title("Twice", kind="song", creator="Band")  # the same name as a song is another title
    problem_of(client.patch(f"/api/titles/{other_kind['id']}", json={"kind": "album"}, headers=admin), 409)


def test_only_an_admin_changes_the_catalog(client, add_title, user_headers, tag):
    title = add_title("Guarded")
    body = {"kind": "book", "name": f"Intruder {tag}"}
    for headers, status in ((user_headers(), 403), ({}, 401)):
        problem_of(client.post("/api/titles", json=body, headers=headers), status)
        problem_of(client.patch(f"/api/titles/{title['id']}", json={"year": 1}, headers=headers), status)
        problem_of(client.delete(f"/api/titles/{title['id']}", headers=headers), status)
    assert client.get(f"/api/titles/{title['id']}").json == title
    assert client.get("/api/titles", query_string={"q": f"Intruder {tag}"}).json["total"] == 0


def test_a_tracked_title_cannot_be_deleted(client, admin, add_title, user_headers):
    tracked = add_title("Tracked")
    log(client, user_headers(), tracked["id"], status="planned")
    assert "1 user tracks it" in problem_of(client.delete(f"/api/titles/{tracked['id']}", headers=admin), 409)["detail"]

    once_tracked = add_title("Once tracked")
    headers = user_headers()
    event = log(client, headers, once_tracked["id"], status="planned")
    removed = client.delete(f"/api/progress/{event['user_id']}/trackers/{once_tracked['id']}", headers=headers)
    assert removed.status_code == 200
    refused = problem_of(client.delete(f"/api/titles/{once_tracked['id']}", headers=admin), 409)
    assert "progress log" in refused["detail"]
    assert client.get(f"/api/titles/{tracked['id']}").status_code == 200
    assert client.get(f"/api/titles/{once_tracked['id']}").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"name": "No kind"}, "kind"),
    ({"kind": "movie", "name": "x"}, "kind"),
    ({"kind": "book"}, "name"),
    ({"kind": "book", "name": ""}, "name"),
    ({"kind": "book", "name": "   "}, "name"),
    ({"kind": "book", "name": "x" * 201}, "name"),
    ({"kind": "book", "name": "x", "total_units": 0}, "total_units"),
    ({"kind": "book", "name": "x", "total_units": "12"}, "total_units"),
    ({"kind": "book", "name": "x", "year": 99999}, "year"),
    ({"kind": "book", "name": "x", "genres": [""]}, "genres"),
    ({"kind": "book", "name": "x", "genres": ["   "]}, "genres"),
    ({"kind": "book", "name": "x", "genres": ["x" * 51]}, "genres"),
    ({"kind": "book", "name": "x", "genres": "drama"}, "genres"),
    ({"kind": "book", "name": "x", "release_date": "last spring"}, "release_date"),
    ({"kind": "book", "name": "x", "description": "nul\x00byte"}, "description"),
    ({"kind": "book", "name": "x", "unit": "episode"}, "unit"),
    ({"kind": "book", "name": "x", "unit": "km"}, "unit"),
    ({"kind": "book", "name": "x", "average_rating": 4.5}, "average_rating"),
])
def test_invalid_titles_are_422_naming_the_field(client, admin, body, field):
    assert field in problem_of(client.post("/api/titles", json=body, headers=admin), 422)["errors"]


def test_a_title_body_as_the_catalog_returns_it_is_accepted_with_genres_as_people_write_them(client, admin, tag):
    body = {"kind": "tv_show", "name": f"Far Stars {tag}", "creator": "A. Writer", "year": 2024,
            "genres": ["Drama", " Science Fiction ", "drama"], "total_units": 10, "unit": "episode",
            "release_date": None, "description": "Ships."}
    created = client.post("/api/titles", json=body, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["genres"] == ["drama", "science fiction"] and created.json["unit"] == "episode"
    assert names(client.get("/api/titles", query_string={"genre": "Science Fiction", "q": tag})) == [body["name"]]
    again = {key: value for key, value in created.json.items() if key not in ("id", "average_rating", "rating_count")}
    changed = client.patch(f"/api/titles/{created.json['id']}", json={**again, "genres": ["Space Opera"]}, headers=admin)
    assert changed.status_code == 200, changed.json
    assert changed.json["genres"] == ["space opera"]


def test_a_unit_that_is_not_the_kinds_is_422_saying_which_it_is(client, admin, add_title):
    title = add_title("Counted", kind="album")
    refused = problem_of(client.patch(f"/api/titles/{title['id']}", json={"unit": "page"}, headers=admin), 422)
    assert refused["errors"] == {"unit": ["An album is counted in tracks, so its unit is 'track', not 'page'."]}
    assert problem_of(client.patch(f"/api/titles/{title['id']}", json={"kind": "book", "unit": "track"},
                                   headers=admin), 422)["errors"]["unit"]
    moved = client.patch(f"/api/titles/{title['id']}", json={"kind": "book", "unit": "page"}, headers=admin)
    assert moved.status_code == 200 and (moved.json["kind"], moved.json["unit"]) == ("book", "page")
    assert problem_of(client.patch("/api/titles/987654321", json={"unit": "page"}, headers=admin), 404)


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/titles", {"kind": "movie", "name": ""}),
    ("post", "/api/titles", {"kind": "book", "name": "Fine"}),
    ("patch", "/api/titles/1", {"total_units": -1}),
    ("patch", "/api/titles/1", {}),
    ("delete", "/api/titles/1", None),
])
def test_a_user_who_may_not_edit_the_catalog_gets_403_whatever_the_body(client, user_headers, method, path, body):
    response = getattr(client, method)(path, json=body, headers=user_headers())
    assert "Only an admin" in problem_of(response, 403)["detail"]


@pytest.mark.parametrize("body, field", [({}, "_schema"), ({"name": None}, "name"), ({"kind": None}, "kind"),
                                         ({"total_units": -3}, "total_units")])
def test_invalid_changes_are_422_and_change_nothing(client, admin, add_title, body, field):
    title = add_title("Unchanged")
    assert field in problem_of(client.patch(f"/api/titles/{title['id']}", json=body, headers=admin), 422)["errors"]
    assert client.get(f"/api/titles/{title['id']}").json == title


# --- reports ---------------------------------------------------------------------------------------

def test_a_title_nobody_tracks_reports_zeros(client, add_title):
    title = add_title("Quiet")
    report = client.get(f"/api/titles/{title['id']}/report")
    assert report.status_code == 200
    assert report.json == {
        "title_id": title["id"], "trackers": 0,
        "counts": {"planned": 0, "in_progress": 0, "completed": 0, "paused": 0, "dropped": 0},
        "completion_rate": None, "average_rating": None, "rating_count": 0,
        "rating_histogram": {label: 0 for label in LABELS}, "average_days_to_complete": None}


def test_a_title_report_counts_statuses_ratings_and_days_to_complete(client, add_title, user_headers):
    title = add_title("Reported", kind="tv_show", total_units=10)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=30)

    def at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat()

    fast, slow, planner, quitter, leaver = (user_headers() for _ in range(5))
    log(client, fast, title["id"], progress=3, occurred_at=at(0))
    log(client, fast, title["id"], progress=10, occurred_at=at(2))  # completed after 2 days
    log(client, fast, title["id"], rating=5)
    log(client, slow, title["id"], progress=5, occurred_at=at(1))
    log(client, slow, title["id"], status="completed", occurred_at=at(5))  # completed after 4 days
    log(client, slow, title["id"], rating=4)
    log(client, planner, title["id"], status="planned")
    log(client, planner, title["id"], rating=4)
    log(client, quitter, title["id"], progress=1)
    log(client, quitter, title["id"], status="dropped")
    left = log(client, leaver, title["id"], rating=1)  # a removed tracker counts no more
    assert client.delete(f"/api/progress/{left['user_id']}/trackers/{title['id']}", headers=leaver).status_code == 200

    report = client.get(f"/api/titles/{title['id']}/report").json
    assert report["title_id"] == title["id"] and report["trackers"] == 4
    assert report["counts"] == {"planned": 1, "in_progress": 0, "completed": 2, "paused": 0, "dropped": 1}
    assert report["completion_rate"] == 0.5
    assert (report["average_rating"], report["rating_count"]) == (4.33, 3)  # (5 + 4 + 4) / 3
    assert report["rating_histogram"] == {label: {"4.0": 2, "5.0": 1}.get(label, 0) for label in LABELS}
    assert report["average_days_to_complete"] == 3.0  # (2 + 4) / 2


def test_a_kind_report_sums_its_titles_and_ranks_the_most_tracked(client, add_title, user_headers):
    before = client.get("/api/reports/kinds/album", headers=user_headers())
    assert before.status_code == 200 and before.json["kind"] == "album"
    most = max((t["trackers"] for t in before.json["top_titles"]), default=0)
    first = add_title("Most tracked", kind="album", total_units=8)
    second = add_title("Next", kind="album", total_units=8)
    for _ in range(most + 2):
        log(client, user_headers(), first["id"], status="planned")
    for rating in [2] + [None] * most:
        change = {"rating": rating} if rating else {"progress": 8}
        log(client, user_headers(), second["id"], **change)

    after = client.get("/api/reports/kinds/album", headers=user_headers()).json
    added_trackers = (most + 2) + (most + 1)
    assert after["trackers"] - before.json["trackers"] == added_trackers
    assert after["counts"]["planned"] - before.json["counts"]["planned"] == most + 2 + 1  # the rater is planned
    assert after["counts"]["completed"] - before.json["counts"]["completed"] == most
    assert after["rating_count"] - before.json["rating_count"] == 1
    assert after["rating_histogram"]["2.0"] - before.json["rating_histogram"]["2.0"] == 1
    assert after["completion_rate"] == pytest.approx(after["counts"]["completed"] / after["trackers"], abs=1e-4)
    assert after["top_titles"][:2] == [
        {"id": first["id"], "name": first["name"], "trackers": most + 2, "average_rating": None},
        {"id": second["id"], "name": second["name"], "trackers": most + 1, "average_rating": 2.0}]
    assert len(after["top_titles"]) <= 10


def test_kind_reports_need_a_token_and_a_known_kind(client, user_headers):
    problem_of(client.get("/api/reports/kinds/book"), 401)
    assert "kinds are" in problem_of(client.get("/api/reports/kinds/movie", headers=user_headers()), 404)["detail"]
    assert client.get("/api/reports/kinds/book", headers=user_headers()).status_code == 200


def test_the_openapi_document_describes_the_catalog_and_reports(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"/api/titles", "/api/titles/{title_id}", "/api/genres", "/api/titles/{title_id}/report",
            "/api/reports/kinds/{kind}"} <= set(paths)
    assert set(paths["/api/titles/{title_id}"]) >= {"get", "patch", "delete"}


def test_an_edited_title_reads_as_it_is_now_in_every_timeline_entry(client, admin, add_title, make_user, headers_for,
                                                                    tag):
    title = add_title("Dracla", total_units=400)
    user = make_user()
    headers = headers_for(user)
    log(client, headers, title["id"], progress=10)
    log(client, headers, title["id"], rating=4)
    renamed = client.patch(f"/api/titles/{title['id']}", json={"name": f"Dracula {tag}", "total_units": 418},
                           headers=admin)
    assert renamed.status_code == 200
    items = client.get(f"/api/progress/{user}/history", headers=headers).json["items"]
    assert {item["title"]["name"] for item in items} == {f"Dracula {tag}"}
    assert {item["state"]["title"]["name"] for item in items} == {f"Dracula {tag}"}
    assert [item["state"]["title"]["total_units"] for item in items] == [418, 418]
    assert [item["state"]["total"] for item in items] == [400, 400]  # the total the entries recorded
