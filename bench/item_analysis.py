"""Item analysis over 1,000,000 graded responses (issue 6: ≤ 1.5× a hand-written SQL aggregate baseline, on
SQLite and on PostgreSQL, in the same run).

A database of its own of the run's kind (a temporary SQLite file; on PostgreSQL a database next to the run's
one, or the one given with ``--postgres``), migrated, with the demo data, gets a 2,000-question bank
(``bench.exams.generate_questions``), one published random-paper exam of the demo formal blueprint (single 20,
multiple 10 with partial credit, true/false 10, fill-in 10: 50 items, 100 points) and 20,000 graded attempts ×
50 items drawn from the bank = 1,000,000 responses, written by bulk DB-API inserts (``executemany`` on SQLite,
``COPY`` on PostgreSQL). Responses follow a three-parameter logistic model (ability per attempt; difficulty from
the question's difficulty level, discrimination and guessing per question; 3 % of the questions miskeyed, so
they discriminate negatively); 2 % of the responses are blank; wrong single-choice answers favour one distractor.

Timed, alternating, after one warm-up each, ``REPEATS`` times, median:

- **service**: ``question_bank.exams.services.analysis.analyse_exam`` — the full item analysis of the exam as
  the page and the API get it (the cache bypassed): every figure of every version, distractor counts, alpha;
- **baseline**: hand-written SQL on a bare DB-API connection (``sqlite3`` / ``psycopg``) computing the same
  figures — the attempt totals, then one statement with the per-version sums, the 27 % groups' option counts and
  the sorted-pairs sum of the maximum covariance (from a joint score histogram, the cheapest plain SQL we found:
  a ``ROW_NUMBER`` self-join of the responses is timed once for comparison) — and the same arithmetic in Python.

The two results are compared figure by figure (must agree to 1e-9). Run alone: ``python -m bench.item_analysis
[--postgres URL]`` (SQLite, and PostgreSQL when a URL is given or BENCH_DATABASE_URL is set); it rewrites only
its own section of docs/performance.md.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text

from bench import exams as exam_bench
from bench import item_analysis_baseline as baseline
from bench.harness import ROOT, LoadResult, Section, prepared_database, sibling_database

BANK, ATTEMPTS, USERS, SEED = 2_000, 20_000, 1_000, 2028
REPEATS, TARGET = 5, 1.5
TYPES = {"single": (20, Decimal("2")), "multiple": (10, Decimal("3")), "true_false": (10, Decimal("1")),
         "fill_blank": (10, Decimal("2"))}
GUESS = {"single": 0.25, "multiple": 0.1, "true_false": 0.5, "fill_blank": 0.0}
BLANK_SHARE, MISKEYED_SHARE = 0.02, 0.03
ITEM_COLUMNS = ("attempt_id", "position", "question_id", "question_version_id", "points", "option_order",
                "response", "response_seq", "saved_at", "flagged", "score", "graded_at", "feedback")
ATTEMPT_COLUMNS = ("id", "exam_id", "user_id", "number", "form_seed", "status", "started_at", "deadline_at",
                   "submitted_at", "finished_by", "graded_at", "score", "max_score", "passed", "session_token")
MARK_BEGIN, MARK_END = "<!-- item-analysis:begin -->", "<!-- item-analysis:end -->"


@dataclass(frozen=True)
class Version:
    """A bank question as the generator sees it: ids, type, options, key and its response model."""

    id: int
    question_id: int
    type: str
    letters: str
    key: object
    difficulty: float
    slope: float
    lure: str


def load_versions(rng: random.Random) -> dict[str, list[Version]]:
    """The generated bank's versions by type, each with a difficulty, a slope (negative when miskeyed) and a
    favourite distractor."""
    from question_bank.models import Question, QuestionVersion
    from training.extensions import db

    rows = db.session.execute(select(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.type,
                                     QuestionVersion.options, QuestionVersion.key, QuestionVersion.difficulty)
                              .join(Question, Question.id == QuestionVersion.question_id)
                              .where(Question.code.like("X%"), QuestionVersion.type.in_(list(TYPES)))
                              .order_by(QuestionVersion.id)).all()
    pools: dict[str, list[Version]] = {kind: [] for kind in TYPES}
    for row in rows:
        letters = "ABCDEF"[:len(row.options or [])]
        slope = rng.uniform(0.5, 2.0) * (-1 if rng.random() < MISKEYED_SHARE else 1)
        wrong = [letter for letter in letters if letter not in str(row.key)] or ["A"]
        pools[row.type].append(Version(row.id, row.question_id, row.type, letters, row.key,
                                       (row.difficulty - 3) * 0.6 + rng.gauss(0, 0.4), slope, rng.choice(wrong)))
    return pools


def respond(rng: random.Random, version: Version, ability: float, points: Decimal) -> tuple[object, float]:
    """A plausible (response, score) of a candidate of ``ability``; multiple choice earns partial credit."""
    if rng.random() < BLANK_SHARE:
        return None, 0.0
    chance = GUESS[version.type]
    right = rng.random() < chance + (1 - chance) / (1 + math.exp(-1.7 * version.slope * (ability - version.difficulty)))
    kind, key = version.type, version.key
    if kind == "true_false":
        return (key if right else not key), float(points) if right else 0.0
    if kind == "fill_blank":
        return (["正确答案"] if right else ["错误答案"]), float(points) if right else 0.0
    if kind == "single":
        if right:
            return key, float(points)
        wrong = [letter for letter in version.letters if letter != key]
        return (version.lure if rng.random() < 0.5 else rng.choice(wrong)), 0.0
    if right:
        return key, float(points)
    if rng.random() < 0.4 and len(key) > 1:  # a proper subset of the key: partial credit
        chosen = "".join(sorted(rng.sample(key, rng.randint(1, len(key) - 1))))
        return chosen, round(float(points) * len(chosen) / len(key), 2)
    chosen = "".join(sorted(set(rng.sample(version.letters, rng.randint(1, len(version.letters) - 1)))
                            | {version.lure}))
    return (chosen if chosen != key else version.lure), 0.0


def make_users(count: int) -> list[int]:
    from training.extensions import db
    from training.org.models import User

    department = exam_bench.root_department()
    db.session.add_all(User(employee_no=f"IA{n:05d}", name=f"考生{n}", department_id=department,
                            must_change_password=False) for n in range(count))
    db.session.commit()
    return list(db.session.scalars(select(User.id).where(User.employee_no.startswith("IA")).order_by(User.id)))


def build_rows(exam_id: int, users: list[int], pools: dict[str, list[Version]], first_id: int,
               rng: random.Random) -> tuple[list[tuple], list[tuple]]:
    """(attempt rows, item rows) in ``ATTEMPT_COLUMNS`` / ``ITEM_COLUMNS`` order."""
    from training.core.clock import utcnow

    now = utcnow().replace(microsecond=0)
    attempts, items = [], []
    maximum = sum(count * points for count, points in TYPES.values())
    for number in range(ATTEMPTS):
        attempt_id, ability = first_id + number, rng.gauss(0, 1)
        started = now - timedelta(days=10, seconds=number * 30)
        total, position = 0.0, 0
        for kind, (count, points) in TYPES.items():
            for version in rng.sample(pools[kind], count):
                position += 1
                response, score = respond(rng, version, ability, points)
                total += score
                items.append((attempt_id, position, version.question_id, version.id, float(points), "",
                              json.dumps(response), 1, started, False, score, started, ""))
        total = round(total, 2)
        attempts.append((attempt_id, exam_id, users[number % len(users)], number // len(users) + 1, number,
                         "graded", started, started + timedelta(hours=1), started + timedelta(minutes=50),
                         "candidate", started + timedelta(minutes=50), total, float(maximum), total >= 60, ""))
    return attempts, items


def bulk_insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """DB-API bulk insert on the app's engine: ``executemany`` (SQLite) or ``COPY`` (PostgreSQL, then the id
    sequence is moved past the inserted ids)."""
    from training.extensions import db

    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if db.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if "id" in columns:  # explicit ids: move the sequence past them for later ORM inserts
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))")
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                               [tuple(value.isoformat(sep=" ") if hasattr(value, "isoformat") else value
                                      for value in row) for row in rows])
        connection.commit()
    finally:
        connection.close()


def generate(app) -> tuple[int, str]:
    """The bank, the exam and its 1,000,000 responses; (exam id, a note on how long it took)."""
    from question_bank.exams.models import Exam
    from training.extensions import db

    with app.app_context():
        began = time.perf_counter()
        exam_bench.generate_questions(BANK, SEED)
        db.session.commit()
        rng = random.Random(SEED)
        pools, users = load_versions(rng), make_users(USERS)
        exam_id = exam_bench.make_exam("试题分析压测")
        db.session.get(Exam, exam_id).scoring_policy = "partial"
        db.session.commit()
        first_id = (db.session.scalar(text("SELECT MAX(id) FROM attempts")) or 0) + 1
        attempts, items = build_rows(exam_id, users, pools, first_id, rng)
        built = time.perf_counter()
        bulk_insert("attempts", ATTEMPT_COLUMNS, attempts)
        bulk_insert("attempt_items", ITEM_COLUMNS, items)
        inserted = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        counted = db.session.execute(text("SELECT COUNT(*) FROM attempt_items i JOIN attempts a ON a.id = "
                                          "i.attempt_id WHERE a.exam_id = :e"), {"e": exam_id}).scalar()
        db.session.remove()
    note = (f"{BANK:,}-question bank, {ATTEMPTS:,} graded attempts × 50 items = {counted:,} responses of one exam; "
            f"generated in {built - began:.1f} s, bulk-inserted in {inserted - built:.1f} s")
    return exam_id, note


def time_service(app, exam_id: int):
    from question_bank.exams.services.analysis import analyse_exam
    from training.extensions import db

    with app.app_context():
        began = time.perf_counter()
        result = analyse_exam(exam_id)
        elapsed = time.perf_counter() - began
        db.session.remove()
    return elapsed, result


def measure(app, url: str, exam_id: int) -> dict:
    """Alternating warm-up + ``REPEATS`` rounds; medians and the figures' agreement."""
    service_times, baseline_times = [], []
    service = base = None
    for round_number in range(REPEATS + 1):
        elapsed, service = time_service(app, exam_id)
        base_elapsed, base = baseline.run(url, exam_id)
        if round_number:
            service_times.append(elapsed)
            baseline_times.append(base_elapsed)
    mismatches = baseline.compare(service, base)
    join_seconds = baseline.run_rownumber(url, exam_id)
    return {"service": service_times, "baseline": baseline_times, "mismatches": mismatches,
            "items": len(service.items), "alpha": service.alpha, "join": join_seconds,
            "flagged": sum(1 for item in service.items if item.flags)}


