"""Histories built through the domain's decide, as the service builds them, and hypothesis
strategies for random ones (with corrections, retractions, rollbacks, undos and new passes), for
the tests of every tier that fold, project or rebuild them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from progress_service.domain.events import Recorded
from progress_service.domain.rules import (
    AddNote, AddProgress, CorrectEntry, LogChanges, Rate, RemoveTracker, Restart, RetractEntry, RollBack,
    SetProgress, SetStatus, Undo, decide,
)
from progress_service.domain.tracker import advance, fold
from progress_service.domain.vocabulary import STATUSES
from progress_service.errors import ProgressServiceError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Stream:
    """A tracker's history built through decide, as the service builds it."""

    def __init__(self, total: int | None = 10, release_date=None, decimals: bool = False):
        self.total = total
        self.release_date = release_date
        self.decimals = decimals  # a custom title's: decimal amounts
        self.history: list[Recorded] = []
        self.clock = T0

    @property
    def state(self):
        return fold(self.history)

    def run(self, command_for) -> list[Recorded]:
        self.clock += timedelta(hours=1)
        command = command_for(self.history, self.clock)
        events = decide(self.state, command, history=self.history, total=self.total, now=self.clock,
                        release_date=self.release_date, decimals=self.decimals)
        entries = [Recorded(len(self.history) + i, e, command.occurred_at, id=100 + len(self.history) + i,
                            recorded_at=self.clock) for i, e in enumerate(events, start=1)]
        self.history.extend(entries)
        return entries

    def log(self, *changes, occurred_at=None):
        return self.run(lambda history, now: LogChanges(changes, occurred_at or now))

    def correct(self, version, change):
        return self.run(lambda history, now: CorrectEntry(version, change, now))

    def retract(self, version):
        return self.run(lambda history, now: RetractEntry(version, now))

    def roll_back(self, version):
        return self.run(lambda history, now: RollBack(version, now))

    def remove(self):
        return self.run(lambda history, now: RemoveTracker(now))

    def undo(self, *versions):
        return self.run(lambda history, now: Undo(versions, now))


_changes = (
    st.builds(SetStatus, st.sampled_from(STATUSES)),
    st.builds(SetProgress, st.integers(0, 12)),
    st.builds(AddProgress, st.integers(-3, 4)),
    st.builds(Rate, st.one_of(st.none(), st.integers(1, 10).map(lambda halves: halves / 2))),
    st.builds(AddNote, st.sampled_from(["good", "slow start", "rewatch"])),
)
changes = st.one_of(*_changes)

# A custom title's amounts: hundredths (2 places), whole or not.
hundredths = st.integers(-300, 1200).map(lambda n: Decimal(n) / 100)
decimal_changes = st.one_of(*_changes, st.builds(SetProgress, hundredths.map(abs)), st.builds(AddProgress, hundredths))
decimal_commands = st.one_of(
    st.tuples(st.just("log"), st.lists(st.one_of(decimal_changes, st.just(Restart())), min_size=1, max_size=3)),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("correct"), st.tuples(st.floats(0, 1), decimal_changes)),
    st.tuples(st.just("retract"), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.floats(0, 1)),
    st.tuples(st.just("backdate"), st.tuples(st.integers(1, 240), st.lists(decimal_changes, min_size=1, max_size=2))),
)
decimal_scripts = st.lists(decimal_commands, max_size=25)

# What an entry may log: any change, or starting again (a new pass), which no correction carries.
logged = st.one_of(*_changes, st.just(Restart()))

# A command is built against the history it lands on, so targets are drawn as fractions of it.
commands = st.one_of(
    st.tuples(st.just("log"), st.lists(logged, min_size=1, max_size=3)),
    st.tuples(st.just("log"), st.lists(logged, min_size=1, max_size=1)),
    st.tuples(st.just("log"), st.just([Restart()])),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("correct"), st.tuples(st.floats(0, 1), changes)),
    st.tuples(st.just("retract"), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.floats(0, 1)),
    st.tuples(st.just("undo"), st.tuples(st.floats(0, 1), st.floats(0, 1))),
)
# The same, with entries logged as having happened up to ten days before they were logged: each
# takes its place among the entries by when it occurred.
backdated_commands = st.one_of(commands, st.tuples(st.just("backdate"), st.tuples(
    st.integers(1, 240), st.lists(logged, min_size=1, max_size=2))))


