"""HR roster over 100,000 officials (issue 7: a page in < 300 ms on SQLite), against the best hand-written SQL for
the same page on a bare DB-API connection, measured in the same run.

A database of its own of the run's kind (a temporary SQLite file; on PostgreSQL a database next to the run's one),
migrated, with the demo data, gets a generated organisation below the demo province: 16 cities × 12 bureaus × 10
divisions (2,128 departments, materialised paths), 100,000 officials (2 % inactive) in the bureaus and divisions,
5 programmes with a ``ProgramAssignment`` for 85 % of the people (1–4 each, statuses spread over all seven, the
holders with a certificate and its expiry), ``YearlyHours`` for this year (90 %) and last year (70 %), lesson
progress for 30 % and an exam attempt for 10 % — written by bulk DB-API inserts (``executemany`` on SQLite,
``COPY`` on PostgreSQL).

Timed as a province-level HR officer (scope: the province), alternating, one warm-up each, then ``REPEATS``
rounds, median:

- **service**: ``training.certification.services.roster.roster_page`` for each page below;
- **view**: ``GET /hr/?…`` through the Flask test client (the service plus the filter form, its department and
  programme choices and the template);
- **baseline**: the same statements written by hand (count, page, statuses, path names, last activity) on a bare
  DB-API connection (``sqlite3`` / ``psycopg``); its rows are compared with the service's.

Pages: the first page in tree order; overdue people of one city, most 学时 first; sorted by this year's 学时;
below target with a certificate expiring within 60 days; a deep page (1,500 of 2,000) by name. Then the roster
export (all 100,000 rows to .xlsx) and the compliance export (everyone below target), once each after a warm-up
of the first. Run alone: ``python -m bench.roster`` (SQLite, and PostgreSQL when BENCH_DATABASE_URL is set); it
rewrites only its own section of docs/performance.md.
"""

from __future__ import annotations

import random
import statistics
import string
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select, text

from bench import exams as exam_bench
from bench.harness import ROOT, LoadResult, Section, prepared_database, sibling_database
from bench.item_analysis import bulk_insert, database_version

PEOPLE, CITIES, BUREAUS, DIVISIONS, PROGRAMS = 100_000, 16, 12, 10, 5
REPEATS, TARGET_MS, SEED = 7, 300.0, 2030
BUREAU_NAMES = ("政务服务管理局", "人力资源和社会保障局", "发展和改革委员会", "财政局", "教育局", "公安局", "民政局",
                "自然资源局", "生态环境局", "交通运输局", "卫生健康委员会", "市场监督管理局")
MARK_BEGIN, MARK_END = "<!-- roster:begin -->", "<!-- roster:end -->"
STATUS_WEIGHTS = (("not_started", 20), ("in_progress", 30), ("awaiting_exam", 10), ("certified", 20),
                  ("expiring", 6), ("expired", 6), ("overdue", 8))
TABLES = {
    "departments": ("id", "code", "name", "kind", "parent_id", "path", "depth", "is_active", "created_at",
                    "updated_at"),
    "users": ("id", "employee_no", "name", "department_id", "rank", "position", "email", "password_hash",
              "session_version", "is_active", "must_change_password", "failed_logins", "last_login_at",
              "created_at", "updated_at"),
    "certificates": ("id", "number", "verification_code", "user_id", "program_id", "cycle", "issued_at",
                     "expires_at", "revoke_reason", "holder_name", "department_name", "program_name",
                     "requirements_version", "requirements"),
    "program_assignments": ("user_id", "program_id", "source", "assigned_at", "due_at", "status", "percent",
                            "requirements", "renewing", "certificate_id", "expires_at", "computed_at"),
    "yearly_hours": ("user_id", "year", "hours", "courses", "updated_at"),
    "lesson_progress": ("user_id", "lesson_id", "seconds", "reached_end", "started_at", "last_beat_at"),
    "attempts": ("exam_id", "user_id", "number", "form_seed", "status", "started_at", "deadline_at", "submitted_at",
                 "finished_by", "graded_at", "score", "max_score", "passed", "session_token"),
}


