"""Programme management (services): validation of every field with a clear message, ownership by scope,
audit of creation and changes, ``requirements_version`` bumped only by a change of requirements (issued
certificates untouched), listings with per-status counts in the viewer's scope."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from question_bank.exams.models import Exam
from tests import factories
from tests.certification.conftest import complete_course, graded_attempt
from tests.conftest import login_as
from training.certification.constants import Status
from training.certification.models import Certificate, Program, ProgramAssignment, ProgramCourse
from training.certification.services import assignments
from training.certification.services.programs import (
    ProgramData,
    create_program,
    get_program,
    list_programs,
    program_outline,
    program_status_counts,
    update_program,
)
from training.core.audit import AuditEvent
from training.core.errors import NotFound, PermissionDenied, ValidationFailed
from training.extensions import db


@pytest.fixture
def data(courses, cert_exam) -> ProgramData:
    """Organisation-wide 初级: two required courses, the elective counting to 学时, the exam (16 points) at 12."""
    required, second, elective = courses
    return ProgramData(code="EGOV-T1", name="电子政务应用能力（测试）", level="初级", course_ids=[required.id, second.id],
                       elective_course_ids=[elective.id], min_hours=Decimal("2"), exam_id=cert_exam.id,
                       min_score=Decimal("12"), validity_months=24, renewal_window_days=60)


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_admin_creates_an_organisation_wide_programme_with_its_courses(admin, data, courses):
    program = create_program(admin, data)
    links = db.session.execute(select(ProgramCourse.course_id, ProgramCourse.purpose, ProgramCourse.required)
                               .where(ProgramCourse.program_id == program.id)
                               .order_by(ProgramCourse.position)).all()
    assert (program.department_id, program.requirements_version, program.created_by_id) == (None, 1, admin.id)
    assert [tuple(link) for link in links] == [(courses[0].id, "initial", True), (courses[1].id, "initial", True),
                                               (courses[2].id, "initial", False)]
    [event] = _audits("program.create")
    assert (event.actor_id, event.object_id) == (admin.id, str(program.id))
    assert event.detail["code"] == "EGOV-T1" and event.detail["min_score"] == "12"
    outline = program_outline(program)
    assert [c.code for c in outline.required] == ["M1-01", "M1-02"] and outline.exam_score == Decimal("12")


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"code": "  "}, "code", "项目编码不能为空"),
    ({"name": ""}, "name", "项目名称不能为空"),
    ({"validity_months": 0}, "validity_months", "有效期须在 1 到 120 个月之间"),
    ({"validity_months": 121}, "validity_months", "有效期须在 1 到 120 个月之间"),
    ({"renewal_window_days": -1}, "renewal_window_days", "续证窗口须在 0 到 365 天之间"),
    ({"renewal_window_days": 366}, "renewal_window_days", "续证窗口须在 0 到 365 天之间"),
    ({"validity_months": 3, "renewal_window_days": 90}, "renewal_window_days", "续证窗口须短于证书有效期"),
    ({"min_hours": Decimal("-1")}, "min_hours", "最低学时须在 0 到"),
    ({"renewal_min_hours": Decimal("-0.5")}, "renewal_min_hours", "最低学时须在 0 到"),
    ({"min_score": Decimal("-1")}, "min_score", "最低分数须在 0 到 16 分之间（试卷满分）"),
    ({"min_score": Decimal("16.5")}, "min_score", "最低分数须在 0 到 16 分之间（试卷满分）"),
    ({"exam_id": None}, "min_score", "未选择考试时不能设置最低分数"),
    ({"exam_id": 999999}, "exam_id", "只能选择已发布的正式考试"),
    ({"course_ids": [999999]}, "course_ids", "所选课程不存在"),
    ({"prerequisite_id": 999999}, "prerequisite_id", "先修项目不存在"),
    ({"level": "特级"}, "level", "未知的等级"),
    ({"course_ids": [], "elective_course_ids": [], "min_hours": Decimal("0"), "exam_id": None, "min_score": None},
     "course_ids", "请至少设置一项认证要求"),
])
def test_invalid_fields_are_refused_with_a_message_per_field(admin, data, change, field, message):
    with pytest.raises(ValidationFailed) as caught:
        create_program(admin, replace(data, **change))
    assert message in caught.value.details[field] and message in caught.value.message
    assert db.session.scalar(select(Program.id)) is None and not _audits("program.create")


def test_code_must_be_unique(admin, data):
    create_program(admin, data)
    with pytest.raises(ValidationFailed) as caught:
        create_program(admin, replace(data, name="另一个"))
    assert "项目编码 EGOV-T1 已被使用" in caught.value.details["code"]


def test_a_course_cannot_be_both_required_and_elective(admin, data, courses):
    with pytest.raises(ValidationFailed) as caught:
        create_program(admin, replace(data, elective_course_ids=[courses[0].id]))
    assert "同一门课程不能既是必修又是选修" in caught.value.details["elective_course_ids"]


@pytest.mark.parametrize(("exam_settings", "course_published"), [
    ({"status": "draft"}, True), ({"kind": "mock"}, True), ({"kind": "practice"}, True), ({}, False)])
def test_only_published_formal_exams_and_published_courses(admin, org, data, exam_settings, course_published):
    exam = factories.make_exam(org.province, **exam_settings) if exam_settings else None
    course = factories.make_course("M2-01")
    course.published = course_published
    db.session.commit()
    change = {"exam_id": exam.id, "min_score": None} if exam else {"course_ids": [course.id]}
    with pytest.raises(ValidationFailed) as caught:
        create_program(admin, replace(data, **change))
    assert ("只能选择已发布的正式考试" in caught.value.message) == bool(exam)
    assert ("只能选择已发布的课程" in caught.value.message) == (not exam)


def test_prerequisite_cannot_be_itself_nor_form_a_cycle(admin, data):
    basic = create_program(admin, data)
    middle = create_program(admin, replace(data, code="EGOV-T2", name="中级", prerequisite_id=basic.id))
    with pytest.raises(ValidationFailed) as itself:
        update_program(admin, basic.id, replace(data, prerequisite_id=basic.id))
    with pytest.raises(ValidationFailed) as cycle:
        update_program(admin, basic.id, replace(data, prerequisite_id=middle.id))
    assert "不能把本项目设为自己的先修项目" in itself.value.message
    assert "先修关系不能形成循环" in cycle.value.message
    assert db.session.get(Program, basic.id).prerequisite_id is None


def test_hr_officer_owns_programmes_only_in_scope(hr_officer, org, data):
    own = create_program(hr_officer, replace(data, department_id=org.qc_bureau.id))
    assert own.department_id == org.qc_bureau.id
    for department_id in (None, org.yl.id, org.province.id):
        with pytest.raises(PermissionDenied) as caught:
            create_program(hr_officer, replace(data, code=f"X-{department_id}", department_id=department_id))
        assert "只能为您管辖范围内的部门设立认证项目" in caught.value.message
    with pytest.raises(PermissionDenied):  # nor move their own programme out of their scope
        update_program(hr_officer, own.id, replace(data, department_id=org.yl.id))


@pytest.mark.parametrize("owner", ["yl", "organisation"])
def test_hr_officer_cannot_edit_another_citys_or_an_organisation_wide_programme(admin, hr_officer, org, data, owner):
    department_id = org.yl.id if owner == "yl" else None
    program = create_program(admin, replace(data, department_id=department_id))
    error = NotFound if owner == "yl" else PermissionDenied  # 云岭's programme is not even visible to 清川
    with pytest.raises(error):
        update_program(hr_officer, program.id, replace(data, name="改名", department_id=org.qc.id))
    assert db.session.get(Program, program.id).name == data.name


def test_update_audits_changed_fields_and_bumps_version_only_for_requirements(admin, data, courses, cert_exam):
    program = create_program(admin, data)
    update_program(admin, program.id, replace(data, name="电子政务应用能力（初级·修订）", description="新说明"))
    assert db.session.get(Program, program.id).requirements_version == 1
    update_program(admin, program.id, replace(data, name="电子政务应用能力（初级·修订）", description="新说明",
                                              min_hours=Decimal("2.5"), course_ids=[courses[0].id]))
    assert db.session.get(Program, program.id).requirements_version == 2
    update_program(admin, program.id, replace(data, name="电子政务应用能力（初级·修订）", description="新说明",
                                              min_hours=Decimal("2.50"), course_ids=[courses[0].id]))
    first, second = _audits("program.update")  # the unchanged save is neither a change nor an audit
    assert first.detail["changes"] == {"name": [data.name, "电子政务应用能力（初级·修订）"], "description": ["", "新说明"]}
    assert first.detail["requirements_version"] == 1
    assert second.detail["changes"] == {"min_hours": ["2", "2.5"],
                                        "course_ids": [sorted([courses[0].id, courses[1].id]), [courses[0].id]]}
    assert second.detail["requirements_version"] == 2


def test_changing_requirements_recomputes_progress_and_keeps_certificates(admin, org, learner, data, courses,
                                                                         cert_exam):
    program = create_program(admin, replace(data, min_hours=Decimal("0"), elective_course_ids=[]))
    other = factories.make_user(org.qc_division, employee_no="L0002", name="赵学员")
    assignments.create_rule(admin, department_id=org.qc.id, program_id=program.id)
    for course in courses[:2]:
        complete_course(learner, course)
    graded_attempt(learner, cert_exam, 80)
    complete_course(other, courses[0])
    holder = db.session.scalar(select(ProgramAssignment).where(ProgramAssignment.user_id == learner.id))
    assert holder.status == Status.CERTIFIED
    certificate = db.session.get(Certificate, holder.certificate_id)
    third = factories.make_course("M2-01")
    update_program(admin, program.id, replace(data, min_hours=Decimal("0"), elective_course_ids=[],
                                              course_ids=[*data.course_ids, third.id]))
    db.session.expire_all()
    rows = {row.user_id: row for row in db.session.scalars(select(ProgramAssignment))}
    assert rows[learner.id].status == Status.CERTIFIED and rows[learner.id].certificate_id == certificate.id
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    assert certificate.requirements_version == 1 and db.session.get(Program, program.id).requirements_version == 2
    course_items = [item for item in rows[other.id].requirements if item["kind"] == "course"]
    assert [item["code"] for item in course_items] == ["M1-01", "M1-02", "M2-01"]


def test_listing_counts_people_per_status_in_the_viewers_scope(admin, hr_officer, org, learner, data, courses):
    program = create_program(admin, data)
    yl_person = factories.make_user(org.yl_division, employee_no="Y0001", name="云岭学员")
    assignments.create_rule(admin, department_id=org.province.id, program_id=program.id)
    complete_course(learner, courses[0])
    hidden = create_program(admin, replace(data, code="YL-1", department_id=org.yl.id))
    [row] = list_programs(hr_officer)
    assert row.program.id == program.id and hidden.id not in {r.program.id for r in list_programs(hr_officer)}
    assert row.counts == {Status.IN_PROGRESS: 1, Status.NOT_STARTED: 1} and row.total == 2  # learner, hr officer
    by_id = {r.program.id: r for r in list_programs(admin)}
    assert by_id[program.id].total == 4 and by_id[hidden.id].total == 0  # + admin, 云岭 person
    assert program_status_counts(hr_officer, program.id).counts == row.counts
    with pytest.raises(NotFound):
        get_program(hr_officer, hidden.id)
    assert yl_person.id in {a.user_id for a in db.session.scalars(select(ProgramAssignment))}


def test_inactive_programmes_are_listed_only_on_request(admin, data):
    program = create_program(admin, replace(data, is_active=False))
    assert list_programs(admin) == []
    assert [row.program.id for row in list_programs(admin, include_inactive=True)] == [program.id]


def test_listing_takes_a_fixed_number_of_queries(admin, hr_officer, org, data):
    for n in range(5):
        create_program(admin, replace(data, code=f"P-{n}", department_id=org.qc_bureau.id if n % 2 else None))
    db.session.expire_all()
    viewer = db.session.get(type(hr_officer), hr_officer.id)
    assert [grant.department.code for grant in viewer.grants] == ["QC"]  # the scope: loaded once per request
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = list_programs(viewer)
        owners = [(row.program.department.name if row.program.department else "", row.total) for row in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(owners) == 5 and len(statements) == 2  # programmes with their owners, grouped counts


def test_renewal_exam_must_be_formal_too(admin, org, data):
    mock = factories.make_exam(org.province, kind="mock")
    with pytest.raises(ValidationFailed) as caught:
        create_program(admin, replace(data, renewal_exam_id=mock.id))
    assert "只能选择已发布的正式考试" in caught.value.details["renewal_exam_id"]
    assert db.session.get(Exam, mock.id) is not None


def test_editing_after_the_exam_was_archived_keeps_the_exam_and_courses(admin, data, cert_exam, courses, client):
    """The edit form still offers (and selects) an exam archived and a course unpublished since, so saving an
    unrelated change never drops a requirement."""
    program = create_program(admin, data)
    cert_exam.status = "archived"
    courses[0].published = False
    db.session.commit()
    page = login_as(client, admin).get(f"/certification/programs/{program.id}/edit").text
    assert f'<option selected value="{cert_exam.id}">' in page and "（已归档）" in page
    assert f'<option selected value="{courses[0].id}">' in page and "（未发布）" in page


def test_hr_officer_may_not_require_another_citys_exam(hr_officer, org, data, client):
    factories.make_bank()
    foreign = factories.make_exam(org.yl, title="云岭市内部考试")
    login_as(client, hr_officer)
    assert "云岭市内部考试" not in client.get("/certification/programs/new").text
    with pytest.raises(ValidationFailed) as caught:
        create_program(hr_officer, replace(data, department_id=org.qc.id, exam_id=foreign.id, min_score=None))
    assert "只能选择已发布的正式考试" in caught.value.message
