"""Imports: a file from another service (or this one's own export) carried into a user's log.

One import is one unit of work (``store.Together``) and one transaction: parse the file (the
domain's ``imports.parse``), leave out the entries an earlier import already made (their
fingerprints), match each title the rows name to the catalog or the user's own titles (in SQL,
by ``title_key``), make the user's own titles for the rest, decide each row's entry on its
tracker as any write is decided, and append them all with the import's record. It lands whole
or not at all; a dry run does the same work and rolls it back, answering what it would do.

A file of more than ``QUEUED_ROWS`` rows is kept with its import and carried out by the job
queue (queue.py): the same unit of work, on the worker.
"""
from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from .db import Statement
from .domain import imports as formats
from .domain.events import EntryCorrected, NoteAdded
from .domain.imports import ImportedEntry, Parsed, Skipped, TitleRef
from .domain.rules import command_for, decide, needs_history
from .domain.tracker import TrackerState, shows_differently
from .domain.vocabulary import CUSTOM, OWN_KINDS
from .errors import Conflict, ImportNotFound, ProgressServiceError
from .eventstore import Stream
from .projections.change import rows_json, tracker_row
from .services import Trackers, Undone
from .store import Together

# More rows than this wait for the job queue (a 202); up to it, an import answers within its request.
QUEUED_ROWS = 10_000

# Imports of one user take turns, so that each sees the fingerprints of the one before.
_ONE_AT_A_TIME = sa.text("SELECT pg_advisory_xact_lock(hashtext('progress-service import'), hashtext(CAST(:user_id AS text)))")

_KNOWN = sa.text("""
    SELECT fingerprint, title_id, version FROM import_fingerprints
    WHERE user_id = :user_id AND fingerprint = ANY(CAST(:fingerprints AS text[]))
""")

# The title each reference names: of the catalog by kind, name, creator (when the file says one)
# and year (when both say one); else (and for a title the file says is the user's own) one of the
# user's own by kind, name and creator.
_MATCH = sa.text("""
    SELECT w.n, coalesce(
        (SELECT t.id FROM titles t
         WHERE NOT w.own AND t.owner_id IS NULL AND t.kind = w.kind AND title_key(t.name) = title_key(w.name)
           AND (coalesce(w.creator, '') = '' OR title_key(t.creator) = title_key(w.creator))
           AND (w.year IS NULL OR t.year IS NULL OR t.year = w.year)
         ORDER BY t.year IS NOT DISTINCT FROM w.year DESC, t.id LIMIT 1),
        (SELECT t.id FROM titles t
         WHERE t.owner_id = :user_id AND t.kind = w.kind AND title_key(t.name) = title_key(w.name)
           AND (coalesce(w.creator, '') = '' OR title_key(t.creator) = title_key(w.creator))
         ORDER BY t.id LIMIT 1)) AS title_id
    FROM jsonb_to_recordset(CAST(:refs AS jsonb)) AS w(n integer, kind text, name text, creator text, year integer, own boolean)
    ORDER BY w.n
""")

# The ids are drawn in the order the rows are given, so the titles made come back in it by id.
_CREATE_OWN = sa.text("""
    INSERT INTO titles (kind, name, creator, year, total_units, owner_id, own_unit)
    SELECT w.kind, w.name, coalesce(w.creator, ''), w.year, w.total, :user_id, w.unit
    FROM jsonb_to_recordset(CAST(:titles AS jsonb))
         AS w(n integer, kind text, name text, creator text, year integer, total integer, unit text)
    ORDER BY w.n
    RETURNING id
""")

_TITLES = sa.text("""
    SELECT id, kind, name, creator, year, owner_id IS NOT NULL AS own FROM titles WHERE id = ANY(CAST(:ids AS bigint[]))
""")

# The API's tracker objects of states no table holds, in one statement (within the import's
# transaction: a dry run's own titles exist there alone).
_RENDER = sa.text("""
    SELECT x.title_id, with_release(tracker_json(x.user_id, t, x.status, x.progress, x.total, x.rating, x.notes,
                                                 x.started_at, x.completed_at, x.times_completed, x.version,
                                                 x.updated_at, x.pass), t)::text AS body
    FROM jsonb_populate_recordset(NULL::tracker_state, CAST(:states AS jsonb)) x JOIN titles t ON t.id = x.title_id
""")