def one_shot(name: str, seconds: list[float]) -> LoadResult:
    """p50 = the median, p99 column = the slowest run (ms); the req/s column holds analyses per minute."""
    p50 = statistics.median(seconds) * 1000
    return LoadResult(name, 60_000 / p50 if p50 else 0.0, p50, max(seconds) * 1000, 0, len(seconds))


def section(figures: dict, note: str) -> Section:
    base, service = statistics.median(figures["baseline"]), statistics.median(figures["service"])
    ratio = service / base
    holds = ratio <= TARGET and not figures["mismatches"]
    rows = [
        {"benchmark": "baseline: hand-written SQL on a bare DB-API connection",
         "result": one_shot("baseline", figures["baseline"]),
         "ratio": 1.0, "target": "baseline", "note": note + "; the ROW_NUMBER self-join variant of the maximum "
                                                          f"covariance took {figures['join']:.2f} s once"},
        {"benchmark": "analyse_exam: full item analysis of the exam (service, cache bypassed)",
         "result": one_shot("service", figures["service"]), "ratio": ratio, "holds": holds,
         "target": f"≤ {TARGET}× the baseline (ratio = median / median), same figures",
         "note": f"{figures['items']:,} question versions, alpha {figures['alpha']:.4f}, {figures['flagged']} "
                 f"flagged; service vs baseline figures differing by more than 1e-9: {len(figures['mismatches'])}"
                 + (f" {figures['mismatches'][:3]}" if figures["mismatches"] else "")},
    ]
    intro = (f"One exam with {ATTEMPTS:,} graded attempts × 50 items (1,000,000 responses), a random paper from a "
             f"{BANK:,}-question bank; each analysis timed in-process, service and baseline alternating, one "
             f"warm-up each then {REPEATS} rounds. Columns: req/s = full analyses per minute; p50 = median "
             "wall-clock ms per full analysis; p99 = the slowest of the rounds; ratio = service median / baseline "
             "median.")
    return Section("Item analysis", rows, intro)


