"""The report pages: the dashboard shows the service's figures with a table beside every chart, suppressed groups
as "—" with the privacy note, drill-down links and a breadcrumb that links only inside the viewer's scope, a
sortable sub-departments table; a person's competency profile; scope (404 outside it, 403 for learners); no
inline script or style (CSP)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import event, select

from courseware.models import Course, Enrollment
from question_bank.exams.models import AttemptItem
from question_bank.models import QuestionVersion
from tests import factories
from tests.certification.conftest import complete_course, graded_attempt
from tests.conftest import login_as
from training.core.clock import utcnow
from training.extensions import db
from training.reports.services.figures import department_report, person_profile

NOTE = "人数少于 5 人，为保护个人信息不予显示"


@dataclass
class World:
    leader: object
    learner: object
    qc_zw: object
    bureau_people: list
    outsider: object


def _versions(module: str) -> list[QuestionVersion]:
    questions = factories.make_bank(per_type=3, module=module)
    ids = [question.id for question in questions]
    return list(db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id.in_(ids))))


def answer(user, exam, items: list[tuple[QuestionVersion, float, float]], score: float, *, days_ago: int = 10):
    """A graded formal attempt of ``user`` with ``items`` = [(version, score, points)], ``days_ago`` days ago."""
    attempt = graded_attempt(user, exam, score, at=utcnow() - timedelta(days=days_ago))
    for position, (version, got, points) in enumerate(items, start=1):
        db.session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=version.question_id,
                                   question_version_id=version.id, points=Decimal(str(points)),
                                   score=Decimal(str(got))))
    db.session.commit()
    return attempt


def build_world(org) -> World:
    """清川 (QC) with two bureaus: 人社局 (6 people + a division of 3, suppressed) and 政务服务管理局 (5 people);
    云岭 (YL) with 5 people. Five of the 人社局's people have the required course (three completed it); six
    answered M1, M3 and M7 items (four competencies) of a formal exam."""
    m1, m3, m7 = _versions("M1"), _versions("M3"), _versions("M7")
    for version, competency in ((m1[0], "学习能力"), (m1[1], "学习能力"), (m3[0], "依法行政能力"),
                                (m3[1], "公共服务能力"), (m7[0], "应对突发事件能力")):
        version.competency = competency
    db.session.commit()
    exam = factories.make_exam(org.province, pass_score=Decimal("60"), title="电子政务应用能力认证考试")
    leader = factories.make_user(org.qc, employee_no="D0001", name="陈领导", rank="县处级正职",
                                 roles=[("leader", org.qc)])
    learner = factories.make_user(org.qc_division, employee_no="L0001", name="李学员")
    qc_zw = factories.make_department("QC-ZW", "清川市政务服务管理局", org.qc)
    bureau = [factories.make_user(org.qc_bureau, employee_no=f"QR{n:02d}", name=f"人社{n}") for n in range(6)]
    bureau += [factories.make_user(org.qc_division, employee_no=f"QD{n:02d}", name=f"科员{n}") for n in range(2)]
    for n in range(5):
        factories.make_user(qc_zw, employee_no=f"QZ{n:02d}", name=f"政务{n}")
    outsider = factories.make_user(org.yl_bureau, employee_no="Y0000", name="云岭人")
    for n in range(1, 5):
        factories.make_user(org.yl_bureau, employee_no=f"Y{n:04d}", name=f"云岭{n}")
    course = db.session.scalar(select(Course).where(Course.code == "M1-01"))  # required
    for person in bureau[:3]:
        complete_course(person, course, hours=2.0)
    db.session.add_all(Enrollment(user_id=person.id, course_id=course.id, source="assigned") for person in bureau[3:5])
    db.session.commit()
    for n, person in enumerate(bureau[:6]):
        answer(person, exam, [(m1[0], 2 * (n % 2), 2), (m1[1], 1, 2), (m3[0], 3, 3), (m3[1], n % 3, 3),
                              (m7[0], 1 + n % 2, 2)], score=50 + 8 * n)
    return World(leader, learner, qc_zw, bureau, outsider)


@pytest.fixture
def world(org) -> World:
    return build_world(org)


def page_of(client, user, url: str) -> str:
    login_as(client, user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.text


def pct(value: float | None) -> str:
    return '<span class="no-figure">—</span>' if value is None else f"{value:.1f}%"


def assert_csp_clean(html: str) -> None:
    """No inline script or style: every <script> loads a file; no style attribute, no <style> element."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert "style=" not in html and "<style" not in html


