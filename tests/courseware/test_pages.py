"""Courseware pages and API: rendering and sanitising, catalogue filters, enrolment, lesson page, search,
learning record, home page, the lesson editor and the 学时 settings page."""

from __future__ import annotations

import pytest

from courseware.models import Enrollment, Lesson
from courseware.services.editing import update_lesson
from courseware.services.sync import sync_courseware
from tests.conftest import login_as
from tests.factories import make_user
from training.core.markdown import render_markdown
from training.extensions import db
from training.org.constants import RANK_NAMES

MALICIOUS = """## 标题

<script>alert("x")</script>
<img src="x.png" onerror="alert(1)">
[点我](javascript:alert(2))
<a href="javascript:alert(3)">链接</a>
<iframe src="https://evil.example"></iframe>

| 列一 | 列二 |
|---|---|
| 甲 | 乙 |

正文[^1]

[^1]: 脚注内容

!!! tip "提示"
    提示内容
"""


@pytest.fixture
def catalogue(app_ctx, org):
    sync_courseware()
    return {lesson.source_path: lesson for lesson in db.session.scalars(db.select(Lesson))}


def test_markdown_features_render_and_dangerous_html_is_removed():
    html = render_markdown(MALICIOUS)
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html and "<iframe" not in html
    assert "<table>" in html and 'class="footnote"' in html and 'class="admonition tip"' in html
    assert 'id="标题"' in html and 'class="headerlink"' in html


def test_lesson_page_never_serves_script_from_a_lesson(client, catalogue, examiner, learner):
    lesson = catalogue["M1/gailun/01-definition-origin.md"]
    update_lesson(examiner, lesson, title="含恶意代码的课时", minutes=30, body_md=MALICIOUS)
    login_as(client, learner)
    page = client.get(f"/lessons/{lesson.id}").text
    body = page.split('<div class="prose">')[1].split("</div>")[0]
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
    api = client.get(f"/api/v1/lessons/{lesson.id}").json["html"]
    assert "<script" not in api and "onerror" not in api and "javascript:" not in api


def test_lesson_page_has_breadcrumbs_toc_knowledge_points_and_neighbours(client, catalogue, learner):
    lesson = catalogue["M4/binglian-xietong/01-chuanxing-dao-binglian.md"]
    login_as(client, learner)
    page = client.get(f"/lessons/{lesson.id}").text
    crumbs = page.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert "M4 政务流程管理与再造" in crumbs and "并联审批与跨部门协同" in crumbs and lesson.title in crumbs
    assert 'class="toc"' in page and "M4.4" in page and 'rel="next"' in page and 'rel="prev"' not in page
    assert 'id="study-clock"' in page and f"/api/v1/lessons/{lesson.id}/heartbeat" in page


def test_catalogue_filters(client, catalogue, learner):
    login_as(client, learner)
    everything = client.get("/api/v1/courses").json["courses"]
    assert len(everything) >= 9
    m3 = client.get("/api/v1/courses?module=M3").json["courses"]
    assert {c["code"] for c in m3} == {"M3-01", "M3-02"}
    electives = client.get("/api/v1/courses?kind=elective").json["courses"]
    assert electives and all(c["kind"] == "elective" for c in electives)
    technical = client.get("/api/v1/courses?tier=技术人员").json["courses"]
    assert technical and all("技术人员" in c["tiers"] for c in technical)
    page = client.get("/courses?module=M3&kind=elective").text
    assert ">单一窗口与一站式政务服务</a>" in page and ">政府职能转变与行政审批改革</a>" not in page


def test_enrol_in_an_elective(client, catalogue, learner):
    course_id = catalogue["M3/yizhanshi-fuwu/01-danyi-chuangkou.md"].course_id
    login_as(client, learner)
    assert "加入学习" in client.get(f"/courses/{course_id}").text
    client.post(f"/courses/{course_id}/enroll")
    client.post(f"/courses/{course_id}/enroll")
    rows = db.session.scalars(db.select(Enrollment).where(Enrollment.user_id == learner.id)).all()
    assert [(row.course_id, row.source) for row in rows] == [(course_id, "self")]
    assert "自主选学" in client.get(f"/courses/{course_id}").text


