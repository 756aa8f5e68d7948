"""The learner's certification page (/my/programs): programmes with status, progress, requirements, next step,
due date and certificate; programmes open to join; joining; and the home page card."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import render_template
from sqlalchemy import event, func, select

from tests import factories
from tests.certification.conftest import complete_course, graded_attempt
from tests.conftest import login_as
from training.certification.models import Certificate, ProgramAssignment
from training.certification.services import assignments, learning
from training.core.clock import frozen_clock
from training.extensions import db

T0 = datetime(2026, 5, 4, 8, 0)


@pytest.fixture
def program(courses, cert_exam):
    return factories.make_program("EGOV-L1", courses=courses[:2], exam=cert_exam, min_hours=2, min_score=70,
                                  name="电子政务应用能力（初级）")


@pytest.fixture
def assigned(program, learner, hr_officer, org):
    """The learner assigned the programme by their city's HR officer, due at the end of 2026."""
    with frozen_clock(T0):
        assignments.create_rule(hr_officer, department_id=org.qc_bureau.id, program_id=program.id,
                                due_at=datetime(2026, 12, 31, 15, 59))
    return learner


def joined_programs(user) -> set[int]:
    return set(db.session.scalars(select(ProgramAssignment.program_id).filter_by(user_id=user.id)))


def test_page_needs_a_login(client, app_ctx):
    response = client.get("/my/programs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_programme_with_checklist_progress_and_next_step(client, assigned, courses, program):
    with frozen_clock(T0):
        complete_course(assigned, courses[0], hours=1.75)
    response = login_as(client, assigned).get("/my/programs")
    assert response.status_code == 200
    text = response.text
    assert "电子政务应用能力（初级）" in text and "学习中" in text
    assert '<progress max="100" value="' in text and "style=" not in text
    assert "已达成" in text and "未达成" in text
    assert f"《{courses[0].title}》" in text and f"《{courses[1].title}》" in text
    assert "已修 1.75 / 需 2 学时" in text and "需 70 分" in text and "未参加" in text
    assert "下一步" in text and f"完成课程《{courses[1].title}》" in text
    assert "2026年12月31日" in text


def test_certified_programme_links_its_certificate(client, assigned, courses, cert_exam, program):
    with frozen_clock(T0):
        for course in courses[:2]:
            complete_course(assigned, course)
        graded_attempt(assigned, cert_exam, 90)
    certificate = db.session.scalars(select(Certificate).filter_by(user_id=assigned.id)).one()
    text = login_as(client, assigned).get("/my/programs").text
    assert "已认证" in text and f"/certificates/{certificate.id}" in text and certificate.number in text
    assert "最好成绩 90" in text


def test_open_programmes_are_offered_and_joined(client, learner, org, program):
    own_city = factories.make_program("QC-1", name="清川市数据共享专题", department=org.qc)
    other_city = factories.make_program("YL-1", name="云岭市专题", department=org.yl)
    inactive = factories.make_program("OLD-1", name="已停用项目")
    inactive.is_active = False
    db.session.commit()
    login_as(client, learner)
    text = client.get("/my/programs").text
    assert "可报名的认证项目" in text and "电子政务应用能力（初级）" in text and "清川市数据共享专题" in text
    assert "云岭市专题" not in text and "已停用项目" not in text
    response = client.post(f"/my/programs/{own_city.id}/join")
    assert response.status_code == 302 and response.headers["Location"] == "/my/programs"
    assert joined_programs(learner) == {own_city.id}
    after = client.get("/my/programs").text
    assert "已加入认证项目《清川市数据共享专题》" in after  # the flash
    assert f'data-program="{own_city.code}"' in after and f'data-joinable="{own_city.code}"' not in after
    refused = client.post(f"/my/programs/{other_city.id}/join", follow_redirects=True)
    assert "不存在或不可用" in refused.text and joined_programs(learner) == {own_city.id}


def test_joinable_programs_query(learner, org, program, assigned):
    open_one = factories.make_program("P-OPEN", name="全省通用项目")
    factories.make_program("YL-1", name="云岭市专题", department=org.yl)
    assert [p.code for p in learning.joinable_programs(learner)] == [open_one.code]


def test_joining_needs_the_csrf_token(raw_client, learner, program):
    response = login_as(raw_client, learner).post(f"/my/programs/{program.id}/join")
    assert response.status_code == 400 and joined_programs(learner) == set()


def test_my_assignments_loads_certificates_without_a_query_per_row(learner, org, courses, cert_exam):
    programs = [factories.make_program(f"P-{n}", courses=courses[:1], name=f"项目{n}") for n in range(4)]
    with frozen_clock(T0):
        for p in programs:
            assignments.join_program(learner, p.id)
        complete_course(learner, courses[0])
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 4
    user_id = learner.id
    db.session.expire_all()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = learning.my_assignments(user_id)
        numbers = [row.certificate.number for row in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(numbers) == 4 and all(numbers)
    assert len(statements) == 2, statements


def test_home_card(app, assigned, program):
    rows = learning.my_assignments(assigned.id)
    with app.test_request_context():
        html = render_template("certification/_home_card.html", programs=rows)
    assert "我的认证" in html and "电子政务应用能力（初级）" in html and "未开始" in html
    assert '<progress max="100" value="0"' in html and "下一步：" in html and "/my/programs" in html
    assert "style=" not in html
    with app.test_request_context():
        empty = render_template("certification/_home_card.html", programs=[])
    assert "暂无认证项目" in empty