@contextmanager
def analysis_database(url: str | None, own: bool):
    """Migrated database with the demo data for the bench: ``url`` itself when ``own`` (its schema is
    reset), else a sibling of it (PostgreSQL) or a temporary SQLite file."""
    if own:
        with prepared_database(url) as env:
            yield env
        return
    with sibling_database(url, "analysis") as sibling, prepared_database(sibling) as env:
        yield env


def bench_database(url: str | None, own: bool = False) -> Section:
    with analysis_database(url, own) as env:
        app = exam_bench.make_app(env)
        exam_id, note = generate(app)
        figures = measure(app, env["DATABASE_URL"], exam_id)
    label = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    result = section(figures, note)
    result.intro += f" Database: {label} ({database_version(app)})."
    return result


def database_version(app) -> str:
    from training.extensions import db

    with app.app_context():
        name = db.engine.dialect.name
        version = db.session.scalar(text("SHOW server_version" if name == "postgresql" else "SELECT sqlite_version()"))
        db.session.remove()
        db.engine.dispose()
    return f"{name} {version}"


def run(env: dict[str, str], seconds: int) -> list[Section]:
    """For bench/run.py: the benchmark on a database of its own of ``env``'s kind (``seconds`` unused)."""
    url = env["DATABASE_URL"] if env["DATABASE_URL"].startswith("postgres") else None
    return [bench_database(url)]