_SAVE = sa.text("""
    INSERT INTO imports (user_id, id, format, state, finished_at, rows, progress, entries, titles_matched,
                         titles_created, skipped, metadata)
    VALUES (:user_id, :id, :format, 'done', now(), :rows, 100, :entries, CAST(:titles_matched AS jsonb),
            CAST(:titles_created AS jsonb), CAST(:skipped AS jsonb), CAST(:metadata AS jsonb))
    ON CONFLICT (user_id, id) DO UPDATE SET
        state = 'done', finished_at = now(), rows = EXCLUDED.rows, progress = 100, entries = EXCLUDED.entries,
        titles_matched = EXCLUDED.titles_matched, titles_created = EXCLUDED.titles_created,
        skipped = EXCLUDED.skipped, file = NULL, failure = NULL
""")

_FINGERPRINTS = sa.text("""
    INSERT INTO import_fingerprints (user_id, fingerprint, import_id, title_id, version)
    SELECT :user_id, f.fingerprint, :import_id, f.title_id, f.version
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS f(fingerprint text, title_id bigint, version integer)
""")

_QUEUE = sa.text("""
    INSERT INTO imports (user_id, id, format, state, rows, metadata, file)
    VALUES (:user_id, :id, :format, 'queued', :rows, CAST(:metadata AS jsonb), :file)
""")

_COLUMNS = """id::text AS import_id, format, state, created_at, finished_at, rows, progress, entries, titles_matched,
              titles_created, skipped, failure, undo_id, undone_at"""
_ONE = sa.text(f"SELECT {_COLUMNS} FROM imports WHERE user_id = :user_id AND id = CAST(:id AS uuid)")
_LIST = sa.text(f"SELECT {_COLUMNS} FROM imports WHERE user_id = :user_id ORDER BY created_at DESC, id")
_FILE = sa.text("""
    SELECT format, state, file, metadata FROM imports WHERE user_id = :user_id AND id = CAST(:id AS uuid)
""")
_STATE = sa.text("""
    UPDATE imports SET state = :state, progress = :progress, failure = :failure,
                       file = CASE WHEN :state = 'failed' THEN NULL ELSE file END,
                       finished_at = CASE WHEN :state = 'failed' THEN now() END
    WHERE user_id = :user_id AND id = CAST(:id AS uuid) AND state <> 'done'
""")

_MADE = sa.text("""
    SELECT title_id, array_agg(version ORDER BY version) AS versions FROM import_fingerprints
    WHERE user_id = :user_id AND import_id = CAST(:import_id AS uuid) GROUP BY title_id ORDER BY title_id
""")
_UNDONE = sa.text("""
    UPDATE imports SET undo_id = :undo_id, undone_at = now() WHERE user_id = :user_id AND id = CAST(:import_id AS uuid)
""")


@dataclass(frozen=True)
class Imported:
    """What an import did, or would do (``dry_run``)."""

    import_id: str | None
    format: str
    dry_run: bool
    rows: int
    entries: int
    titles_matched: list[dict[str, Any]]
    titles_created: list[dict[str, Any]]
    skipped: list[Skipped]
    changes: list[dict[str, Any]] = field(default_factory=list)  # {title_id, title, before, after}, JSON objects
    state: str = "done"  # or queued: the job queue carries it out (QUEUED_ROWS)

    def answer(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "format": self.format, "dry_run": self.dry_run, "state": self.state,
                "rows": self.rows, "entries": self.entries, "titles_matched": self.titles_matched,
                "titles_created": self.titles_created,
                "skipped": [{"row": s.row, "reason": s.reason} for s in self.skipped], "changes": self.changes}


@dataclass
class _Plan:
    """An import being decided: which title each reference became, and what was skipped."""

    titles: dict[tuple, int] = field(default_factory=dict)  # reference (kind and key) -> title id
    skipped: list[Skipped] = field(default_factory=list)
    made: list[dict[str, Any]] = field(default_factory=list)  # {fingerprint, title_id, version} per entry
    # (title id, version in the file) -> version here, for the rows that name earlier entries
    versions: dict[tuple[int, int], int] = field(default_factory=dict)


@functools.lru_cache(maxsize=100_000)
def _reference(title: TitleRef) -> tuple:
    """What tells one title of a file from another: its kind, whether it is the user's own, its key
    (kept: every entry of a title asks, and the key's normalizing is the costly part)."""
    return (title.kind, title.own, *title.key())


