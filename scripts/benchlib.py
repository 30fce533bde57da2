"""What both benchmarks share: figures next to their raw ceiling, the table, percentiles, connections."""
from __future__ import annotations

import atexit
import contextlib
import os
import platform
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from progress_service.db import embedded_url


def log(message: str = "") -> None:
    print(message, flush=True)


@dataclass
class Figure:
    name: str
    ours: float | None
    raw: float | None
    unit: str
    higher_is_better: bool
    target: str = "report"
    met: bool | None = None
    ratio_override: float | None = None
    section: int = 0  # the part of the brief, for the table's order

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if not self.ours or not self.raw:
            return None
        return self.ours / self.raw if self.higher_is_better else self.raw / self.ours


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.3f} ms"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "count":
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.1f} {unit}"


def markdown_table(figures: list[Figure], note: str) -> str:
    lines = ["| figure | ours | raw ceiling | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for f in sorted(figures, key=lambda f: f.section):
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}"
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(f"| {f.name} | {fmt(f.ours, f.unit)} | {fmt(f.raw, f.unit)} | {ratio} | {f.target} | {met} |")
    lines.append("")
    lines.append("ratio: ours/raw for rates and raw/ours for latencies, so higher is better and 1.00 is the raw "
                 "ceiling" + note)
    return "\n".join(lines)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def psycopg2_kwargs(url: str) -> dict[str, Any]:
    """libpq keywords for a SQLAlchemy URL (the embedded server's puts its socket in ?host=)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {k: v for k, v in parsed.translate_connect_args(
        username="user", database="dbname").items() if v not in (None, "")}
    kwargs.update({k: v for k, v in parsed.query.items() if isinstance(v, str)})
    kwargs["options"] = "-c timezone=UTC"  # as Database does
    return kwargs


def raw_connect(url: str, *, autocommit: bool = False):
    conn = psycopg2.connect(**psycopg2_kwargs(url))
    conn.autocommit = autocommit
    return conn


def log_server(url: str, database: str) -> None:
    """Log the PostgreSQL server at ``url`` (which holds the run's ``database``), the settings that
    move the figures, and the machine."""
    conn = raw_connect(url, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0]
        settings = {}
        for setting in ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "max_connections"):
            cur.execute(f"SHOW {setting}")
            settings[setting] = cur.fetchone()[0]
    conn.close()
    log(f"database {database} on {version.split(' on ')[0]}; {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}")
    log("server settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))


def report(table: str, started: float, markdown: Path | None) -> None:
    """End a run: the results table, the whole run's time, and the table into ``markdown`` if asked."""
    log("")
    log(table)
    log(f"\n(whole run: {time.perf_counter() - started:.0f} s)")
    if markdown:
        markdown.write_text(table + "\n")


@contextlib.contextmanager
def bench_database(server_url: str | None, *, keep: bool) -> Iterator[tuple[str, str]]:
    """A fresh database ``progress_bench_<random>`` on the server (an embedded PostgreSQL in a
    temporary folder when None), as (url, name); dropped at the end unless ``keep``."""
    if not server_url:
        folder = Path(tempfile.mkdtemp(prefix="progress_bench_pg_"))
        if not keep:  # registered first, so it runs after pgserver has stopped the server
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
        log(f"starting an embedded PostgreSQL in {folder}")
        server_url = embedded_url(folder / "postgres")
    name = f"progress_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, name
    finally:
        if keep:
            log(f"kept database {name}: {url}")
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
