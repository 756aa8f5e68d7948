"""Report figures: each figure of ``subtree_figures`` / ``department_report`` equals a plain-Python recomputation
over the rows the test wrote (people in several departments, required and elective enrolments, yearly 学时,
graded and ungraded attempts with items on versions of different modules and competencies, programme
assignments); suppression under 5 people; the window; scope; a fixed number of statements."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courseware.hours import HoursTargets, default_targets, save_targets
from courseware.models import Course, Enrollment, KnowledgePoint, SyllabusModule
from question_bank.exams.models import Attempt, AttemptItem, Exam
from question_bank.models import Question, QuestionVersion
from tests import factories
from training.certification.models import ProgramAssignment, YearlyHours
from training.core.errors import NotFound, PermissionDenied
from training.extensions import db
from training.org.models import Department
from training.reports.models import ReportSnapshot
from training.reports.report_types import MIN_GROUP, band_of
from training.reports.services.figures import department_report, person_profile, subtree_figures

NOW = datetime(2026, 6, 15, 10, 0)
COMPETENCY_OF_KP = {"M1.1": "学习能力", "M1.2": "学习能力", "M3.1": "依法行政能力", "M3.2": "公共服务能力",
                    "M7.1": "应对突发事件能力", "M7.2": "学习能力"}
#: Annual 学时 targets of the ranks used here (the defaults of 《干部教育培训工作条例》).
TARGETS = {"一级科员": 90.0, "县处级正职": 110.0}
STATUSES = ("not_started", "in_progress", "awaiting_exam", "certified", "expiring", "expired", "overdue")


# --- what the test wrote, as plain Python ---------------------------------------------------------------

@dataclass
class Item:
    module: str | None
    competency: str
    score: float
    points: float


@dataclass
class AttemptRecord:
    user_id: int
    formal: bool
    graded: bool
    graded_at: datetime
    passed: bool
    items: list[Item]


@dataclass
class Person:
    id: int
    path: str
    rank: str
    active: bool


@dataclass
class World:
    people: list[Person] = field(default_factory=list)
    enrolments: list[tuple[int, bool, bool]] = field(default_factory=list)  # (user, required, completed)
    hours: dict[tuple[int, int], float] = field(default_factory=dict)
    attempts: list[AttemptRecord] = field(default_factory=list)
    assignments: list[tuple[int, str, str, datetime | None]] = field(default_factory=list)  # (user, prog, …)
    programs: list[tuple[str, str]] = field(default_factory=list)  # active ones: (code, name)
    modules: list[tuple[str, str]] = field(default_factory=list)  # (code, title)


# --- writing rows -------------------------------------------------------------------------------------

def make_versions() -> list[tuple[QuestionVersion, str | None, str]]:
    """A version on each knowledge point (its competency), one overriding the competency, one without a
    knowledge point: (version, module code, effective competency)."""
    for code in ("M1-01", "M3-01"):
        factories.make_course(code)
    factories.make_course("M7-01", kind="elective")
    kps = {kp.code: kp for kp in db.session.scalars(select(KnowledgePoint))}
    for code, competency in COMPETENCY_OF_KP.items():
        kps[code].competency = competency
    specs = [(kps[code], "") for code in COMPETENCY_OF_KP] + [(kps["M7.1"], "创新能力"), (None, "沟通协调能力")]
    versions = []
    for n, (kp, competency) in enumerate(specs, start=1):
        question = Question(code=f"Q{n:03d}", status="approved", type="single",
                            module_id=kp.module_id if kp else None, knowledge_point_id=kp.id if kp else None)
        db.session.add(question)
        db.session.flush()
        version = QuestionVersion(question_id=question.id, number=1, type="single", stem_md=f"题{n}",
                                  options=["甲", "乙"], key="A", knowledge_point_id=kp.id if kp else None,
                                  competency=competency, points=Decimal("2"), content_hash=f"h{n}")
        db.session.add(version)
        db.session.flush()
        versions.append((version, kp.code.split(".")[0] if kp else None, competency or COMPETENCY_OF_KP[kp.code]))
    db.session.commit()
    return versions


def make_exam(kind: str, department: Department) -> Exam:
    exam = Exam(title=f"{kind}考试", kind=kind, status="published", department_id=department.id,
                opens_at=NOW - timedelta(days=900), closes_at=NOW + timedelta(days=30))
    db.session.add(exam)
    db.session.commit()
    return exam


def add_attempt(world: World, user_id: int, exam: Exam, graded_at: datetime, items: list[tuple], *,
                graded: bool = True, passed: bool = True) -> None:
    """An attempt with ``items`` = [(version, module, competency, score, points)], graded or only submitted."""
    number = db.session.query(Attempt).filter_by(exam_id=exam.id, user_id=user_id).count() + 1
    attempt = Attempt(exam_id=exam.id, user_id=user_id, number=number, status="graded" if graded else "submitted",
                      started_at=graded_at - timedelta(hours=1), deadline_at=graded_at, submitted_at=graded_at,
                      graded_at=graded_at if graded else None, score=Decimal("50") if graded else None,
                      max_score=Decimal("100"), passed=passed if graded else None)
    db.session.add(attempt)
    db.session.flush()
    for position, (version, _module, _competency, score, points) in enumerate(items, start=1):
        db.session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=version.question_id,
                                   question_version_id=version.id, points=Decimal(str(points)),
                                   score=Decimal(str(score)) if graded else None))
    db.session.commit()
    world.attempts.append(AttemptRecord(user_id, exam.kind == "formal", graded, graded_at, passed and graded,
                                        [Item(m, c, s, p) for _v, m, c, s, p in items]))


def add_people(world: World, department: Department, count: int, rng: random.Random, *, active: bool = True,
               prefix: str = "") -> list:
    people = []
    for _ in range(count):
        number = f"{prefix or department.code}-{len(world.people) + 1:03d}"
        rank = rng.choice(sorted(TARGETS))
        user = factories.make_user(department, employee_no=number, name=f"员工{number}", rank=rank)
        if not active:
            user.is_active = False
            db.session.commit()
        world.people.append(Person(user.id, department.path, rank, active))
        people.append(user)
    return people


def add_records(world: World, user, rng: random.Random, courses, exams, versions, programs) -> None:
    """Random but seeded enrolments, 学时, attempts and assignments of one person."""
    for course in courses:
        if rng.random() < 0.7:
            completed = rng.random() < 0.6
            db.session.add(Enrollment(user_id=user.id, course_id=course.id, completed_at=NOW if completed else None))
            world.enrolments.append((user.id, course.kind == "required", completed))
    for year in (2025, 2026):
        if rng.random() < 0.8:
            hours = rng.choice([0, 45.5, 89.5, 90, 100, 110, 130])
            db.session.add(YearlyHours(user_id=user.id, year=year, hours=Decimal(str(hours))))
            world.hours[(user.id, year)] = hours
    for program in programs:
        if rng.random() < 0.75:
            status = rng.choice(STATUSES)
            expires = NOW + timedelta(days=rng.choice([10, 60, 89, 91, 200, 400])) if status in (
                "certified", "expiring") else None
            db.session.add(ProgramAssignment(user_id=user.id, program_id=program.id, status=status,
                                             expires_at=expires))
            world.assignments.append((user.id, program.code, status, expires))
    db.session.commit()
    for _ in range(rng.randint(0, 3)):
        picked = [rng.choice(versions) for _ in range(rng.randint(1, 4))]
        items = []
        for version, module, competency in picked:
            points = rng.choice([1, 2, 3])
            items.append((version, module, competency, rng.choice([0, 0.5, 1, points]) if points > 1 else
                          rng.choice([0, 1]), points))
        add_attempt(world, user.id, rng.choice(exams), NOW - timedelta(days=rng.randint(0, 500)), items,
                    graded=rng.random() < 0.85, passed=rng.random() < 0.6)


def build_world(org, seed: int = 7) -> World:
    """People in five departments of both cities (and an inactive person with records), with records."""
    rng, world = random.Random(seed), World()
    versions = make_versions()
    courses = list(db.session.scalars(select(Course).order_by(Course.code)))
    exams = [make_exam("formal", org.province), make_exam("formal", org.province), make_exam("mock", org.province)]
    programs = [factories.make_program("P-A", name="基础认证"), factories.make_program("P-B", name="进阶认证")]
    retired = factories.make_program("P-Z", name="停用认证")
    retired.is_active = False
    db.session.commit()
    world.programs = [(p.code, p.name) for p in programs]
    world.modules = [(m.code, m.title) for m in _modules()]
    qc_second = factories.make_department("QC-RS-02", "综合科", org.qc_bureau, kind="division")
    layout = [(org.qc_bureau, 4), (org.qc_division, 6), (qc_second, 5), (org.yl_bureau, 3), (org.yl_division, 6)]
    for department, count in layout:
        for user in add_people(world, department, count, rng):
            add_records(world, user, rng, courses, exams, versions, [*programs, retired])
    for user in add_people(world, org.qc_division, 1, rng, active=False, prefix="GONE"):
        add_records(world, user, rng, courses, exams, versions, programs)
    world.assignments = [row for row in world.assignments if row[1] != "P-Z"]
    return world


def _modules():
    return list(db.session.scalars(select(SyllabusModule).order_by(SyllabusModule.position)))


# --- the recomputation ----------------------------------------------------------------------------------

def _pct(part, whole):
    return None if not whole else 100.0 * part / whole


def _mastery(items):
    points = sum(item.points for item in items)
    return _pct(sum(item.score for item in items), points), len(items)


def expected(world: World, path: str, *, months: int = 12, now: datetime = NOW) -> dict:
    """The figures of the subtree at ``path``, recomputed in plain Python."""
    members = [p for p in world.people if p.active and p.path.startswith(path)]
    ids = {p.id for p in members}
    result = {"headcount": len(members)}
    if len(members) < MIN_GROUP:
        return {**result, "suppressed": True}
    required = [completed for user, req, completed in world.enrolments if user in ids and req]
    hours = {p.id: world.hours.get((p.id, now.year), 0) for p in members}
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    start = now.replace(year=year, month=month + 1)  # NOW is on the 15th: no month is too short
    window = [a for a in world.attempts if a.user_id in ids and a.graded and start <= a.graded_at <= now]
    participants = {a.user_id for a in window if a.formal}
    passers = {a.user_id for a in window if a.formal and a.passed}
    items = [item for a in window for item in a.items]
    certification = []
    for code, name in world.programs:
        rows = [(s, e) for u, c, s, e in world.assignments if u in ids and c == code]
        holding = [e for s, e in rows if s in ("certified", "expiring")]
        certification.append({"code": code, "name": name, "assigned": len(rows),
                              "certified_rate": _pct(len(holding), len(rows)),
                              "expiring_90": sum(1 for e in holding if now < e <= now + timedelta(days=90)),
                              "expired": sum(1 for s, _e in rows if s == "expired"),
                              "overdue": sum(1 for s, _e in rows if s == "overdue")})
    return {**result, "suppressed": False, "required_enrolments": len(required),
            "completion_rate": _pct(sum(required), len(required)),
            "hours_avg": sum(hours.values()) / len(members),
            "hours_at_target_rate": _pct(sum(1 for p in members if hours[p.id] >= TARGETS[p.rank]), len(members)),
            "exam_participants": len(participants), "exam_participation_rate": _pct(len(participants), len(members)),
            "exam_pass_rate": _pct(len(passers), len(participants)), "certification": certification,
            "modules": {code: _mastery([i for i in items if i.module == code]) for code, _t in world.modules},
            "competencies": {name: _mastery([i for i in items if i.competency == name])
                             for name in {i.competency for i in items}}}


def assert_figures(figures, wanted: dict) -> None:
    """``figures`` (a Figures) equals the recomputation ``wanted``."""
    assert figures.headcount == wanted["headcount"]
    assert figures.suppressed is wanted["suppressed"]
    if wanted["suppressed"]:
        assert figures.completion_rate is figures.hours_avg is figures.exam_pass_rate is None
        assert figures.modules == figures.competencies == figures.certification == []
        return
    for name in ("required_enrolments", "completion_rate", "hours_avg", "hours_at_target_rate", "exam_participants",
                 "exam_participation_rate", "exam_pass_rate"):
        assert getattr(figures, name) == pytest.approx(wanted[name]), name
    assert [vars(row) for row in figures.certification] == [
        {**row, "certified_rate": pytest.approx(row["certified_rate"])} for row in wanted["certification"]]
    assert {m.code: (pytest.approx(m.mastery), m.responses) for m in figures.modules} == wanted["modules"]
    assert all(m.band == band_of(m.mastery) for m in figures.modules + figures.competencies)
    found = {m.code: (m.mastery, m.responses) for m in figures.competencies if m.responses}
    assert found == {name: (pytest.approx(value), count) for name, (value, count) in wanted["competencies"].items()}


def also_count(world: World, *users) -> None:
    """Viewers from the fixtures are active people of their departments too (without records)."""
    world.people += [Person(user.id, user.department.path, user.rank, True) for user in users]


@pytest.fixture
def world(org) -> World:
    return build_world(org)


# --- tests --------------------------------------------------------------------------------------------------

def test_the_recomputation_sees_varied_data(world):
    """Guard on the data itself: every kind of record is there, so the equalities below compare something."""
    assert {a.formal for a in world.attempts} == {True, False} and {a.graded for a in world.attempts} == {True, False}
    assert any(a.graded_at < NOW - timedelta(days=366) for a in world.attempts)
    assert {s for _u, _c, s, _e in world.assignments} >= {"certified", "expiring", "expired", "overdue"}
    assert {i.module for a in world.attempts for i in a.items} == {"M1", "M3", "M7", None}


def test_each_department_of_the_dashboard_equals_the_recomputation(world, org, admin):
    also_count(world, admin)
    report = department_report(admin, "QC-RS", now=NOW)
    assert report.department.code == "QC-RS" and [d.code for d in report.trail] == ["DJ", "QC"]
    assert_figures(report.figures, expected(world, org.qc_bureau.path))
    assert [child.code for child, _f in report.children] == ["QC-RS-01", "QC-RS-02"]
    for child, figures in report.children:
        assert_figures(figures, expected(world, child.path))
    assert report.parent[0].code == "QC" and report.organisation[0].code == "DJ"
    assert_figures(report.parent[1], expected(world, org.qc.path))
    assert_figures(report.organisation[1], expected(world, org.province.path))
    assert not report.figures.suppressed and report.figures.modules[0].responses > 0


@pytest.mark.parametrize("months", [1, 6, 24, 36])
def test_every_department_for_other_windows(world, org, leader, months):
    also_count(world, leader)
    departments = db.session.scalars(select(Department)).all()
    figures = subtree_figures([d.id for d in departments], months=months, now=NOW)
    for department in departments:
        assert_figures(figures[department.id], expected(world, department.path, months=months))


def test_masteries_cover_every_module_and_the_nine_competencies_in_order(world, org):
    figures = subtree_figures([org.province.id], now=NOW)[org.province.id]
    assert [m.code for m in figures.modules] == ["M1", "M3", "M7"]
    assert [m.code for m in figures.competencies][:9] == ["政治鉴别能力", "依法行政能力", "公共服务能力", "调查研究能力",
                                                          "学习能力", "沟通协调能力", "创新能力", "应对突发事件能力",
                                                          "心理调适能力"]
    unused = next(m for m in figures.competencies if m.code == "心理调适能力")
    assert (unused.mastery, unused.responses, unused.band) == (None, 0, None)


def test_hours_targets_follow_the_current_setting(world, org):
    save_targets(None, HoursTargets({**default_targets().per_rank, "一级科员": 40.0}))
    db.session.commit()
    TARGETS["一级科员"] = 40.0
    try:
        figures = subtree_figures([org.province.id], now=NOW)[org.province.id]
        assert_figures(figures, expected(world, org.province.path))
    finally:
        TARGETS["一级科员"] = 90.0


# --- suppression and window ---------------------------------------------------------------------------

def test_groups_under_five_people_are_suppressed(org):
    world = World()
    rng = random.Random(1)
    add_people(world, org.yl_division, 4, rng)
    add_people(world, org.yl_division, 2, rng, active=False, prefix="OLD")
    figures = subtree_figures([org.yl_division.id, org.qc.id], now=NOW)
    assert (figures[org.yl_division.id].headcount, figures[org.yl_division.id].suppressed) == (4, True)
    assert figures[org.yl_division.id].hours_avg is None and figures[org.yl_division.id].modules == []
    assert (figures[org.qc.id].headcount, figures[org.qc.id].suppressed) == (0, True)
    add_people(world, org.yl_division, 1, rng)
    shown = subtree_figures([org.yl_division.id], now=NOW)[org.yl_division.id]
    assert (shown.headcount, shown.suppressed, shown.hours_avg) == (5, False, 0.0)
    assert shown.exam_participants == 0 and shown.exam_pass_rate is None and shown.completion_rate is None


@pytest.mark.parametrize(("months", "counted"), [(12, False), (24, True)])
def test_an_attempt_graded_13_months_ago_counts_only_in_a_longer_window(org, months, counted):
    world = World()
    versions = make_versions()
    people = add_people(world, org.yl_bureau, 5, random.Random(2))
    exam = make_exam("formal", org.province)
    version, module, competency = versions[0]
    add_attempt(world, people[0].id, exam, datetime(2025, 5, 14, 10, 0), [(version, module, competency, 1, 2)])
    figures = subtree_figures([org.yl_bureau.id], months=months, now=NOW)[org.yl_bureau.id]
    assert figures.exam_participants == (1 if counted else 0)
    m1 = next(m for m in figures.modules if m.code == "M1")
    assert (m1.mastery, m1.responses) == ((50.0, 1) if counted else (None, 0))
    profile = person_profile(factories.make_user(org.province, employee_no="A9", roles=[("admin", None)]),
                             people[0].employee_no, months=months, now=NOW)
    assert next(m for m in profile.modules if m.code == "M1").responses == (1 if counted else 0)


def test_months_are_bounded_and_the_trend_reads_snapshots_of_the_window(org, admin):
    for month in ("2025-05", "2025-06", "2025-07", "2026-06", "2026-07"):
        db.session.add(ReportSnapshot(month=month, department_id=org.qc.id, figures={"headcount": int(month[-2:])}))
    db.session.add(ReportSnapshot(month="2026-01", department_id=org.yl.id, figures={"headcount": 1}))
    db.session.commit()
    report = department_report(admin, "QC", months=12, now=NOW)
    assert [(p.month, p.figures) for p in report.trend] == [("2025-07", {"headcount": 7}), ("2026-06", {"headcount": 6})]
    assert department_report(admin, "QC", months=99, now=NOW).months == 36
    assert [p.month for p in department_report(admin, "QC", months=0, now=NOW).trend] == ["2026-06"]


# --- scope -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["YL", "YL-RS-01", "DJ", "NOPE"])
def test_a_leader_of_qingchuan_reads_neither_yunling_nor_the_province(org, leader, code):
    with pytest.raises(NotFound):
        department_report(leader, code, now=NOW)


def test_a_leader_and_hr_read_their_subtree_and_people_in_it(org, leader, hr_officer):
    person = factories.make_user(org.qc_division, employee_no="P1")
    stranger = factories.make_user(org.yl_division, employee_no="P2")
    assert department_report(leader, "QC", now=NOW).department.code == "QC"
    assert department_report(hr_officer, "QC-RS-01", now=NOW).trail[-1].code == "QC-RS"
    assert person_profile(leader, "P1", now=NOW).name == person.name
    for viewer in (leader, hr_officer):
        for number in ("P2", "NOBODY"):
            with pytest.raises(NotFound):
                person_profile(viewer, number, now=NOW)
    assert stranger.department.code == "YL-RS-01"


def test_learners_read_no_report(org, learner):
    with pytest.raises(PermissionDenied):
        department_report(learner, "QC-RS-01", now=NOW)
    with pytest.raises(PermissionDenied):
        person_profile(learner, learner.employee_no, now=NOW)
