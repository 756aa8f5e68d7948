"""Programme pages and the HR assignment page (UI): admins and HR officers create, edit, read and assign
programmes inside their scope; 清川's HR officer gets 403/404 for anything of 云岭 and for organisation-wide
programmes' editing; learners get 403 everywhere; every POST needs its CSRF token."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from courseware.models import Enrollment
from tests import factories
from tests.conftest import login_as
from training.certification.models import AssignmentRule, Program, ProgramAssignment
from training.core.audit import AuditEvent
from training.core.clock import utcnow
from training.extensions import db


@pytest.fixture
def program(org, courses, cert_exam):
    """An organisation-wide programme: the two required courses and the exam."""
    return factories.make_program("EGOV-L1", courses=courses[:2], exam=cert_exam, name="电子政务应用能力（初级）")


@pytest.fixture
def yl_program(org, courses):
    return factories.make_program("YL-1", courses=courses[:1], department=org.yl, name="云岭专项")


@pytest.fixture
def qc_program(org, courses):
    return factories.make_program("QC-1", courses=courses[:1], department=org.qc_bureau, name="清川专项")


@pytest.fixture
def people(org):
    """Two officials in 清川 (one 四级主任科员) and one in 云岭."""
    return {"qc1": factories.make_user(org.qc_division, employee_no="Q0001", name="清川甲", rank="四级主任科员"),
            "qc2": factories.make_user(org.qc_bureau, employee_no="Q0002", name="清川乙"),
            "yl1": factories.make_user(org.yl_division, employee_no="Y0001", name="云岭甲")}


def _form(courses, cert_exam, **overrides) -> dict:
    values = {"code": "EGOV-NEW", "name": "电子政务应用能力（新）", "level": "中级", "tier": "", "department_id": "0",
              "description": "面向窗口单位的专项认证。", "course_ids": [str(courses[0].id), str(courses[1].id)],
              "elective_course_ids": [str(courses[2].id)], "min_hours": "2", "exam_id": str(cert_exam.id),
              "min_score": "12", "prerequisite_id": "0", "validity_months": "36", "renewal_window_days": "90",
              "renewal_min_hours": "0", "renewal_exam_id": "0", "renewal_min_score": "", "is_active": "y"}
    values.update(overrides)
    return values


def _due(days: int = 60) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


def _rules() -> int:
    return db.session.scalar(select(func.count()).select_from(AssignmentRule))


# ---- access ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", "/certification/programs"), ("get", "/certification/programs/new"),
    ("post", "/certification/programs/new"), ("get", "/certification/programs/{id}"),
    ("get", "/certification/programs/{id}/edit"), ("post", "/certification/programs/{id}/edit"),
    ("get", "/certification/assign"), ("post", "/certification/assign"), ("post", "/certification/rules/1/end"),
])
def test_learners_get_403_on_every_page(client, learner, program, method, path):
    login_as(client, learner)
    response = getattr(client, method)(path.format(id=program.id), data={})
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, program):
    response = client.get("/certification/programs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- programmes -----------------------------------------------------------------------------------------

def test_admin_creates_a_programme_and_reads_its_requirements_in_words(client, admin, courses, cert_exam):
    login_as(client, admin)
    assert "新建认证项目" in client.get("/certification/programs/new").text
    response = client.post("/certification/programs/new", data=_form(courses, cert_exam))
    program = db.session.scalar(select(Program).where(Program.code == "EGOV-NEW"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/certification/programs/{program.id}")
    assert program.department_id is None and program.min_score == Decimal("12")
    page = client.get(response.headers["Location"]).text
    for words in ("学完以下必修课程", "课程M1-01", "不少于 2 学时", "课程M1-03", "电子政务应用能力认证考试",
                  "成绩不低于 12 分", "36 个月", "到期前 90 天开放", "续证时按初次认证要求办理", "全系统通用"):
        assert words in page, words
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == str(program.id))) \
        == "program.create"


def test_invalid_form_shows_the_services_message_at_the_field(client, admin, program, courses, cert_exam):
    login_as(client, admin)
    response = client.post("/certification/programs/new", data=_form(
        courses, cert_exam, code="EGOV-L1", validity_months="2", renewal_window_days="90"))
    assert response.status_code == 200
    assert "项目编码 EGOV-L1 已被使用" in response.text and "续证窗口须短于证书有效期" in response.text
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1


def test_hr_officer_creates_and_edits_a_programme_of_their_city(client, hr_officer, org, courses, cert_exam):
    login_as(client, hr_officer)
    form = client.get("/certification/programs/new").text
    assert '<option value="0">全系统通用' not in form and "清川市人社局" in form and "云岭市" not in form
    client.post("/certification/programs/new", data=_form(courses, cert_exam, department_id=str(org.qc_bureau.id)))
    program = db.session.scalar(select(Program).where(Program.code == "EGOV-NEW"))
    assert program.department_id == org.qc_bureau.id
    edit = client.get(f"/certification/programs/{program.id}/edit").text
    assert 'value="EGOV-NEW"' in edit and "修改认证要求不会撤销已颁发的证书" in edit
    response = client.post(f"/certification/programs/{program.id}/edit", data=_form(
        courses, cert_exam, department_id=str(org.qc_bureau.id), min_hours="3"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Program, program.id).requirements_version == 2


@pytest.mark.parametrize("owner", ["yl", "organisation"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_qc_hr_cannot_edit_a_yl_or_an_organisation_wide_programme(client, hr_officer, org, program, yl_program,
                                                                  courses, cert_exam, owner, method):
    target = yl_program if owner == "yl" else program
    login_as(client, hr_officer)
    response = getattr(client, method)(f"/certification/programs/{target.id}/edit",
                                       data=_form(courses, cert_exam, code=target.code, name="篡改",
                                                  department_id=str(org.qc.id)))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Program, target.id).name != "篡改"


def test_programme_pages_of_another_city_are_not_found(client, hr_officer, yl_program, program, qc_program):
    login_as(client, hr_officer)
    assert client.get(f"/certification/programs/{yl_program.id}").status_code == 404
    listing = client.get("/certification/programs").text
    assert "电子政务应用能力（初级）" in listing and "清川专项" in listing and "云岭专项" not in listing
    detail = client.get(f"/certification/programs/{program.id}").text
    assert "分配此项目" in detail and "编辑项目" not in detail


# ---- assignment -----------------------------------------------------------------------------------------

def test_hr_assigns_a_programme_to_a_department_with_a_due_date(client, hr_officer, org, program, people, learner):
    login_as(client, hr_officer)
    page = client.get(f"/certification/assign?program={program.id}").text
    assert f'<option selected value="{program.id}"' in page and "云岭" not in page
    response = client.post("/certification/assign", data={
        "program_id": program.id, "course_id": 0, "department_id": org.qc.id, "target": "department", "rank": "",
        "due_date": _due(), "note": "年度任务"}, follow_redirects=True)
    assert response.status_code == 200 and "已分配：新增 4 人" in response.text  # 甲, 乙, learner, HR officer
    rule = db.session.scalar(select(AssignmentRule))
    assert (rule.program_id, rule.department_id, rule.note) == (program.id, org.qc.id, "年度任务")
    assigned = set(db.session.scalars(select(ProgramAssignment.user_id).where(ProgramAssignment.rule_id == rule.id)))
    assert people["yl1"].id not in assigned and {people["qc1"].id, learner.id} <= assigned
    assert "年度任务" in response.text and "生效中" in response.text  # the rule on the programme page


def test_hr_assigns_by_rank_and_to_selected_people(client, hr_officer, org, program, people):
    login_as(client, hr_officer)
    client.post("/certification/assign", data={
        "program_id": program.id, "course_id": 0, "department_id": org.qc.id, "target": "department",
        "rank": "四级主任科员"})
    assert set(db.session.scalars(select(ProgramAssignment.user_id))) == {people["qc1"].id}
    response = client.post("/certification/assign", data={
        "program_id": program.id, "course_id": 0, "department_id": org.qc.id, "target": "people",
        "employee_nos": "Q0002，Q0001\n"}, follow_redirects=True)
    assert "已分配：新增 1 人" in response.text
    assert set(db.session.scalars(select(ProgramAssignment.user_id))) == {people["qc1"].id, people["qc2"].id}


def test_hr_assigns_a_single_course(client, hr_officer, org, courses, people):
    login_as(client, hr_officer)
    response = client.post("/certification/assign", data={
        "program_id": 0, "course_id": courses[1].id, "department_id": org.qc_bureau.id, "target": "department",
        "due_date": _due(30)}, follow_redirects=True)
    assert "已分配：新增 3 人" in response.text and "课程M1-02" in response.text
    enrolled = set(db.session.scalars(select(Enrollment.user_id).where(Enrollment.course_id == courses[1].id)))
    assert people["qc2"].id in enrolled and people["yl1"].id not in enrolled


def test_programme_or_course_is_required_and_exclusive(client, hr_officer, org, program, courses):
    login_as(client, hr_officer)
    for chosen in ({"program_id": 0, "course_id": 0}, {"program_id": program.id, "course_id": courses[0].id}):
        response = client.post("/certification/assign", data={**chosen, "department_id": org.qc.id,
                                                                "target": "department"})
        assert response.status_code == 200 and "请选择一个认证项目或一门课程（二选一）" in response.text
    assert _rules() == 0


@pytest.mark.parametrize(("case", "status"), [
    ("yl_department", 403), ("yl_people_in_yl_department", 403), ("province", 403), ("yl_programme", 404)])
def test_qc_hr_cannot_assign_to_yl(client, hr_officer, org, program, yl_program, people, case, status):
    data = {"program_id": program.id, "course_id": 0, "department_id": org.yl.id, "target": "department"}
    if case == "yl_people_in_yl_department":
        data.update(target="people", employee_nos="Y0001")
    elif case == "province":
        data.update(department_id=org.province.id)
    elif case == "yl_programme":
        data.update(program_id=yl_program.id, department_id=org.qc.id)
    login_as(client, hr_officer)
    assert client.post("/certification/assign", data=data).status_code == status
    assert _rules() == 0 and db.session.scalar(select(func.count()).select_from(ProgramAssignment)) == 0


def test_qc_hr_cannot_pick_yl_people_under_a_qc_department(client, hr_officer, org, program, people):
    login_as(client, hr_officer)
    response = client.post("/certification/assign", data={
        "program_id": program.id, "course_id": 0, "department_id": org.qc.id, "target": "people",
        "employee_nos": "Q0001\nY0001"})
    assert response.status_code == 200 and "Y0001" in response.text and "不在所选部门范围内" in response.text
    assert _rules() == 0


def test_ending_a_rule_keeps_people_and_stops_new_ones(client, hr_officer, org, program, people):
    login_as(client, hr_officer)
    client.post("/certification/assign", data={"program_id": program.id, "course_id": 0,
                                               "department_id": org.qc.id, "target": "department"})
    rule = db.session.scalar(select(AssignmentRule))
    response = client.post(f"/certification/rules/{rule.id}/end", follow_redirects=True)
    assert "分配规则已结束" in response.text and "已结束" in response.text
    db.session.expire_all()
    assert db.session.get(AssignmentRule, rule.id).ended_at is not None
    assert db.session.scalar(select(func.count()).select_from(ProgramAssignment)) == 3
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "assignment.end")) is not None


def test_qc_hr_cannot_end_a_yl_rule(client, admin, hr_officer, org, program, people):
    login_as(client, admin)
    client.post("/certification/assign", data={"program_id": program.id, "course_id": 0,
                                               "department_id": org.yl.id, "target": "department"})
    rule = db.session.scalar(select(AssignmentRule))
    login_as(client, hr_officer)
    assert client.post(f"/certification/rules/{rule.id}/end").status_code == 404
    assert "云岭" not in client.get("/certification/assign").text
    db.session.expire_all()
    assert db.session.get(AssignmentRule, rule.id).ended_at is None


# ---- CSRF -----------------------------------------------------------------------------------------------

def test_every_post_needs_a_csrf_token(raw_client, admin, org, program, courses, cert_exam, people):
    login_as(raw_client, admin)
    rule = AssignmentRule(program_id=program.id, department_id=org.qc.id, created_by_id=admin.id)
    db.session.add(rule)
    db.session.commit()
    posts = [("/certification/programs/new", _form(courses, cert_exam)),
             (f"/certification/programs/{program.id}/edit", _form(courses, cert_exam, code="EGOV-L1", name="X")),
             ("/certification/assign", {"program_id": program.id, "course_id": 0, "department_id": org.qc.id,
                                        "target": "department"}),
             (f"/certification/rules/{rule.id}/end", {})]
    for path, data in posts:
        assert raw_client.post(path, data=data).status_code == 400, path
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Program)) == 1
    assert db.session.get(Program, program.id).name == "电子政务应用能力（初级）"
    assert _rules() == 1 and db.session.get(AssignmentRule, rule.id).ended_at is None