def test_chinese_search_finds_substrings_and_highlights(client, catalogue, learner):
    login_as(client, learner)
    page = client.get("/search", query_string={"q": "并联审批"}).text
    assert "从串行审批到并联审批" in page and "<mark>并联审批</mark>" in page
    both = client.get("/search", query_string={"q": "金税 金关"}).text
    assert "<mark>金税</mark>" in both and "<mark>金关</mark>" in both
    assert "找到 0 个课时" in client.get("/search", query_string={"q": "量子计算机"}).text
    hostile = client.get("/search", query_string={"q": "<script>"}).text
    assert "<script>" not in hostile.split("<main")[1]


def test_home_record_and_syllabus_pages(client, catalogue, learner):
    lesson = catalogue["M1/gailun/01-definition-origin.md"]
    client.application.config["STUDY_MIN_BEAT_SECONDS"] = 5
    login_as(client, learner)
    client.post(f"/api/v1/lessons/{lesson.id}/heartbeat", json={})
    home = client.get("/").text
    assert "继续学习" in home and lesson.title in home and "年度学时" in home
    record = client.get("/learning/record").text
    assert "学习档案" in record and "电子政务概论" in record
    syllabus = client.get("/syllabus").text
    assert "培训大纲" in syllabus and "重构" in syllabus and "M9.4" in syllabus
    kp = client.get("/syllabus/M4.4").text
    assert "从串行审批到并联审批" in kp


def test_only_examiners_and_admins_edit_and_preview(client, catalogue, learner, examiner):
    lesson = catalogue["M1/gailun/01-definition-origin.md"]
    login_as(client, learner)
    assert client.get(f"/lessons/{lesson.id}/edit").status_code == 403
    assert client.post("/api/v1/markdown/preview", json={"text": "x"}).status_code == 403
    login_as(client, examiner)
    preview = client.post("/api/v1/markdown/preview", json={"text": "**粗体**<script>x</script>"}).json["html"]
    assert "<strong>粗体</strong>" in preview and "<script" not in preview
    saved = client.post(f"/lessons/{lesson.id}/edit", data={"title": "新标题", "minutes": 25, "body_md": "## 一\n\n正文"})
    assert saved.status_code == 302
    db.session.refresh(lesson)
    assert (lesson.title, lesson.minutes, lesson.edited_in_app, lesson.edited_by_id) == ("新标题", 25, True, examiner.id)


def test_study_hours_settings_are_admin_only_and_apply(client, catalogue, admin, learner, org):
    login_as(client, learner)
    assert client.get("/admin/study-hours").status_code == 403
    login_as(client, admin)
    form = client.get("/admin/study-hours").text
    assert "年度学时目标" in form
    data = {"long_minutes": 30, "long_hours": "1", "short_minutes": 15, "medium_hours": "0.5", "short_hours": "0.25",
            "online_minimum": "50"}
    for index, rank in enumerate(RANK_NAMES):
        data[f"targets-{index}-rank"] = rank
        data[f"targets-{index}-hours"] = "120" if rank == "一级科员" else "90"
    assert client.post("/admin/study-hours", data=data).status_code == 302
    clerk = make_user(org.qc_division, employee_no="K0001", rank="一级科员")
    login_as(client, clerk)
    assert "/ 120" in client.get("/").text


def test_api_shapes(client, catalogue, learner):
    login_as(client, learner)
    syllabus = client.get("/api/v1/syllabus").json["modules"]
    assert [m["code"] for m in syllabus] == [f"M{n}" for n in range(1, 10)]
    assert syllabus[2]["knowledge_points"][1] == {"code": "M3.2", "title": "行政审批制度改革", "competency": "依法行政能力"}
    course = client.get(f"/api/v1/courses/{catalogue['M1/gailun/01-definition-origin.md'].course_id}").json
    assert course["code"] == "M1-01" and len(course["lessons"]) == 5 and course["lessons"][0]["seconds"] == 0
