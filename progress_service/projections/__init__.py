"""Read models kept in the append's transaction, one module per table, registered here.

Each module holds its table's inline statements, its part of the rebuild, what ``verify``
compares and the reads that use it:

- ``TABLE``, ``KEY``: its name and primary key;
- ``changes(change)``: the statements that carry one write's ``Change`` into it, run ahead of the
  append in the same round trip;
- ``ERASE``: the statements that take a user (``:user_id``) out of it;
- for a table of tracker states: ``from_stream(stream, entries, states)`` (its rows of a stream
  folded in Python), ``FOLD_ROWS`` (which rows of the set-based fold it keeps, as a filter) and,
  when its columns are not a tracker state's, ``ROW_COLUMNS`` and ``FOLD_SELECT`` (how each is
  made of the set-based fold's); for any other table: ``build(conn, into)``, run after the folded
  tables are filled;
- optionally ``COMPARED`` (columns verify compares, default all), ``COMPARED_ROWS`` (a filter)
  and ``differences(conn)`` (checks of its own).

Adding a projection is adding a module and listing it in ``REGISTERED`` (in the order a rebuild
fills them: a table built from another comes after it).
"""
from __future__ import annotations

from ..db import Statement
from . import title_stats, tracker_moments, tracker_state, tracker_versions, user_activity
from .change import Change, Difference, TitleFacts

REGISTERED = (tracker_state, tracker_versions, tracker_moments, title_stats, user_activity)
TABLES = tuple(projection.TABLE for projection in REGISTERED)

__all__ = ["REGISTERED", "TABLES", "Change", "Difference", "TitleFacts", "changes", "erasure"]


def changes(change: Change) -> list[Statement]:
    """The statements that carry ``change`` into every projection."""
    return [statement for projection in REGISTERED for statement in projection.changes(change)]


def erasure(user_id: int) -> list[Statement]:
    """The statements that take a user out of every projection (a table built from another first)."""
    return [(statement, {"user_id": user_id}) for projection in reversed(REGISTERED)
            for statement in projection.ERASE]