def chart_data(html: str, chart_id: str) -> dict:
    match = re.search(rf"id=\"{chart_id}\" data-chart='([^']*)'", html)
    assert match, f"no chart {chart_id}"
    return json.loads(unescape(match.group(1)))


def test_dashboard_shows_the_service_figures_with_a_table_beside_each_chart(client, org, world):
    report = department_report(world.leader, "QC")
    html = page_of(client, world.leader, "/reports/departments/QC")
    fig = report.figures
    assert not fig.suppressed and fig.headcount == 15  # the leader, 8 in 人社局 and its division, 5 + 1 learner
    assert f'data-figure="headcount">{fig.headcount}<' in html
    assert f'data-figure="completion_rate">{pct(fig.completion_rate)}<' in html
    assert f'data-figure="exam_participation_rate">{pct(fig.exam_participation_rate)}<' in html
    assert f'data-figure="exam_pass_rate">{pct(fig.exam_pass_rate)}<' in html
    assert fig.exam_participation_rate == pytest.approx(100 * 6 / 15) and fig.completion_rate == pytest.approx(60)
    modules = {module.code: module for module in fig.modules}
    for code in ("M1", "M3"):
        module = modules[code]
        assert module.mastery is not None and module.responses == 12
        row = re.search(rf"<th scope=\"row\">{code} 模块{code}</th>(.*?)</tr>", html, re.S).group(1)
        assert f"{module.mastery:.1f}" in row and f">{module.responses}<" in row and "badge" in row
    # every chart is a figure: its data for ECharts, its caption and the same figures as a table
    assert html.count("<figure") == 4 and html.count("<figcaption") == 4  # modules, competencies, heatmap, trend
    bars = chart_data(html, "chart-modules")
    assert bars["kind"] == "bar" and bars["values"] == [None if m.mastery is None else round(m.mastery, 1)
                                                       for m in fig.modules]
    heat = chart_data(html, "chart-heatmap")
    assert heat["rows"] == ["清川市人社局", "清川市政务服务管理局"] and [0, 0] in [v[:2] for v in heat["values"]]
    assert "下级部门 × 模块掌握度" in html and "与上级部门和全部单位比较" in html and "东江省人民政府" in html
    # drill-down links to each direct sub-department, exports for this department
    assert 'href="/reports/departments/QC-RS?months=12"' in html
    assert 'href="/reports/departments/QC-ZW?months=12"' in html
    assert "/reports/departments/QC/export.xlsx?months=12" in html
    assert "/reports/departments/QC/export.pdf?months=12" in html
    assert_csp_clean(html)


def test_a_small_group_is_shown_as_dash_with_the_privacy_note(client, org, world):
    html = page_of(client, world.leader, "/reports/departments/QC-RS-01")  # 3 people
    assert re.search(r'data-figure="completion_rate"><span class="no-figure">—</span>', html)
    assert re.search(r'data-figure="exam_pass_rate"><span class="no-figure">—</span>', html)
    assert 'data-figure="headcount">3<' in html
    assert NOTE in html
    assert 'id="chart-modules"' not in html and 'id="chart-competencies"' not in html  # nothing to draw
    parent = page_of(client, world.leader, "/reports/departments/QC-RS")  # its division is a suppressed row
    row = re.search(r"QC-RS-01\?months=12\">公务员管理科</a></th>(.*?)</tr>", parent, re.S).group(1)
    assert ">3<" in row and row.count("—") == 5
    assert NOTE in parent
    assert_csp_clean(parent)


def test_breadcrumb_links_only_inside_the_scope(client, org, world):
    html = page_of(client, world.leader, "/reports/departments/QC-RS")
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert '<span class="crumb-text">东江省人民政府</span>' in crumbs
    assert 'href="/reports/departments/DJ' not in html
    assert '<a href="/reports/departments/QC?months=12">清川市人民政府</a>' in crumbs
    assert 'aria-current="page">清川市人社局<' in crumbs


def test_sub_departments_sort_by_a_column(client, org, world):
    def order(sort: str) -> list[str]:
        html = page_of(client, world.leader, f"/reports/departments/QC?sort={sort}")
        table = re.search(r'<table class="data sortable".*?</table>', html, re.S).group(0)
        return re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', table)

    assert order("-headcount") == ["清川市人社局", "清川市政务服务管理局"]  # 8 people, then 5
    assert order("headcount") == ["清川市政务服务管理局", "清川市人社局"]
    assert order("-completion_rate") == order("name")  # no figure anywhere: the stable order
    html = page_of(client, world.leader, "/reports/departments/QC?sort=-headcount")
    assert 'aria-sort="descending"' in html and "sort=headcount" in html


