"""What ``/metrics`` tells Prometheus: requests by route template and status, their latency, the
events appended, and how far the feed and the NATS relay are behind the log.

``serve`` runs several worker processes; each writes its counts to files of its own in a folder
that ``prepare_multiprocess`` names before the workers start, and a scrape served by any worker
sums them (prometheus_client's multiprocess mode). The lags are read from the database by the
scrape itself, so they are the same whichever worker answers and need no process of their own.
"""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from . import eventstore
from .errors import ServiceUnavailable

if TYPE_CHECKING:
    from .db import Database

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable

def prepare_multiprocess(folder: Path) -> None:
    """Count in ``folder``, emptied first (a restart starts the counts again, as Prometheus expects
    of a new process): called by ``serve`` before its workers start, so that each of them, and the
    scrapes they answer, count together."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(folder.resolve())


@functools.cache
def _metrics() -> Any:
    # prometheus_client picks its mode (one process, or files per process) when it is first
    # imported, so it is imported here, on first use, after serve has named the folder.
    import prometheus_client as prom

    class Metrics:
        requests = prom.Counter("progress_requests", "HTTP requests answered, by route template and status",
                                ["method", "route", "status"])
        latency = prom.Histogram("progress_request_duration_seconds",
                                 "Time from a request's arrival to its answer's first byte, by route template",
                                 ["method", "route"])
        appended = prom.Counter("progress_events_appended", "Events appended to the log (committed)")
    return Metrics


def request_answered(method: str, route: str, status: int, seconds: float) -> None:
    metrics = _metrics()
    metrics.requests.labels(method, route, str(status)).inc()
    metrics.latency.labels(method, route).observe(seconds)


def events_appended(count: int) -> None:
    if count:
        _metrics().appended.inc(count)


class _Lags:
    """The feed's and the relay's lag, read when Prometheus scrapes; left out while the database
    does not answer (the scrape still answers with the rest)."""

    def __init__(self, db: Database):
        self._db = db

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from .relay import relay_lag  # the relay's own reading of its checkpoint

        try:
            with self._db.read_briefly() as conn:
                held, waited = eventstore.held_back(conn)
                relayed = relay_lag(conn)
        except ServiceUnavailable:
            return
        yield GaugeMetricFamily("progress_feed_lag_events", "Committed events a follower cannot read yet, "
                                "because an older transaction is still appending", value=held)
        yield GaugeMetricFamily("progress_feed_lag_seconds", "How long the oldest of them has waited",
                                value=waited)
        if relayed is not None:  # absent until a relay has run
            yield GaugeMetricFamily("progress_relay_lag_events",
                                    "Events of the feed the NATS relay has still to publish", value=relayed)


class _Everything:
    """This process's own metrics, for a scrape in one process (no serve workers to sum)."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def scrape(db: Database) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    _metrics()
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Everything())
    registry.register(_Lags(db))
    return generate_latest(registry), CONTENT_TYPE_LATEST
