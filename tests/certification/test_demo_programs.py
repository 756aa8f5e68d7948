"""Demo programmes on top of the whole demo (loaded once for the module: it is slow): three levels chained by
prerequisites, three tier tracks covering exactly their tier's syllabus modules, the demo HR officer's rules in
清川市, people in varied statuses, the demo learner holding 初级 — and a second load that adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courseware.demo import load_demo_courseware
from courseware.models import Course, SyllabusModule
from question_bank.exams.demo import load_demo_exams
from question_bank.exams.models import Exam
from question_bank.shipped import load_shipped_questions
from tests.conftest import empty_tables, login_as
from training.certification.constants import Status
from training.certification.demo import PROGRAMS, load_demo_programs
from training.certification.models import AssignmentRule, Certificate, Program, ProgramAssignment, ProgramCourse
from training.core.clock import utcnow
from training.extensions import db
from training.org.demo import load_demo_organisation
from training.org.models import Department, User

TIER_MODULES = {"领导干部": {"M1", "M2", "M3", "M5", "M8"}, "一般干部": {"M1", "M3", "M4", "M5", "M6", "M9"},
                "技术人员": {"M4", "M7", "M8", "M9"}}


@pytest.fixture(autouse=True)
def _clean_database():
    """The demo is loaded once for the module (``loaded_demo`` empties the tables at its end); the tests only
    read, so the per-test cleaning of ``tests/conftest.py`` is replaced here."""
    yield


@pytest.fixture(scope="module")
def loaded_demo(app):
    with app.app_context():
        load_demo_organisation()
        db.session.commit()
        load_demo_courseware()
        load_shipped_questions()
        load_demo_exams()
        created = load_demo_programs()
        db.session.remove()
    yield created
    empty_tables(app)


@pytest.fixture
def programs(loaded_demo, app_ctx) -> dict[str, Program]:
    return {p.code: p for p in db.session.scalars(select(Program))}


def _user(employee_no: str) -> User:
    return db.session.scalar(select(User).where(User.employee_no == employee_no))


def _required_modules(program: Program) -> list[str]:
    return list(db.session.scalars(
        select(SyllabusModule.code).join(Course, Course.module_id == SyllabusModule.id)
        .join(ProgramCourse, ProgramCourse.course_id == Course.id)
        .where(ProgramCourse.program_id == program.id, ProgramCourse.purpose == "initial",
               ProgramCourse.required.is_(True))))


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Program, ProgramCourse, AssignmentRule, ProgramAssignment, Certificate))


def test_three_levels_chained_by_prerequisites(programs, loaded_demo):
    assert loaded_demo == len(PROGRAMS) == 6
    levels = {p.level: p for p in programs.values() if p.level}
    assert [levels[name].name for name in ("初级", "中级", "高级")] == [
        "电子政务应用能力（初级）", "电子政务应用能力（中级）", "电子政务应用能力（高级）"]
    assert [levels[name].code for name in ("初级", "中级", "高级")] == ["EGOV-L1", "EGOV-L2", "EGOV-L3"]
    assert levels["初级"].prerequisite_id is None
    assert levels["中级"].prerequisite_id == levels["初级"].id and levels["高级"].prerequisite_id == levels["中级"].id


@pytest.mark.parametrize("tier", sorted(TIER_MODULES))
def test_tier_tracks_require_their_tiers_modules(programs, tier):
    [track] = [p for p in programs.values() if p.tier == tier]
    assert track.name == f"{tier}电子政务能力专项"
    assert set(_required_modules(track)) == TIER_MODULES[tier]


def test_programmes_use_published_courses_the_open_formal_exam_and_a_renewal(programs):
    now = utcnow()
    for program in programs.values():
        exam = db.session.get(Exam, program.exam_id)
        assert exam.kind == "formal" and exam.status == "published" and exam.opens_at <= now < exam.closes_at
        renewal = db.session.scalars(select(Course).join(ProgramCourse, ProgramCourse.course_id == Course.id).where(
            ProgramCourse.program_id == program.id, ProgramCourse.purpose == "renewal")).all()
        assert renewal and all(c.published for c in renewal) and program.renewal_exam_id == exam.id
        assert len(program.description) > 80 and program.min_hours > 0
    assert len({p.description for p in programs.values()}) == 6


def test_the_first_level_moved_to_this_years_exam_without_touching_certificates(programs):
    first = programs["EGOV-L1"]
    certificates = db.session.scalars(select(Certificate).where(Certificate.program_id == first.id)).all()
    assert first.requirements_version == 2 and certificates
    assert {c.requirements_version for c in certificates} == {1} and all(c.revoked_at is None for c in certificates)


def test_the_demo_learner_holds_the_first_level_and_works_on_more(programs):
    learner = _user("learner")
    rows = {row.program.code: row for row in db.session.scalars(
        select(ProgramAssignment).where(ProgramAssignment.user_id == learner.id))}
    assert rows["EGOV-L1"].status == Status.CERTIFIED and rows["EGOV-L1"].certificate.state(utcnow()) == "valid"
    assert rows["EGOV-L2"].status == Status.IN_PROGRESS and rows["EGOV-L2"].requirements[0] == {
        "kind": "prerequisite", "program_id": programs["EGOV-L1"].id, "name": "电子政务应用能力（初级）", "met": True}
    assert rows["QC-TECH"].due_at is not None


def test_hr_rules_stay_in_their_city_and_people_show_varied_statuses(programs):
    hr, city = _user("hr"), db.session.scalar(select(Department).where(Department.code == "QC"))
    rules = db.session.scalars(select(AssignmentRule)).all()
    assert len(rules) == 5 and {r.created_by_id for r in rules} == {hr.id}
    assert all(r.department.path.startswith(city.path) for r in rules)
    assert {r.target for r in rules} == {"department", "people"} and any(r.rank for r in rules)
    outside = db.session.scalar(select(func.count()).select_from(ProgramAssignment)
                                .join(User, User.id == ProgramAssignment.user_id)
                                .join(Department, Department.id == User.department_id)
                                .where(Department.path.not_like(f"{city.path}%")))
    statuses = set(db.session.scalars(select(ProgramAssignment.status).distinct()))
    assert outside == 0
    assert {Status.NOT_STARTED, Status.IN_PROGRESS, Status.AWAITING_EXAM, Status.CERTIFIED,
            Status.OVERDUE} <= statuses
    assert programs["QC-TECH"].department_id == city.id and programs["EGOV-L1"].department_id is None


def test_hr_pages_show_the_demo_programmes(client, programs):
    login_as(client, _user("hr"))
    listing = client.get("/certification/programs").text
    assert all(p.name in listing for p in programs.values())
    detail = client.get(f"/certification/programs/{programs['EGOV-L1'].id}").text
    assert "2026 年度全员电子政务入门认证" in detail and "电子政务概论" in detail
    assert client.get(f"/certification/programs/{programs['QC-TECH'].id}/edit").status_code == 200
    assert client.get(f"/certification/programs/{programs['EGOV-L1'].id}/edit").status_code == 403


def test_loading_again_adds_nothing(programs):
    before = _counts()
    assert load_demo_programs() == 0
    assert _counts() == before
