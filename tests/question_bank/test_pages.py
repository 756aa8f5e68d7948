"""The examiners' bank pages: access, editor with duplicate warnings, review, bulk actions, import, and no
script from a question ever reaching a page."""

from __future__ import annotations

import io

import pytest

from courseware.services.sync import sync_courseware
from question_bank.formats.excel import write_excel
from question_bank.models import Question
from question_bank.services.authoring import QuestionDraft, create_question, submit_for_review
from tests.conftest import login_as
from tests.factories import make_user
from training.extensions import db

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> [链接](javascript:alert(3))'


@pytest.fixture
def bank(app_ctx, org, examiner):
    sync_courseware()
    question = create_question(examiner, QuestionDraft(
        type="single", stem_md="金税工程启动于哪一年？" + HOSTILE, options=["1993" + HOSTILE, "1994"], key="B",
        explanation_md="1994 年。" + HOSTILE, difficulty=2, knowledge_point="M2.2"))
    submit_for_review(examiner, question)
    return question


@pytest.fixture
def reviewer(org):
    return make_user(org.province, employee_no="R0001", name="郑审题", roles=[("reviewer", None)])


def form_data(**changes):
    data = {"type": "single", "stem_md": "《政府信息公开条例》自何时起施行？", "option_a": "2007年4月5日",
            "option_b": "2008年5月1日", "key_text": "B", "explanation_md": "2008年5月1日起施行。", "difficulty": 2,
            "knowledge_point": "M5.1", "competency": "", "points": "2"}
    data.update(changes)
    return data


@pytest.mark.parametrize("url", ["/bank", "/bank/review", "/bank/new", "/bank/import", "/bank/export?fmt=excel",
                                 "/bank/template.xlsx", "/bank/{id}", "/bank/{id}/edit"])
def test_learners_cannot_reach_the_bank(client, bank, learner, url):
    login_as(client, learner)
    assert client.get(url.format(id=bank.id)).status_code == 403
    assert client.get("/api/v1/questions").status_code == 403


def test_no_script_reaches_any_page(client, bank, examiner, reviewer):
    pages = []
    login_as(client, examiner)
    pages += [client.get(url).text for url in ("/bank", f"/bank/{bank.id}", f"/bank/{bank.id}/edit")]
    login_as(client, reviewer)
    pages += [client.get(url).text for url in ("/bank/review", f"/bank/{bank.id}")]
    for page in pages:
        main = page.split("<main")[1].split("</main>")[0]
        assert "<script>alert" not in main and "<img src=x onerror" not in main and 'href="javascript:' not in main
        assert "&lt;script&gt;" not in main or "<textarea" in main  # shown only as text, in the editor


def test_reviewer_approves_but_never_their_own(client, bank, examiner, reviewer, org):
    login_as(client, reviewer)
    assert client.post(f"/bank/{bank.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, bank.id).status == "approved"
    both = make_user(org.province, employee_no="X0001", roles=[("examiner", None), ("reviewer", None)])
    own = create_question(both, QuestionDraft(type="true_false", stem_md="电子政务重在政务。", key=True,
                                              knowledge_point="M1.3"))
    submit_for_review(both, own)
    login_as(client, both)
    page = client.get(f"/bank/{own.id}").text
    assert "审核通过" not in page
    client.post(f"/bank/{own.id}/approve")
    db.session.expire_all()
    assert db.session.get(Question, own.id).status == "in_review"


def test_editor_creates_versions_and_warns_about_duplicates(client, bank, examiner):
    login_as(client, examiner)
    created = client.post("/bank/new", data=form_data())
    assert created.status_code == 302
    question = db.session.scalar(db.select(Question).where(Question.stem_text.contains("政府信息公开条例")))
    duplicate = client.post("/bank/new", data=form_data(stem_md="《政府信息公开条例》自何时起施行？（单选）"))
    assert duplicate.status_code == 200 and "发现相似试题" in duplicate.text and question.code in duplicate.text
    confirmed = client.post("/bank/new", data=form_data(stem_md="《政府信息公开条例》自何时起施行？（单选）",
                                                        confirm_duplicate="y"))
    assert confirmed.status_code == 302
    client.post(f"/bank/{question.id}/edit", data=form_data(difficulty=4, confirm_duplicate="y"))
    detail = client.get(f"/bank/{question.id}").text
    assert "第 2 版" in detail and "- 难度：2" in detail and "+ 难度：4" in detail


def test_editor_reports_invalid_definitions(client, bank, examiner):
    login_as(client, examiner)
    page = client.post("/bank/new", data=form_data(key_text="Z"))
    assert page.status_code == 200 and "答案应为选项字母" in page.text


def test_bulk_submit_and_retire(client, bank, examiner):
    login_as(client, examiner)
    ids = [create_question(examiner, QuestionDraft(type="true_false", stem_md=f"判断题{n}号", key=True,
                                                   knowledge_point="M1.1")).id for n in range(3)]
    client.post("/bank/bulk", data={"action": "submit", "ids": ids})
    assert set(db.session.scalars(db.select(Question.status).where(Question.id.in_(ids)))) == {"in_review"}
    client.post("/bank/bulk", data={"action": "retire", "ids": ids[:2]})
    db.session.expire_all()
    assert [db.session.get(Question, i).status for i in ids] == ["retired", "retired", "in_review"]


def test_import_page_previews_then_commits(client, bank, examiner):
    login_as(client, examiner)
    rows = [{"题型": "判断", "题干": "《行政许可法》于2004年7月1日起施行。", "答案": "正确", "知识点": "M3.3"},
            {"题型": "单选", "题干": "坏题", "选项A": "甲", "选项B": "乙", "答案": "Q"}]
    bad = client.post("/bank/import", data={"file": (io.BytesIO(write_excel(rows)), "q.xlsx"), "format": "",
                                            "knowledge_point": ""}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "第 3 行" in bad.text and "确认导入" not in bad.text
    good = client.post("/bank/import", data={"file": (io.BytesIO(write_excel(rows[:1])), "q.xlsx"), "format": "",
                                             "knowledge_point": ""}, content_type="multipart/form-data")
    assert good.status_code == 200 and "确认导入" in good.text
    token = good.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/bank/import/commit", data={"token": token, "format": "excel"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(Question.id)).where(Question.source == "excel")) == 1


def test_review_api_refuses_ones_own_question(client, bank, org, reviewer):
    both = make_user(org.province, employee_no="X0002", roles=[("examiner", None), ("reviewer", None)])
    own = create_question(both, QuestionDraft(type="true_false", stem_md="电子政务重在政务，不在电子。", key=True,
                                              knowledge_point="M1.3"))
    submit_for_review(both, own)
    login_as(client, both)
    refused = client.post(f"/api/v1/questions/{own.id}/review", json={"decision": "approve"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    login_as(client, reviewer)
    assert client.post(f"/api/v1/questions/{own.id}/review", json={"decision": "reject"}).status_code == 409
    done = client.post(f"/api/v1/questions/{own.id}/review", json={"decision": "approve"})
    assert done.status_code == 200 and done.json["status"] == "approved"