class Imports:
    """The import use cases of one database, through its Trackers' store."""

    def __init__(self, trackers: Trackers):
        self.trackers = trackers
        self.db = trackers.db

    # -- importing ------------------------------------------------------------------------------
    def start(self, user_id: int, format: str, body: bytes, *, dry_run: bool = False,
              metadata: dict[str, Any] | None = None, defer: Callable[[int, str], None] | None = None) -> Imported:
        """Import a file, or preview it (``dry_run``); a file of more than QUEUED_ROWS rows is
        queued (``defer(user_id, import_id)`` hands it to the job queue) and answered at once."""
        parsed = formats.parse(format, body, now=self.trackers.clock())
        if parsed.rows > QUEUED_ROWS and not dry_run and defer is not None:
            import_id = str(uuid.uuid4())
            with self.db.transaction() as conn:
                conn.execute(_QUEUE, {"user_id": user_id, "id": import_id, "format": format, "rows": parsed.rows,
                                      "metadata": json.dumps(metadata or {}), "file": body})
            defer(user_id, import_id)
            return Imported(import_id, format, False, parsed.rows, 0, [], [], [], state="queued")
        return self.carry_out(user_id, parsed, dry_run=dry_run, metadata=metadata)

    def carry_out(self, user_id: int, parsed: Parsed, *, dry_run: bool = False, import_id: str | None = None,
                  metadata: dict[str, Any] | None = None,
                  progress: Callable[[int], None] | None = None) -> Imported:
        """Append every entry of ``parsed`` that no earlier import made, all in one transaction
        (none, for a dry run); ``progress(rows)`` is told how far the decisions have come."""
        if self.trackers.users is not None:
            self.trackers.users.check(user_id)
        import_id = None if dry_run else (import_id or str(uuid.uuid4()))
        stamp = {"id": import_id, "format": parsed.format}
        plan = _Plan(skipped=list(parsed.skipped))
        with self.trackers.store.writing_together([], metadata=metadata or {}) as together:
            held = [entry for entry in parsed.entries if _holdable(entry)]
            plan.skipped += [Skipped(entry.row, "This row holds a NUL character (\\u0000), which is not text.")
                             for entry in parsed.entries if not _holdable(entry)]
            entries, known = self._new_entries(together, user_id, held)
            matched, created = self._titles(together, user_id, entries, plan)
            for entry, (title_id, version) in known:  # what the rows of this file name among them
                if entry.source_version is not None:
                    plan.versions[(title_id, entry.source_version)] = version
            streams = sorted({Stream(user_id, title_id) for title_id in plan.titles.values()})
            together.take(streams)
            before = {stream: together.state(stream) for stream in streams}
            together.reserve_ids(len(entries))
            now = self.trackers.clock()
            for done, entry in enumerate(entries, start=1):
                self._decide(together, user_id, entry, plan, now, stamp)
                if progress is not None and done % 1000 == 0:
                    progress(done * 100 // len(entries))
            changes = self._changes(together, [(s, before[s], together.state(s)) for s in streams
                                               if shows_differently(before[s], together.state(s))])
            skipped = sorted(set(plan.skipped), key=lambda s: s.row)  # a row's entries refused alike: said once
            imported = Imported(import_id, parsed.format, dry_run, parsed.rows, len(plan.made), matched, created,
                                skipped, changes)
            if not dry_run:
                together.commit(also=self._record(user_id, imported, plan, metadata or {}))
        return imported

    def _new_entries(self, together: Together, user_id: int, entries: Sequence[ImportedEntry]
                     ) -> tuple[list[ImportedEntry], list[tuple[ImportedEntry, tuple[int, int]]]]:
        """The entries no earlier import made, and those an earlier import made, each with the
        title id and version of the entry it made."""
        rows = together.run([(_ONE_AT_A_TIME, {"user_id": user_id}),
                             (_KNOWN, {"user_id": user_id, "fingerprints": [e.fingerprint for e in entries]})])
        known = {row["fingerprint"]: (row["title_id"], row["version"]) for row in rows}
        return ([entry for entry in entries if entry.fingerprint not in known],
                [(entry, known[entry.fingerprint]) for entry in entries if entry.fingerprint in known])

    def _titles(self, together: Together, user_id: int, entries: Sequence[ImportedEntry], plan: _Plan
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Match each title the entries name, and make the user's own titles for the others: the
        titles matched and the titles made, each once."""
        references: dict[tuple, TitleRef] = {}
        for entry in entries:
            references.setdefault(_reference(entry.title), entry.title)
        usable = {reference: title for reference, title in references.items() if title.kind in OWN_KINDS}
        wanted = list(usable.items())
        rows = together.run([(_MATCH, {"user_id": user_id, "refs": json.dumps([
            {"n": n, "kind": title.kind, "name": title.name, "creator": title.creator, "year": _year(title.year),
             "own": title.own}
            for n, (_, title) in enumerate(wanted)])})]) if wanted else []
        unmatched: dict[tuple, list[tuple]] = {}
        for row in rows:
            reference, title = wanted[row["n"]]
            if row["title_id"] is not None:
                plan.titles[reference] = row["title_id"]
            else:  # one own title for every reference of its kind, name and creator
                unmatched.setdefault((title.kind, *title.key()[:2]), []).append(reference)
        made = [usable[group[0]] for group in unmatched.values()]
        ids = sorted(row["id"] for row in together.run([(_CREATE_OWN, {"user_id": user_id, "titles": json.dumps([
            {"n": n, "kind": t.kind, "name": t.name.strip(), "creator": (t.creator or "").strip(),
             "year": _year(t.year), "total": _within(t.total, 1, 2**31 - 1),
             "unit": ((t.unit or "").strip()[:20] or "unit") if t.kind == CUSTOM else None}
            for n, t in enumerate(made)])})])) if made else []
        for group, title_id in zip(unmatched.values(), ids):
            for reference in group:
                plan.titles[reference] = title_id
        matched_ids = sorted(set(plan.titles.values()) - set(ids))
        described = self._described(together, [*matched_ids, *ids])
        return [described[i] for i in matched_ids], [described[i] for i in ids]

    @staticmethod
    def _described(together: Together, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        return {row["id"]: {"title_id": row["id"], "name": row["name"], "kind": row["kind"],
                            "creator": row["creator"], "year": row["year"], "own": row["own"]}
                for row in together.run([(_TITLES, {"ids": ids})])}

    def _decide(self, together: Together, user_id: int, entry: ImportedEntry, plan: _Plan, now: datetime,
                stamp: dict[str, Any]) -> None:
        """Decide one row's entry on its tracker, as a write of it would be decided; a row that a
        rule refuses is skipped with the rule's sentence."""
        title_id = plan.titles.get(_reference(entry.title))
        if title_id is None:
            plan.skipped.append(Skipped(entry.row, f"{entry.title.kind!r} is not a kind of title this service "
                                                   f"tracks ({', '.join(OWN_KINDS)})."))
            return
        stream = Stream(user_id, title_id)
        title = together.title(stream)
        try:
            command = command_for(formats.with_total(entry.event, title.total_units), entry.occurred_at,
                                  version_of=lambda version: plan.versions.get((title_id, version)))
            state = together.state(stream)
            history = together.entries(stream) if needs_history(command, state) else ()
            events = decide(state, command, history=history, total=title.total_units, now=now,
                            release_date=title.release_date, decimals=title.kind == CUSTOM)
        except ProgressServiceError as refused:
            plan.skipped.append(Skipped(entry.row, refused.detail))
            return
        after = together.decided(stream, events, occurred_at=entry.occurred_at,
                                 metadata={"import": {**stamp, "row": entry.row}})
        if entry.source_version is not None:
            plan.versions[(title_id, entry.source_version)] = after.version
        plan.made.append({"fingerprint": entry.fingerprint, "title_id": title_id, "version": after.version})

    @staticmethod
    def _changes(together: Together, changed: list[tuple[Stream, TrackerState, TrackerState]]) -> list[dict[str, Any]]:
        """Each tracker the import changes, before and after, as the undo's answer gives them."""
        if not changed:
            return []
        states = [tracker_row(stream, state) for stream, before, after in changed for state in (before, after)
                  if state.active]
        rendered: dict[tuple[int, int], dict[str, Any]] = {}
        for row in together.run([(_RENDER, {"states": rows_json(states)})]):
            tracker = json.loads(row["body"])
            rendered[(row["title_id"], tracker["version"])] = tracker
        names = {title_id: {"id": title_id, "name": d["name"], "kind": d["kind"]}
                 for title_id, d in Imports._described(together, [s.title_id for s, _, _ in changed]).items()}
        return [{"title_id": stream.title_id, "title": names[stream.title_id],
                 "before": rendered.get((stream.title_id, before.version)) if before.active else None,
                 "after": rendered.get((stream.title_id, after.version)) if after.active else None}
                for stream, before, after in changed]

    @staticmethod
    def _record(user_id: int, imported: Imported, plan: _Plan, metadata: dict[str, Any]) -> list[Statement]:
        """The import's row and its entries' fingerprints, committed with the entries."""
        answer = imported.answer()
        return [(_SAVE, {"user_id": user_id, "id": imported.import_id, "format": imported.format,
                         "rows": imported.rows, "entries": imported.entries,
                         "titles_matched": json.dumps(answer["titles_matched"]),
                         "titles_created": json.dumps(answer["titles_created"]),
                         "skipped": json.dumps(answer["skipped"]), "metadata": json.dumps(metadata)}),
                (_FINGERPRINTS, {"user_id": user_id, "import_id": imported.import_id,
                                 "rows": json.dumps(plan.made)})]

    # -- the job queue's part -------------------------------------------------------------------
    def carry_out_queued(self, user_id: int, import_id: str) -> Imported | None:
        """Carry out a queued import (the job's work): nothing when it has landed already (a job
        tried again after it committed), a failed import when the file cannot be imported."""
        with self.db.read() as conn:
            row = conn.execute(_FILE, {"user_id": user_id, "id": import_id}).mappings().first()
        if row is None or row["state"] in ("done", "failed"):
            return None
        self._set_state(user_id, import_id, "running", 0)
        try:
            parsed = formats.parse(row["format"], bytes(row["file"]), now=self.trackers.clock())
            return self.carry_out(user_id, parsed, import_id=import_id, metadata=row["metadata"],
                                  progress=lambda rows: self._set_state(user_id, import_id, "running", rows))
        except ProgressServiceError as refused:  # the file itself, or a rule: trying again changes nothing
            self._set_state(user_id, import_id, "failed", 0, failure=refused.detail)
            return None

    def _set_state(self, user_id: int, import_id: str, state: str, progress: int, *, failure: str | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute(_STATE, {"user_id": user_id, "id": import_id, "state": state, "progress": progress,
                                  "failure": failure})

    # -- reads ----------------------------------------------------------------------------------
    def get(self, user_id: int, import_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(_ONE, {"user_id": user_id, "id": _uuid(import_id)}).mappings().first()
        if row is None:
            raise ImportNotFound(f"There is no import {import_id} of yours.")
        return dict(row)

    def list(self, user_id: int) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [dict(row) for row in conn.execute(_LIST, {"user_id": user_id}).mappings()]

    # -- undo -----------------------------------------------------------------------------------
    def undo(self, user_id: int, import_id: str, *, dry_run: bool = False,
             metadata: dict[str, Any] | None = None) -> Undone:
        """Retract every entry the import made, and nothing else (entries logged by hand on the
        same titles stay), all together; with ``dry_run``, only say what that would do."""
        found = self.get(user_id, import_id)
        if found["state"] != "done":
            raise Conflict("This import has not landed yet; it can be undone once it has.")
        with self.db.read() as conn:
            made = {Stream(user_id, row.title_id): list(row.versions)
                    for row in conn.execute(_MADE, {"user_id": user_id, "import_id": found["import_id"]})}
        if not made:
            raise Conflict("This import appended no entries (its rows were all imported before), so there is "
                           "nothing of it to undo.")
        undo_id = None if dry_run else str(uuid.uuid4())
        undone = self.trackers.undo_entries(
            made, undo_id, dry_run=dry_run,
            metadata={**(metadata or {}), **({"undo_id": undo_id} if undo_id else {}), "undoes_import": import_id},
            also=[(_UNDONE, {"user_id": user_id, "import_id": found["import_id"], "undo_id": undo_id})],
            nothing_to_undo="This import has already been undone." if found["undone_at"] else
            "Every entry of this import has already been retracted.")
        return undone


def _holdable(entry: ImportedEntry) -> bool:
    """Whether PostgreSQL can hold the entry's text: none of it has a NUL character."""
    title, event = entry.title, entry.event
    change = event.change if isinstance(event, EntryCorrected) else event
    texts = (title.name, title.creator or "", title.unit or "", change.text if isinstance(change, NoteAdded) else "")
    return not any("\x00" in text for text in texts)


def _within(number: int | None, low: int, high: int) -> int | None:
    """A number a file gives, where a title's column can hold it (a year, a total); else none."""
    return number if number is not None and low <= number <= high else None


def _year(year: int | None) -> int | None:
    return _within(year, -9999, 9999)


def _uuid(text: str) -> str:
    """An import id as PostgreSQL reads it; another text names no import (404, not a 500)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ImportNotFound(f"There is no import {text} of yours.") from None

