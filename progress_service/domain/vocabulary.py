"""The words of progress-service, declared once: the statuses a tracker can be in, the kinds of
title and the unit each is counted in, and what starting a title again (``pass_started``) is
called for each kind. Event types are declared by their classes in ``events``.

Everything else derives from these: the API's schemas (and so the OpenAPI document), the board's
columns, the reports, the fold's SQL, the menu's words. What SQL spells out for itself (the
``CHECK`` on ``titles.kind``, the ``unit`` column, ``unit_word``, ``status_word`` and the sentence
of a new pass in sql/schema.sql) and the web page's words (``static/js/dom.js``) are checked
against them by tests/integration/test_vocabulary.py.
"""
from __future__ import annotations

from decimal import Decimal

STATUSES = ("planned", "in_progress", "completed", "paused", "dropped")
KINDS = ("tv_show", "book", "album", "song")
UNITS = {"tv_show": "episode", "book": "page", "album": "track", "song": "play"}  # each kind's unit
# A user's own title may also be custom: counted in a unit of its owner's words ("km", "glass"), in
# decimal amounts (up to 2 places). The catalog holds the kinds above alone.
CUSTOM = "custom"
OWN_KINDS = KINDS + (CUSTOM,)

STATUS_WORDS = {"planned": "planned", "in_progress": "in progress", "completed": "completed", "paused": "paused",
                "dropped": "dropped"}
KIND_WORDS = {"tv_show": "TV show", "book": "book", "album": "album", "song": "song", CUSTOM: "custom title"}
# Starting a title again (a new pass): what it is called, and what one is doing again.
AGAIN_WORDS = {"tv_show": "Rewatch", "book": "Reread", "album": "Relisten", "song": "Relisten"}
DOING_WORDS = {"tv_show": "watching", "book": "reading", "album": "listening", "song": "listening"}


def a_kind(kind: str) -> str:
    """"A TV show", "An album": a title of ``kind``, at the start of a sentence."""
    word = KIND_WORDS[kind]
    return ("An " if word[0] in "aeiou" else "A ") + word


def unit_plural(unit: str) -> str:
    """The word for many of a unit: "episodes", "pages"; a custom title's unit is its owner's word and
    stays as they wrote it ("km", "glass"), as the API's sentences say it ("Logged 5.25 km")."""
    return unit + "s" if unit in UNITS.values() else unit


def units_word(unit: str, count: int | float | Decimal) -> str:
    """The word for ``count`` of a unit: "episode" for 1, "episodes" for more; "km" for any."""
    return unit if count == 1 else unit_plural(unit)


def amount_text(amount: int | float | Decimal) -> str:
    """"12", "12.5", "7.75": a number of units without trailing zeros (as the sentences' trim_scale)."""
    return format(Decimal(str(amount)).normalize(), "f")


def amount_in(amount: int | float | Decimal, unit: str) -> str:
    """"1 episode", "12 pages", "12.5 km": an amount in its unit."""
    return f"{amount_text(amount)} {units_word(unit, amount)}"