def stamp(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it on SQLite (PostgreSQL's COPY reads the same text)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def next_id(table: str) -> int:
    from training.extensions import db

    return (db.session.scalar(text(f"SELECT MAX(id) FROM {table}")) or 0) + 1


def department_rows(root_id: int, root_path: str, now: str) -> tuple[list[tuple], list[int], list[int]]:
    """Cities, bureaus and divisions below the root: (rows, city ids, ids of the units people work in)."""
    rows, cities, placeable, number = [], [], [], next_id("departments")

    def add(code: str, name: str, kind: str, parent: int, path: str, depth: int) -> tuple[int, str]:
        nonlocal number
        rows.append((number, code, name, kind, parent, f"{path}{number}/", depth, True, now, now))
        number += 1
        return number - 1, f"{path}{number - 1}/"

    for c in range(CITIES):
        city, city_path = add(f"RC{c:02d}", f"压测第{c + 1}市人民政府", "city", root_id, root_path, 1)
        cities.append(city)
        for b in range(BUREAUS):
            bureau, bureau_path = add(f"RC{c:02d}-{b:02d}", f"压测第{c + 1}市{BUREAU_NAMES[b]}", "bureau", city,
                                      city_path, 2)
            placeable.append(bureau)
            for d in range(DIVISIONS):
                placeable.append(add(f"RC{c:02d}-{b:02d}-{d}", f"第{d + 1}科", "division", bureau, bureau_path,
                                     3)[0])
    return rows, cities, placeable


def people_rows(rng: random.Random, placeable: list[int], moment: datetime) -> list[tuple]:
    from training.org.demo import GIVEN, RANK_WEIGHTS, SURNAMES

    ranks = [rank for rank, weight in RANK_WEIGHTS for _ in range(weight)]
    first, now, rows = next_id("users"), stamp(moment), []
    for n in range(PEOPLE):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        login = stamp(moment - timedelta(minutes=rng.randint(1, 90 * 24 * 60))) if rng.random() < 0.8 else None
        rows.append((first + n, f"R{n:06d}", name, placeable[n % len(placeable)], rng.choice(ranks), "科员", "",
                     "", 1, rng.random() >= 0.02, False, 0, login, now, now))
    return rows


def make_programs() -> list[tuple[int, str]]:
    from training.certification.models import Program
    from training.extensions import db

    names = ["电子政务应用能力（初级）", "电子政务应用能力（中级）", "电子政务应用能力（高级）", "领导干部数字素养",
             "政务数据安全"][:PROGRAMS]
    programs = [Program(code=f"RB-{n}", name=name, level="初级") for n, name in enumerate(names)]
    db.session.add_all(programs)
    db.session.commit()
    return [(program.id, program.name) for program in programs]


def progress_rows(rng: random.Random, users: list[tuple], programs: list[tuple[int, str]],
                  moment: datetime) -> tuple[list[tuple], list[tuple]]:
    """(certificates, assignments) for 85 % of the people."""
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    certificate_id, now = next_id("certificates"), stamp(moment)
    certificates, assignments = [], []
    for user in users:
        if rng.random() >= 0.85:
            continue
        for program_id, program_name in rng.sample(programs, rng.randint(1, 4)):
            status = rng.choice(statuses)
            expires = certificate = None
            if status in ("certified", "expiring", "expired"):
                days = {"certified": (91, 1000), "expiring": (1, 90), "expired": (-300, -1)}[status]
                expires = moment + timedelta(days=rng.randint(*days), hours=rng.randint(0, 23))
                code = "".join(rng.choices(string.ascii_uppercase + "23456789", k=12))
                certificates.append((certificate_id, f"EGOV-2026-{certificate_id:07d}", code, user[0], program_id,
                                     "initial", stamp(expires - timedelta(days=1095)), stamp(expires), "", user[2],
                                     "压测单位", program_name, 1, "[]"))
                certificate, certificate_id = certificate_id, certificate_id + 1
            percent = {"not_started": 0, "awaiting_exam": 75, "in_progress": rng.randint(10, 70),
                       "overdue": rng.randint(0, 60)}.get(status, 100)
            due = stamp(moment + timedelta(days=rng.randint(-120, 180)))
            assignments.append((user[0], program_id, "rule", now, due, status, percent, "[]", False, certificate,
                                stamp(expires) if expires else None, now))
    return certificates, assignments


def activity_rows(rng: random.Random, users: list[tuple], moment: datetime) -> dict[str, list[tuple]]:
    """YearlyHours (this and last year), lesson progress (30 %) and exam attempts (10 %)."""
    from courseware.models import Lesson
    from question_bank.exams.models import Exam
    from training.extensions import db

    lessons = list(db.session.scalars(select(Lesson.id).order_by(Lesson.id)))
    exam_id = db.session.scalar(select(Exam.id).order_by(Exam.id))
    hours, progress, attempts, now = [], [], [], stamp(moment)
    for user in users:
        for year, share in ((moment.year, 0.9), (moment.year - 1, 0.7)):
            if rng.random() < share:
                hours.append((user[0], year, round(rng.uniform(0, 140) * 4) / 4, rng.randint(0, 12), now))
        if rng.random() < 0.3:
            for lesson in rng.sample(lessons, rng.randint(1, 3)):
                beat = moment - timedelta(minutes=rng.randint(1, 200 * 24 * 60))
                progress.append((user[0], lesson, rng.randint(60, 1800), False, stamp(beat - timedelta(hours=1)),
                                 stamp(beat)))
        if exam_id and rng.random() < 0.1:
            started = moment - timedelta(minutes=rng.randint(60, 300 * 24 * 60))
            score = rng.randint(30, 100)
            done = stamp(started + timedelta(minutes=50))
            attempts.append((exam_id, user[0], 1, 0, "graded", stamp(started), stamp(started + timedelta(hours=1)),
                             done, "candidate", done, score, 100, score >= 60, ""))
    return {"yearly_hours": hours, "lesson_progress": progress, "attempts": attempts}


def make_officer(root_id: int) -> str:
    """A province-level HR officer (scope: the root department): the viewer of every timed page."""
    from training.extensions import db
    from training.org.models import RoleGrant, User

    officer = User(employee_no="RB-HR", name="省人事处压测", department_id=root_id, rank="一级调研员",
                   must_change_password=False)
    db.session.add(officer)
    db.session.flush()
    db.session.add(RoleGrant(user_id=officer.id, role="hr", department_id=root_id))
    db.session.commit()
    return officer.employee_no


def generate(app) -> dict:
    """The organisation, people and records; what the measurements need to know about them."""
    from courseware.hours import current_targets
    from training.core.clock import utcnow
    from training.extensions import db
    from training.org.models import Department

    with app.app_context():
        began, rng, moment = time.perf_counter(), random.Random(SEED), utcnow().replace(microsecond=0)
        root = db.session.get(Department, exam_bench.root_department())
        root_path = root.path
        departments, cities, placeable = department_rows(root.id, root.path, stamp(moment))
        users = people_rows(rng, placeable, moment)
        programs = make_programs()
        certificates, assignments = progress_rows(rng, users, programs, moment)
        tables = {"departments": departments, "users": users, "certificates": certificates,
                  "program_assignments": assignments, **activity_rows(rng, users, moment)}
        built = time.perf_counter()
        for table, rows in tables.items():
            bulk_insert(table, TABLES[table], rows)
        officer = make_officer(root.id)
        inserted = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        db.session.remove()
        targets = current_targets()
        low = targets.annual_target("")
        ranks = sorted(rank for rank, value in targets.per_rank.items() if value != low)
        high = {targets.per_rank[rank] for rank in ranks}
        postgres = db.engine.dialect.name == "postgresql"
    counts = ", ".join(f"{len(rows):,} {table}" for table, rows in tables.items())
    note = (f"{counts}; generated in {built - began:.1f} s, bulk-inserted in {inserted - built:.1f} s")
    city = cities[3]
    return {"officer": officer, "city": city, "programs": programs, "note": note, "root_path": root_path,
            "city_path": f"{root_path}{city}/", "targets": (ranks, high.pop(), low), "postgres": postgres}


# --- the pages ---------------------------------------------------------------------------------------------

def pages(facts: dict) -> list[tuple[str, dict]]:
    """(title, query arguments of ``GET /hr/``) of every timed page; the service gets the same filter."""
    return [("first page, tree order", {}),
            ("overdue in one city (~6,000 people), most 学时 first",
             {"department": facts["city"], "status": "overdue", "sort": "-hours"}),
            ("everyone sorted by this year's 学时, fewest first", {"sort": "hours"}),
            ("below target with a certificate expiring within 60 days", {"below_target": "y", "expiring": 60}),
            ("deep page (1,500 of ~1,965) by name", {"sort": "name", "page": 1500})]


def to_filter(args: dict):
    from training.certification.services.roster import RosterFilter

    return RosterFilter(department_id=args.get("department"), status=args.get("status", ""),
                        sort=args.get("sort", "department"), page=args.get("page", 1),
                        below_target=bool(args.get("below_target")), expiring_within_days=args.get("expiring"))


def time_service(app, officer: str, args: dict) -> tuple[float, list[tuple], int]:
    """One ``roster_page`` call (the viewer loaded first, as a request's user loader does): seconds, the rows'
    (id, hours, statuses) and the total."""
    from training.certification.services.roster import roster_page
    from training.extensions import db
    from training.org.models import User

    with app.app_context():
        viewer = db.session.scalar(select(User).where(User.employee_no == officer))
        viewer.grants  # noqa: B018 - loaded by the user loader in a request
        began = time.perf_counter()
        page = roster_page(viewer, to_filter(args))
        elapsed = time.perf_counter() - began
        db.session.remove()
    return elapsed, [(r.user_id, r.hours, tuple(s.status for s in r.programs), r.last_activity) for r in page.rows], \
        page.total


def time_view(client, args: dict) -> float:
    began = time.perf_counter()
    response = client.get("/hr/", query_string=args)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"GET /hr/ {args}: {response.status_code}")
    return elapsed


def officer_client(app, officer: str):
    from training.extensions import db
    from training.org.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.employee_no == officer))
        identity = f"{user.id}:{user.session_version}"
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = identity, True
    return client