def count_statements(client, url: str) -> int:
    statements = []

    def record(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_the_dashboard_statements_do_not_grow_with_the_departments(client, org, world):
    login_as(client, world.leader)
    client.get("/reports/departments/QC")  # warm: caches of settings and the syllabus
    before = count_statements(client, "/reports/departments/QC")
    for n in range(6):
        unit = factories.make_department(f"QC-X{n}", f"清川市新设局{n}", org.qc)
        for m in range(5):
            factories.make_user(unit, employee_no=f"QX{n}{m}", name=f"新人{n}{m}")
    assert count_statements(client, "/reports/departments/QC") == before
    assert before <= 12  # the user, their grants, the unread badge and the report service (at most 9)


def test_months_selector_keeps_the_window(client, org, world):
    html = page_of(client, world.leader, "/reports/departments/QC?months=6")
    assert '<option value="6" selected>' in html and "近 6 个月" in html
    assert 'href="/reports/departments/QC-RS?months=6"' in html
    fallback = page_of(client, world.leader, "/reports/departments/QC?months=7")
    assert '<option value="12" selected>' in fallback


def test_index_redirects_to_the_viewers_scope_root(client, org, world, admin, hr_officer):
    for user, code in ((world.leader, "QC"), (admin, "DJ"), (hr_officer, "QC")):
        login_as(client, user)
        response = client.get("/reports/")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/departments/{code}")


def test_person_profile_shows_radars_and_tables(client, org, world):
    person = world.bureau_people[5]
    profile = person_profile(world.leader, person.employee_no)
    html = page_of(client, world.leader, f"/reports/people/{person.employee_no}")
    assert person.name in html and "个人能力画像" in html
    radar = chart_data(html, "chart-person-competencies")
    shown = [m for m in profile.competencies if m.mastery is not None]
    assert radar["kind"] == "radar" and radar["labels"] == [m.title for m in shown] and len(shown) == 4
    assert radar["values"] == [round(m.mastery, 1) for m in shown]
    assert chart_data(html, "chart-person-modules")["labels"] == ["M1", "M3", "M7"]
    for mastery in profile.modules + profile.competencies:
        row = re.search(rf"<th scope=\"row\">[^<]*{mastery.title}</th>(.*?)</tr>", html, re.S).group(1)
        assert (f"{mastery.mastery:.1f}" if mastery.mastery is not None else "—") in row
    assert html.count("<figure") == 2 and 'href="/reports/departments/QC-RS?months=12"' in html
    assert_csp_clean(html)
    login_as(client, world.leader)
    found = client.get(f"/reports/people?employee_no={person.employee_no}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/reports/people/{person.employee_no}?months=12")


OUT_OF_SCOPE = ["/reports/departments/{code}", "/reports/departments/{code}/export.xlsx",
                "/reports/departments/{code}/export.pdf"]


@pytest.mark.parametrize("url", OUT_OF_SCOPE)
@pytest.mark.parametrize("code", ["YL", "DJ", "YL-RS", "NOPE"])
def test_a_leader_of_one_city_cannot_read_another_or_the_province(client, org, world, url, code):
    login_as(client, world.leader)
    assert client.get(url.format(code=code)).status_code == 404


def test_a_leader_cannot_open_a_person_of_another_city(client, org, world):
    login_as(client, world.leader)
    assert client.get(f"/reports/people/{world.outsider.employee_no}").status_code == 404


@pytest.mark.parametrize("url", ["/reports/", "/reports/departments/QC-RS-01", "/reports/departments/QC/export.xlsx",
                                 "/reports/departments/QC/export.pdf", "/reports/people/L0001"])
def test_learners_read_no_report(client, org, world, url):
    login_as(client, world.learner)
    assert client.get(url).status_code == 403


def test_reports_need_a_login(client, org, world):
    response = client.get("/reports/departments/QC")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_report_assets_are_served_by_the_app(client, org, world):
    login_as(client, world.leader)
    for asset in ("vendor/echarts.min.js", "reports.js", "reports.css"):
        response = client.get(f"/reports/static/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000
        response.close()
