"""Why a tracker is as it is: the counted entries behind its status, its progress and its rating.

The fold (``tracker``) works out which change entries count and what each counts as now
(corrections, retractions, rollbacks) and folds them in the order they occurred. ``reasons``
walks the same entries in the same order, with the fold's own step, and notes which entry each
of the three fields follows from, so an explanation never differs from the tracker it explains.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .events import EntryCorrected, Event, ProgressLogged, RatingCleared, RatingSet, Recorded
from .tracker import NEW, counted_entries, evolve, retracted


@dataclass(frozen=True)
class Reasons:
    """The counted entries a tracker's fields follow from now.

    ``status``: the entry that moved it into its current status (the first of a fresh tracker,
    when the status never changed); ``progress``: the entries its progress follows from, oldest
    first (the last that set it outright, and the changes by a number since); ``rating``: the
    entry that gave its rating. ``corrections``: for each of those the fold counts as corrected,
    its version → the correction that says what it counts as now.
    """

    status: Recorded | None = None
    progress: tuple[Recorded, ...] = ()
    rating: Recorded | None = None
    corrections: dict[int, Recorded] | None = None


def reasons(history: Sequence[Recorded]) -> Reasons:
    """The reasons of the tracker whose whole stream is ``history`` (as ``fold(history)`` is its state)."""
    if not history:
        return Reasons(corrections={})
    taken_back = retracted(history)
    counted = counted_entries(history)
    changes = dict((entry.version, change) for entry, change in counted)
    fields = dict(vars(NEW))
    status: Recorded | None = None
    progress: list[Recorded] = []
    rating: Recorded | None = None
    for entry, change in counted:
        before = dict(fields)
        fields = evolve(fields, change, entry.occurred_at)
        if not fields["active"]:  # removed: nothing of it stands any more
            status, progress, rating = None, [], None
            continue
        if not before["active"]:  # a fresh tracker starts here
            status, progress, rating = entry, [], None
        elif fields["status"] != before["status"]:
            status = entry
        moved = fields["progress"] != before["progress"]
        if isinstance(change, ProgressLogged) and change.delta is not None:
            progress = [*progress, entry] if moved else progress
        elif isinstance(change, ProgressLogged) or moved:
            progress = [entry] if fields["progress"] or isinstance(change, ProgressLogged) else []
        if isinstance(change, RatingSet):
            rating = entry
        elif isinstance(change, RatingCleared):
            rating = None
    behind = [entry for entry in (status, *progress, rating) if entry is not None]
    return Reasons(status=status, progress=tuple(progress), rating=rating,
                   corrections={entry.version: correction for entry in behind
                                if (correction := _correction(history, entry, changes[entry.version], taken_back))
                                is not None})


def _correction(history: Sequence[Recorded], entry: Recorded, counts_as: Event | None,
                taken_back: set[int]) -> Recorded | None:
    """The latest correction of ``entry`` that says it counts as ``counts_as``, when it does not
    count as itself."""
    if counts_as == entry.event:
        return None
    return next((later for later in reversed(history) if isinstance(later.event, EntryCorrected)
                 and later.version not in taken_back and later.event.entry_version == entry.version
                 and later.event.change == counts_as), None)