def measure_pages(app, url: str, facts: dict) -> list[dict]:
    """Service, view and baseline for every page, alternating, one warm-up each then ``REPEATS`` rounds."""
    client, results, connection = officer_client(app, facts["officer"]), [], connect(url)
    for title, args in pages(facts):
        times = {"service": [], "view": [], "baseline": []}
        for round_number in range(REPEATS + 1):
            service_seconds, service_rows, total = time_service(app, facts["officer"], args)
            view_seconds = time_view(client, args)
            base_seconds, base_rows, base_total = run_baseline(connection, facts, args)
            if round_number:
                times["service"].append(service_seconds)
                times["view"].append(view_seconds)
                times["baseline"].append(base_seconds)
        agree = service_rows == base_rows and total == base_total
        results.append({"title": title, "times": times, "total": total, "agree": agree})
    connection.close()
    return results


# --- the baseline: the same page in hand-written SQL on a bare DB-API connection -----------------------------

def connect(url: str):
    """A DB-API connection to the bench database, set up as the app sets up its own (SQLite pragmas)."""
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    import sqlite3

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    for pragma in ("mmap_size=268435456", "cache_size=-16000"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def baseline_sql(facts: dict, args: dict, now: datetime) -> tuple[str, str, list, list]:
    """(count SQL, page SQL, their parameters) for the page ``args`` asks for, as a person would write them."""
    ranks, high, low = facts["targets"]
    target = f"CASE WHEN u.rank IN ({', '.join('?' for _ in ranks)}) THEN {high} ELSE {low} END"
    where, params = ["u.is_active = ?", "d.path LIKE ?"], [True, facts["root_path"] + "%"]
    if args.get("department"):
        where.append("d.path LIKE ?")
        params.append(facts["city_path"] + "%")
    chosen, chosen_params = [], []
    if args.get("status"):
        chosen, chosen_params = ["status = ?"], [args["status"]]
    if args.get("expiring"):
        chosen += ["status IN ('certified', 'expiring')", "expires_at > ?", "expires_at <= ?"]
        chosen_params += [stamp_for(facts, now), stamp_for(facts, now + timedelta(days=args["expiring"]))]
    if chosen:
        where.append(f"u.id IN (SELECT user_id FROM program_assignments WHERE {' AND '.join(chosen)})")
        params += chosen_params
    hours_join = "LEFT JOIN yearly_hours y ON y.user_id = u.id AND y.year = ?"
    base = "FROM users u JOIN departments d ON d.id = u.department_id"
    need_hours = bool(args.get("below_target")) or args.get("sort") in ("hours", "-hours")
    if args.get("below_target"):
        where.append(f"COALESCE(y.hours, 0) < {target}")
        params += ranks
    order = {"hours": "COALESCE(y.hours, 0), u.id", "-hours": "COALESCE(y.hours, 0) DESC, u.id",
             "name": "u.name, u.id"}.get(args.get("sort", ""), "d.path, u.employee_no")
    clause = " AND ".join(where)
    count = f"SELECT COUNT(*) {base} {hours_join if args.get('below_target') else ''} WHERE {clause}"
    count_params = ([now.year] if args.get("below_target") else []) + params
    inner = f"SELECT u.id {base} {hours_join if need_hours else ''} WHERE {clause} ORDER BY {order} LIMIT 50 OFFSET ?"
    page = (f"SELECT u.id, u.employee_no, u.name, u.rank, u.last_login_at, d.id, d.name, d.path, "
            f"COALESCE(y.hours, 0), {target} {base} {hours_join} WHERE u.id IN ({inner}) ORDER BY {order}")
    page_params = [*ranks, now.year, *([now.year] if need_hours else []), *params, (args.get("page", 1) - 1) * 50]
    return count, page, count_params, page_params


def stamp_for(facts: dict, moment: datetime):
    return moment if facts["postgres"] else stamp(moment)


def execute(connection, facts: dict, sql: str, params: list) -> list[tuple]:
    cursor = connection.cursor()
    cursor.execute(sql.replace("?", "%s") if facts["postgres"] else sql, params)
    return cursor.fetchall()


def moment_of(value) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def run_baseline(connection, facts: dict, args: dict) -> tuple[float, list[tuple], int]:
    """The page by hand: count, page, statuses, path names, last activity. (seconds, rows, total)."""
    from training.core.clock import utcnow

    began = time.perf_counter()
    count_sql, page_sql, count_params, page_params = baseline_sql(facts, args, utcnow())
    total = execute(connection, facts, count_sql, count_params)[0][0]
    rows = execute(connection, facts, page_sql, page_params)
    marks = ", ".join("?" for _ in rows)
    ids = [row[0] for row in rows]
    statuses: dict[int, list[str]] = {}
    for user_id, status in execute(connection, facts, "SELECT a.user_id, a.status FROM program_assignments a JOIN "
                                   f"programs p ON p.id = a.program_id WHERE a.user_id IN ({marks}) ORDER BY p.code",
                                   ids):
        statuses.setdefault(user_id, []).append(status)
    department_ids = sorted({int(part) for row in rows for part in row[7].strip("/").split("/")})
    execute(connection, facts, "SELECT id, name FROM departments WHERE id IN "
            f"({', '.join('?' for _ in department_ids)})", department_ids)
    activity = dict(execute(connection, facts, "SELECT user_id, MAX(at) FROM (SELECT user_id, MAX(last_beat_at) AS at "
                            f"FROM lesson_progress WHERE user_id IN ({marks}) GROUP BY user_id UNION ALL SELECT "
                            f"user_id, MAX(started_at) FROM attempts WHERE user_id IN ({marks}) GROUP BY user_id) t "
                            "WHERE at IS NOT NULL GROUP BY user_id", ids + ids))
    result = []
    for row in rows:
        seen = [moment for moment in (moment_of(row[4]), moment_of(activity.get(row[0]))) if moment is not None]
        result.append((row[0], float(row[8] or 0), tuple(statuses.get(row[0], [])), max(seen) if seen else None))
    return time.perf_counter() - began, result, total


# --- exports, report ---------------------------------------------------------------------------------------

def time_exports(app, officer: str) -> list[dict]:
    """Both exports as the province-level officer: seconds, rows, file size; then the roster export once more
    under tracemalloc for the peak of Python allocations (streaming keeps it flat)."""
    import tracemalloc

    from training.certification.services.exports import export_compliance_xlsx, export_roster_xlsx
    from training.certification.services.roster import RosterFilter
    from training.core.audit import AuditEvent
    from training.core.clock import utcnow
    from training.extensions import db
    from training.org.models import User

    exports = [("roster export: every official in scope → .xlsx",
                lambda viewer: export_roster_xlsx(viewer, RosterFilter())),
               ("compliance export: everyone below this year's target → .xlsx",
                lambda viewer: export_compliance_xlsx(viewer, utcnow().year))]
    results = []
    with app.app_context():
        viewer = db.session.scalar(select(User).where(User.employee_no == officer))
        for title, export in exports:
            began = time.perf_counter()
            _filename, path = export(viewer)
            elapsed = time.perf_counter() - began
            rows = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).detail["rows"]
            results.append({"title": title, "seconds": elapsed, "rows": rows, "bytes": path.stat().st_size})
            path.unlink()
        tracemalloc.start()
        export_roster_xlsx(viewer, RosterFilter())[1].unlink()
        results[0]["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.remove()
    return results


def timed(name: str, seconds: list[float]) -> LoadResult:
    """p50 = the median (ms), p99 column = the slowest round; req/s = pages per second for one client."""
    p50 = statistics.median(seconds) * 1000
    return LoadResult(name, 1000 / p50 if p50 else 0.0, p50, max(seconds) * 1000, 0, len(seconds))


def section(results: list[dict], exports: list[dict], note: str, label: str) -> Section:
    rows = []
    for page in results:
        base = statistics.median(page["times"]["baseline"])
        rows.append({"benchmark": f"{page['title']}: baseline, hand-written SQL on DB-API",
                     "result": timed("baseline", page["times"]["baseline"]), "ratio": 1.0, "target": "baseline"})
        for kind, what in (("service", "roster_page (service)"), ("view", "GET /hr/ (Flask test client)")):
            median = statistics.median(page["times"][kind])
            rows.append({"benchmark": f"{page['title']}: {what}", "result": timed(kind, page["times"][kind]),
                         "ratio": median / base, "holds": median * 1000 < TARGET_MS and page["agree"],
                         "target": f"< {TARGET_MS:.0f} ms per page" + (", same rows as the baseline"
                                                                        if kind == "service" else ""),
                         "note": f"{page['total']:,} people match; service rows equal the baseline's: "
                                 f"{'yes' if page['agree'] else 'NO'}" if kind == "service" else ""})
    for export in exports:
        seconds = export["seconds"]
        peak = f", Python allocations peaked at {export['peak'] / 2**20:.0f} MiB (tracemalloc)" if "peak" in export \
            else ""
        rows.append({"benchmark": export["title"],
                     "result": LoadResult("export", export["rows"] / seconds, seconds * 1000, seconds * 1000, 0, 1),
                     "ratio": None, "target": "streamed, all rows",
                     "note": f"{export['rows']:,} rows, {export['bytes'] / 2**20:.1f} MiB .xlsx{peak}"})
    rows[0]["note"] = note
    intro = (f"The HR roster as a province-level HR officer over {PEOPLE:,} generated officials in 2,128 "
             f"departments ({label}). Each page timed in-process, service, view and baseline alternating, one "
             f"warm-up then {REPEATS} rounds; the service and the view are compared with the baseline measured in "
             "the same round. Columns: req/s = pages per second for one client (exports: rows written per second); "
             "p50 = median ms; p99 = the slowest round; ratio = median / baseline median. Statements per page: 6 "
             "(targets setting, count, page, statuses, path names, last activity).")
    return Section("HR roster", rows, intro)


@contextmanager
def roster_database(url: str | None):
    """Migrated database with the demo data: a sibling of ``url`` (PostgreSQL) or a temporary SQLite file."""
    with sibling_database(url, "roster") as sibling, prepared_database(sibling) as env:
        yield env


def bench_database(url: str | None) -> Section:
    with roster_database(url) as env:
        app = exam_bench.make_app(env)
        facts = generate(app)
        results = measure_pages(app, env["DATABASE_URL"], facts)
        exports = time_exports(app, facts["officer"])
        label = database_version(app)
    return section(results, exports, facts["note"], label)


def run(env: dict[str, str], seconds: int) -> list[Section]:
    """For bench/run.py: the benchmark on a database of its own of ``env``'s kind (``seconds`` unused)."""
    return [bench_database(env["DATABASE_URL"] if env["DATABASE_URL"].startswith("postgres") else None)]


def write_section(sections: list[Section]) -> None:
    """Replace this benchmark's part of docs/performance.md (between its markers, else appended)."""
    import bench.run as runner

    scratch, report = ROOT / "docs" / ".roster.md", runner.REPORT
    original = report.read_text(encoding="utf-8") if report.exists() else "# Performance\n"
    try:
        runner.REPORT = scratch
        runner.write_report(sections, 0)
        body = scratch.read_text(encoding="utf-8")
    finally:
        runner.REPORT = report
        scratch.unlink(missing_ok=True)
    ours = MARK_BEGIN + "\n" + body[body.index("## "):].rstrip() + "\n" + MARK_END + "\n"
    if MARK_BEGIN in original and MARK_END in original:
        head, rest = original.split(MARK_BEGIN, 1)
        document = head + ours + rest.split(MARK_END, 1)[1].lstrip("\n")
    else:
        document = original.rstrip("\n") + "\n\n" + ours
    report.write_text(document, encoding="utf-8")
    print(f"updated {report.relative_to(ROOT)}")


def main() -> None:
    import os

    sections = [("SQLite", bench_database(None))]
    if os.environ.get("BENCH_DATABASE_URL"):
        sections.append(("PostgreSQL", bench_database(os.environ["BENCH_DATABASE_URL"])))
    sections = [Section(f"{part.title} — {label}", part.rows, part.intro) for label, part in sections]
    for part in sections:
        print(f"== {part.title}")
        for row in part.rows:
            r = row["result"]
            print(f"  {row['benchmark']}: median {r.p50_ms:.1f} ms, slowest {r.p99_ms:.1f} ms"
                  + (f", ratio {row['ratio']:.2f}" if row["ratio"] is not None else "")
                  + (f", target {'met' if row['holds'] else 'MISSED'}" if "holds" in row else ""))
            if row.get("note"):
                print(f"    {row['note']}")
    write_section(sections)


if __name__ == "__main__":
    main()
