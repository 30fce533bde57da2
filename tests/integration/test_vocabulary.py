"""The vocabulary (statuses, kinds, units, the words for starting again) is declared once in
domain/vocabulary.py: what SQL, the OpenAPI document, the board and the web page spell out for
themselves must say the same."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from progress_service.domain.imports import FORMATS
from progress_service.domain.vocabulary import AGAIN_WORDS, DOING_WORDS, KINDS, OWN_KINDS, STATUSES, UNITS
from progress_service.projections import tracker_state

DOM_JS = Path(__file__).resolve().parents[2] / "progress_service" / "web" / "static" / "js" / "dom.js"
IMPORT_JS = DOM_JS.parent / "views" / "import.js"


def test_the_titles_kind_check_admits_exactly_the_vocabularys_kinds(db):
    with db.read() as conn:
        definition = conn.execute(sa.text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'titles'::regclass AND conname = 'titles_kind_check'")
        ).scalar_one()
    assert tuple(re.findall(r"'(\w+)'::text", definition)) == OWN_KINDS  # custom: a user's own titles only


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_counted_in_its_vocabulary_unit_by_the_titles_column_and_unit_word(db, kind):
    with db.connection() as conn:
        conn.execute(sa.text("BEGIN"))
        unit = conn.execute(sa.text(
            "INSERT INTO titles (kind, name, creator) VALUES (:kind, 'A vocabulary check', 'nobody') RETURNING unit"),
            {"kind": kind}).scalar_one()
        word = conn.execute(sa.text("SELECT unit_word(:kind)"), {"kind": kind}).scalar_one()
        conn.execute(sa.text("ROLLBACK"))
    assert unit == word == UNITS[kind]


def test_a_kind_outside_the_vocabulary_is_refused_by_the_database(db):
    with pytest.raises(sa_exc.IntegrityError), db.transaction() as conn:
        conn.execute(sa.text("INSERT INTO titles (kind, name, creator) VALUES ('podcast', 'Not a kind', 'nobody')"))


def test_every_status_has_its_own_word_in_the_timeline_sentences(db):
    with db.read() as conn:
        words = [conn.execute(sa.text("SELECT status_word(:status)"), {"status": status}).scalar_one()
                 for status in STATUSES]
        unknown = conn.execute(sa.text("SELECT status_word('binged')")).scalar_one()
    assert None not in words and len(set(words)) == len(STATUSES)
    assert unknown is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_pass_is_told_in_the_vocabularys_words_for_each_kind(db, kind):
    with db.read() as conn:
        sentence = conn.execute(sa.text("""SELECT entry_summary('pass_started', '{"number": 3, "total": 10}', 0, 10,
                                                                 :kind)"""), {"kind": kind}).scalar_one()
    assert sentence == f"Started {DOING_WORDS[kind]} again (pass 3)"
    assert set(AGAIN_WORDS) == set(DOING_WORDS) == set(KINDS)


def test_the_board_has_one_column_per_status_in_the_vocabularys_order(db, user):
    with db.read() as conn:
        board = json.loads(tracker_state.board(conn, user))
    assert tuple(board) == STATUSES


def test_the_openapi_document_lists_the_vocabularys_statuses_kinds_and_units(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    assert tuple(schemas["Tracker"]["properties"]["status"]["enum"]) == STATUSES
    assert tuple(schemas["Title"]["properties"]["kind"]["enum"]) == OWN_KINDS
    assert tuple(schemas["Board"]["properties"]) == STATUSES
    assert tuple(schemas["StatusCounts"]["properties"]) == STATUSES
    assert tuple(schemas["Units"]["properties"]) == tuple(UNITS.values())


def test_the_web_page_has_a_word_for_every_kind_and_status_and_no_other():
    source = DOM_JS.read_text()

    def keys_of(constant: str) -> tuple[str, ...]:
        body = re.search(rf"export const {constant} = \{{(.*?)\}};", source, re.S).group(1)
        return tuple(re.findall(r"(\w+):", body))
    assert keys_of("KINDS") == KINDS
    assert keys_of("STATUSES") == STATUSES
    assert keys_of("AGAIN") == KINDS
    again = re.search(r"export const AGAIN = \{(.*?)\};", source, re.S).group(1)
    assert dict(re.findall(r'(\w+): "(\w+)"', again)) == AGAIN_WORDS
    units = re.search(r"export const UNITS = \{(.*?)\};", source, re.S).group(1)
    assert dict(re.findall(r'(\w+): "(\w+)"', units)) == UNITS


def test_the_import_page_offers_every_import_format_and_no_other():
    offered = re.search(r"const FORMATS = \{(.*?)\};", IMPORT_JS.read_text(), re.S).group(1)
    assert tuple(re.findall(r'^\s*"?([\w-]+)"?: \{', offered, re.M)) == FORMATS
