"""``make bench``: run every benchmark on SQLite (and PostgreSQL when BENCH_DATABASE_URL is set) and write
docs/performance.md. Usage: python -m bench.run [--seconds N]."""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bench import heartbeat, http_baseline, question_bank
from bench.harness import ROOT, prepared_database

BENCHMARKS = [("HTTP pipeline", http_baseline.run), ("Study heartbeat", heartbeat.run),
              ("Question bank", question_bank.run)]
REPORT = ROOT / "docs" / "performance.md"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    args = parser.parse_args()
    databases = [("SQLite", None)]
    if os.environ.get("BENCH_DATABASE_URL"):
        databases.append(("PostgreSQL", os.environ["BENCH_DATABASE_URL"]))
    sections = []
    for label, url in databases:
        with prepared_database(url) as env:
            for title, bench in BENCHMARKS:
                print(f"== {title} on {label}")
                rows = bench(env, args.seconds)
                for row in rows:
                    r = row["result"]
                    print(f"  {row['benchmark']}: {r.requests_per_second:.0f} req/s, p99 {r.p99_ms:.1f} ms, "
                          f"{row['ratio']:.2f}×, errors {r.errors}")
                sections.append((f"{title} — {label}", rows))
    write_report(sections, args.seconds)


def write_report(sections, seconds: int) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand. Every ratio compares figures measured",
        "in the same run on the same machine, as PERFORMANCE.md asks: absolute numbers move from run to run.",
        "",
        f"- Measured: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- Server: gunicorn, 2 sync workers, loopback; load: wrk, 1 thread, 8 connections, {seconds} s per run",
        "- Each pair (baseline, candidate) is run three times, alternating; the table shows the median round and",
        "  the median ratio. Baselines are the bare `/livez` endpoint of the same server (no database), driven by",
        "  the same wrk script as the candidate where it needs one, so client cost is equal on this 2-core host.",
        "",
    ]
    for title, rows in sections:
        lines += [f"## {title}", "", "| benchmark | req/s | p50 ms | p99 ms | errors | ratio | target |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for row in rows:
            r = row["result"]
            lines.append(f"| {row['benchmark']} | {r.requests_per_second:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                         f"{r.errors} | {row['ratio']:.2f}× | {row['target']} |")
        lines += [f"- {row['benchmark']}: {row['note']}" for row in rows if row.get("note")]
        lines.append("")
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {Path(REPORT).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