def make(kind, arg):
    def command_for(history, now):
        pick = lambda fraction: 1 + int(fraction * max(len(history) - 1, 0))  # noqa: E731
        if kind == "log":
            return LogChanges(tuple(arg), now)
        if kind == "backdate":
            return LogChanges(tuple(arg[1]), now - timedelta(hours=arg[0]))
        if kind == "remove":
            return RemoveTracker(now)
        if kind == "correct":
            return CorrectEntry(pick(arg[0]), arg[1], now)
        if kind == "retract":  # of any entry: retracting a retraction, correction or rollback undoes it
            return RetractEntry(pick(arg), now)
        if kind == "undo":  # every entry from one version to another, as an undo of a range takes them
            low, high = sorted((pick(arg[0]), pick(arg[1])))
            return Undo(tuple(range(low, high + 1)) if history else (), now)
        return RollBack(pick(arg), now)
    return command_for


def play(total, script, *, decimals: bool = False) -> tuple[Stream, list]:
    """Run a script of commands (on a custom title's decimal amounts with ``decimals``); refused
    ones append nothing. Returns the stream and the states the service would have kept
    incrementally after each entry."""
    stream = Stream(total=total, decimals=decimals)
    kept = []
    state = fold([])
    for kind, arg in script:
        before = list(stream.history)
        try:
            entries = stream.run(make(kind, arg))
        except ProgressServiceError:
            assert stream.history == before
            continue
        states = advance(state, entries, lambda: before)
        kept.extend(states)
        state = states[-1] if states else state  # an undo with nothing left to take back appends nothing
    return stream, kept


totals = st.one_of(st.none(), st.integers(1, 12))
scripts = st.lists(commands, max_size=25)
backdated_scripts = st.lists(backdated_commands, max_size=25)


# Writes through the service (services.Trackers), on a few trackers of one user: which of ``titles``
# (an index) and what; refused writes append nothing.
service_writes = st.lists(st.one_of(
    st.tuples(st.just("log"), st.integers(0, 2), st.lists(logged, min_size=1, max_size=2)),
    st.tuples(st.just("log"), st.integers(0, 2), st.just([Restart()])),
    st.tuples(st.just("remove"), st.integers(0, 2), st.none()),
    st.tuples(st.just("correct"), st.integers(0, 2), st.tuples(st.floats(0, 1), changes)),
    st.tuples(st.just("retract"), st.integers(0, 2), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.integers(0, 2), st.floats(0, 1)),
    st.tuples(st.just("backdate"), st.integers(0, 2), st.tuples(st.integers(1, 400), logged)),
    st.tuples(st.just("undo"), st.integers(0, 2), st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans())),
), max_size=20)


# The same on a custom title among them: decimal amounts, whole ones, and everything else.
decimal_service_writes = st.lists(st.one_of(
    st.tuples(st.just("log"), st.integers(0, 2), st.lists(st.one_of(decimal_changes, st.just(Restart())),
                                                          min_size=1, max_size=2)),
    st.tuples(st.just("remove"), st.integers(0, 2), st.none()),
    st.tuples(st.just("correct"), st.integers(0, 2), st.tuples(st.floats(0, 1), decimal_changes)),
    st.tuples(st.just("retract"), st.integers(0, 2), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.integers(0, 2), st.floats(0, 1)),
    st.tuples(st.just("backdate"), st.integers(0, 2), st.tuples(st.integers(1, 400), decimal_changes)),
), max_size=20)


def write_through(trackers, user: int, titles: list[int], script, now: datetime) -> None:
    """Carry out a script of ``service_writes`` for ``user``; a write the service refuses is skipped."""
    for kind, which, arg in script:
        title = titles[which]
        history = trackers.history(user, title)
        pick = lambda fraction: history[int(fraction * (len(history) - 1))]  # noqa: E731
        try:
            if kind == "log":
                trackers.log(user, title, arg)
            elif kind == "backdate":
                trackers.log(user, title, [arg[1]], occurred_at=now - timedelta(days=arg[0]))
            elif kind == "remove":
                trackers.remove(user, title)
            elif not history:
                continue
            elif kind == "correct":
                trackers.correct(user, pick(arg[0]).id, arg[1])
            elif kind == "retract":  # of any entry: a retraction, correction or rollback is undone
                trackers.retract(user, pick(arg).id)
            elif kind == "undo":  # what was recorded between two of its entries, on it or on every title
                first, last = sorted(pick(fraction).recorded_at for fraction in arg[:2])
                trackers.undo(user, first, last + timedelta(microseconds=1), title_id=None if arg[2] else title)
            else:
                trackers.roll_back(user, title, to_version=pick(arg).version)
        except ProgressServiceError:
            pass


# Histories of a tracker that is started and started again often, among everything else.
restart = st.tuples(st.just("log"), st.just([Restart()]))
restarted_scripts = st.lists(st.one_of(backdated_commands, restart, st.tuples(st.just("backdate"), st.tuples(
    st.integers(1, 240), st.just([Restart()])))), min_size=1, max_size=25).map(
    lambda script: [("log", [SetStatus("in_progress")])] + script)