def write_section(sections: list[Section]) -> None:
    """Replace this benchmark's part of docs/performance.md (between its markers, else its sections by title,
    else appended), leaving the rest of the file as it is."""
    from bench.run import REPORT, write_report

    scratch = ROOT / "docs" / ".item-analysis.md"
    original = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Performance\n"
    try:
        import bench.run as runner

        runner.REPORT = scratch
        write_report(sections, 0)
        body = scratch.read_text(encoding="utf-8")
    finally:
        runner.REPORT = REPORT
        scratch.unlink(missing_ok=True)
    ours = MARK_BEGIN + "\n" + body[body.index("## "):].rstrip() + "\n" + MARK_END + "\n"
    REPORT.write_text(replace_section(original, ours), encoding="utf-8")
    print(f"updated {REPORT.relative_to(ROOT)}")


def replace_section(document: str, ours: str) -> str:
    if MARK_BEGIN in document and MARK_END in document:
        head, rest = document.split(MARK_BEGIN, 1)
        return head + ours + rest.split(MARK_END, 1)[1].lstrip("\n")
    lines, kept, skipping = document.splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith("## "):
            skipping = line.startswith("## Item analysis")
        if not skipping:
            kept.append(line)
    return "".join(kept).rstrip("\n") + "\n\n" + ours


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="", help="a PostgreSQL database of the bench's own (reset)")
    args = parser.parse_args()
    sections = [("SQLite", bench_database(None))]
    if args.postgres:
        sections.append(("PostgreSQL", bench_database(args.postgres, own=True)))
    elif os.environ.get("BENCH_DATABASE_URL"):
        sections.append(("PostgreSQL", bench_database(os.environ["BENCH_DATABASE_URL"])))
    sections = [Section(f"{part.title} — {label}", part.rows, part.intro) for label, part in sections]
    for part in sections:
        print(f"== {part.title}")
        for row in part.rows:
            r = row["result"]
            print(f"  {row['benchmark']}: median {r.p50_ms:.0f} ms, slowest {r.p99_ms:.0f} ms, ratio {row['ratio']:.2f}"
                  + (f", target {'met' if row['holds'] else 'MISSED'}" if "holds" in row else ""))
            if row.get("note"):
                print(f"    {row['note']}")
    write_section(sections)


if __name__ == "__main__":
    main()
