"""``make bench``: run every benchmark on SQLite (and PostgreSQL when BENCH_DATABASE_URL is set) and write
docs/performance.md. Usage: python -m bench.run [--seconds N]."""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bench import exams, faults, heartbeat, http_baseline, item_analysis, question_bank, reports, roster
from bench.harness import ROOT, Section, prepared_database

# A benchmark returns rows (one table titled here) or ``Section``s (tables with their own titles and intros).
# The exam benchmarks run last: they add their own 55,000 questions, which the bank pages must not see.
BENCHMARKS = [("HTTP pipeline", http_baseline.run), ("Study heartbeat", heartbeat.run),
              ("Question bank", question_bank.run), ("Exams", exams.run), ("Autosave under worker kills", faults.run),
              ("Item analysis", item_analysis.run), ("HR roster", roster.run), ("Leadership reports", reports.run)]
REPORT = ROOT / "docs" / "performance.md"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    parser.add_argument("--only", default="", help="comma-separated benchmark titles to run (default: all); "
                                                    "the report then holds only those")
    args = parser.parse_args()
    chosen = {title.strip().lower() for title in args.only.split(",") if title.strip()}
    databases = [("SQLite", None)]
    if os.environ.get("BENCH_DATABASE_URL"):
        databases.append(("PostgreSQL", os.environ["BENCH_DATABASE_URL"]))
    sections = []
    for label, url in databases:
        with prepared_database(url) as env:
            for title, bench in BENCHMARKS:
                if chosen and title.lower() not in chosen:
                    continue
                print(f"== {title} on {label}", flush=True)
                output = bench(env, args.seconds)
                parts = output if output and isinstance(output[0], Section) else [Section(title, output)]
                for part in parts:
                    for row in part.rows:
                        r, ratio = row["result"], row["ratio"]
                        print(f"  {row['benchmark']}: {r.requests_per_second:.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                              + (f"p95 {r.p95_ms:.1f} ms, " if r.p95_ms is not None else "")
                              + f"p99 {r.p99_ms:.1f} ms, " + (f"{ratio:.2f}×, " if ratio is not None else "")
                              + f"errors {r.errors}" + (f", target {'met' if row['holds'] else 'MISSED'}"
                                                        if "holds" in row else ""), flush=True)
                    sections.append(Section(f"{part.title} — {label}", part.rows, part.intro))
    write_report(sections, args.seconds)


def write_report(sections: list[Section], seconds: int) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand. Every ratio compares figures measured",
        "in the same run on the same machine, as PERFORMANCE.md asks: absolute numbers move from run to run.",
        "",
        f"- Measured: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- Server: gunicorn, 2 sync workers, loopback; load: wrk, 1 thread, 8 connections, {seconds} s per run "
        "(unless a section says otherwise above its table)",
        "- Each pair (baseline, candidate) is run three times, alternating; the table shows the median round and",
        "  the median ratio. Baselines are the bare `/livez` endpoint of the same server (no database), driven by",
        "  the same wrk script as the candidate where it needs one, so client cost is equal on this 2-core host.",
        "- A target column ending in **met** or **MISSED** was checked by the benchmark itself.",
        "",
    ]
    for section in sections:
        with_p95 = any(row["result"].p95_ms is not None for row in section.rows)
        lines += [f"## {section.title}", ""]
        if section.intro:
            lines += [section.intro, ""]
        lines += ["| benchmark | req/s | p50 ms | " + ("p95 ms | " if with_p95 else "") + "p99 ms | errors | ratio | "
                  "target |", "|---|---:|---:|" + ("---:|" if with_p95 else "") + "---:|---:|---:|---|"]
        for row in section.rows:
            r, ratio = row["result"], row["ratio"]
            p95 = (f"{r.p95_ms:.1f} | " if r.p95_ms is not None else "– | ") if with_p95 else ""
            target = row["target"] + ((" — **met**" if row["holds"] else " — **MISSED**") if "holds" in row else "")
            lines.append(f"| {row['benchmark']} | {r.requests_per_second:,.0f} | {r.p50_ms:.1f} | {p95}"
                         f"{r.p99_ms:.1f} | {r.errors} | {f'{ratio:.2f}×' if ratio is not None else '–'} | {target} |")
        lines += [f"- {row['benchmark']}: {row['note']}" for row in section.rows if row.get("note")]
        lines.append("")
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {Path(REPORT).relative_to(ROOT)}")

if __name__ == "__main__":
    main()
