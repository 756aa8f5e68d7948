"""The HR person view and the printable 学习档案 / 学时证明, and the roster page over HTTP: contents, scope (404 for
another city's people and departments), 403 for learners."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from question_bank.exams.models import RELEASE_MANUAL
from tests import factories
from tests.certification.conftest import complete_course, graded_attempt
from tests.certification.test_roster import NOW, build_world
from tests.conftest import login_as
from training.certification.models import Certificate
from training.certification.services.person import person_record
from training.core.clock import frozen_clock, utcnow
from training.core.errors import NotFound
from training.extensions import db


@pytest.fixture
def world(org, hr_officer):
    return build_world(org)


@pytest.fixture
def record_of_qc1(world, courses, cert_exam):
    """QC1 completed two courses (this year and last), sat the certification exam (released) and a second exam
    whose results are not released yet, and holds a certificate."""
    person = world.people["QC1"]
    now = utcnow()
    complete_course(person, courses[0], hours=1.75, at=now - timedelta(days=2))
    complete_course(person, courses[1], hours=1.0, at=now.replace(year=now.year - 1))
    graded_attempt(person, cert_exam, 86)
    hidden = factories.make_exam(person.department, title="尚未公布成绩的考试", release_policy=RELEASE_MANUAL,
                                 pass_score=Decimal("60"))
    graded_attempt(person, hidden, 42)
    db.session.add(Certificate(number="EGOV-2026-000777", verification_code="ABCDEFGHJKLM", user_id=person.id,
                               program_id=world.program_a.id, cycle="initial", issued_at=now - timedelta(days=300),
                               expires_at=now + timedelta(days=30), holder_name=person.name,
                               department_name="公务员管理科", program_name="初级认证"))
    db.session.commit()
    return person


def test_person_record_gathers_courses_hours_exams_programmes_and_certificates(record_of_qc1, hr_officer):
    record = person_record(hr_officer, "QC0001")
    assert record.person.id == record_of_qc1.id
    assert record.department_path == ("东江省人民政府", "清川市人民政府", "清川市人社局", "公务员管理科")
    year = utcnow().year
    assert record.hours_per_year == {year: 1.75, year - 1: 1.0} and record.total_hours == 2.75
    assert (record.standing.earned, record.standing.target) == (1.75, 90.0)
    assert {row.course.code for row in record.courses} == {"M1-01", "M1-02"}
    released, hidden = sorted(record.exams, key=lambda e: e.released, reverse=True)
    assert (released.released, released.score, released.passed) == (True, Decimal("86"), True)
    assert (hidden.released, hidden.score, hidden.passed) == (False, None, None)  # not disclosed before release
    assert [a.program.name for a in record.assignments] == ["初级认证", "中级认证"]
    assert [(c.number, state) for c, state in record.certificates] == [("EGOV-2026-000777", "valid")]


@pytest.mark.parametrize("employee_no", ["Y0001", "Y0002", "P0001", "NOBODY"])
def test_people_outside_the_scope_are_not_found(world, hr_officer, employee_no):
    with pytest.raises(NotFound):
        person_record(hr_officer, employee_no)


def test_admin_sees_anyone(world, admin):
    assert person_record(admin, "Y0001").person.name == "云一"


def test_person_page_shows_the_record(record_of_qc1, client, hr_officer):
    page = login_as(client, hr_officer).get("/hr/people/QC0001").get_data(as_text=True)
    for text in ("张三", "东江省人民政府 / 清川市人民政府 / 清川市人社局 / 公务员管理科", "初级认证", "即将到期",
                 "EGOV-2026-000777", "电子政务应用能力认证考试", "86.0", "待公布", "课程M1-01", "学习中"):
        assert text in page, text
    assert "42.0" not in page


def test_printable_record_is_a_study_hours_certificate(record_of_qc1, client, hr_officer):
    response = login_as(client, hr_officer).get("/hr/people/QC0001/record")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "学习档案 / 学时证明" in page and "data-print" in page and "no-print" in page
    assert "累计完成网络学习 2.75 学时" in page and "1.75 学时" in page
    assert "EGOV-2026-000777" in page and "42.0" not in page


@pytest.mark.parametrize("path", ["/hr/people/{no}", "/hr/people/{no}/record"])
@pytest.mark.parametrize("employee_no", ["Y0001", "Y0002", "P0001", "NOBODY"])
def test_http_person_pages_of_other_cities_are_not_found(world, client, hr_officer, path, employee_no):
    assert login_as(client, hr_officer).get(path.format(no=employee_no)).status_code == 404


@pytest.mark.parametrize("path", ["/hr/", "/hr/people/QC0001", "/hr/people/QC0001/record", "/hr/people/L0001"])
def test_learners_are_forbidden(world, client, learner, path):
    assert login_as(client, learner).get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/hr/")
    assert response.status_code == 302 and "login" in response.headers["Location"]


# --- the roster page -----------------------------------------------------------------------------------------

def test_roster_page_lists_the_scope_with_statuses_and_hours(world, client, hr_officer):
    with frozen_clock(NOW):
        page = login_as(client, hr_officer).get("/hr/").get_data(as_text=True)
    for text in ("QC0001", "张三", "初级认证：即将到期", "中级认证：学习中", "95 / 90", "差 10", "共 5 人",
                 "/hr/export/roster.xlsx", "/hr/export/compliance.xlsx?year=2026", "sort=-hours"):
        assert text in page, text
    assert "Y0001" not in page and "云一" not in page and "P0001" not in page


def test_roster_page_filters_sorts_and_paginates(world, org, client, hr_officer):
    login_as(client, hr_officer)
    with frozen_clock(NOW):
        overdue = client.get(f"/hr/?status=overdue&department={org.qc.id}").get_data(as_text=True)
        paged = client.get("/hr/?sort=employee_no&per_page=2&page=2").get_data(as_text=True)
        below = client.get("/hr/?below_target=y&sort=-hours").get_data(as_text=True)
    assert "QC0002" in overdue and "QC0001" not in overdue and "共 1 人" in overdue
    assert "QC0002" in paged and "QC0001" not in paged and "第 2 / 3 页" in paged
    assert below.index("QC0002") < below.index("QC0004") and "QC0001" not in below


@pytest.mark.parametrize("department", ["yl", "yl_bureau", "yl_division", "province"])
def test_roster_page_of_another_department_is_not_found(world, org, client, hr_officer, department):
    response = login_as(client, hr_officer).get(f"/hr/?department={getattr(org, department).id}")
    assert response.status_code == 404


def test_roster_page_ignores_malformed_filters(world, client, hr_officer):
    response = login_as(client, hr_officer).get("/hr/?expiring=abc&sort=evil&page=x&per_page=0&status=bogus")
    assert response.status_code == 200 and "QC0001" in response.get_data(as_text=True)
