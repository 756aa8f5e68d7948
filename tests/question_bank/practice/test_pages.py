"""The learner's pages: practice by module and knowledge point (only approved, automatically graded questions
of the scope), feedback with key and explanation only after answering, the book page with counts per module,
the home page card, and nobody reaching another learner's book or a key they were not offered."""

from __future__ import annotations

import re

import pytest

from question_bank.models import APPROVED, DRAFT, RETIRED
from question_bank.practice.models import SOURCE_PRACTICE, PracticeAnswer
from question_bank.practice.services.book import open_counts, record_answer
from tests.conftest import login_as
from tests.factories import make_bank, make_exam, make_user
from tests.question_bank.practice.conftest import add_approved, book_rows, open_ids, sit, wrong_response
from training.extensions import db

SECRET = "解析秘密壬癸"


def hidden(html: str, name: str) -> int:
    return int(re.search(rf'name="{name}" type="hidden" value="(\d+)"', html).group(1))


def single(stem: str, kp: str | None = "M1.1", status: str = APPROVED):
    question = add_approved("single", stem, "B", options=["选项一", "选项二", "选项三"], explanation=SECRET,
                            knowledge_point=kp)
    question.status = status
    db.session.commit()
    return question


def practise(client, url: str, right: bool = True, form_action: str = "/practice/question"):
    """Open a practice page, answer the question shown; returns (question id, feedback page html)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    qid, vid = hidden(page.text, "question_id"), hidden(page.text, "version_id")
    response = client.post(form_action, data={"question_id": qid, "version_id": vid, "answer": "B" if right else "A"})
    assert response.status_code == 302
    return qid, client.get(response.headers["Location"]).text


@pytest.fixture
def scoped_bank(app_ctx, org):
    """M1.1: three approved singles, a draft, a retired one and an approved short answer; M1.2: one approved
    single; M2.1: one approved single."""
    m11 = [single(f"模块一知识点一第{n}题") for n in (1, 2, 3)]
    single("草稿题", status=DRAFT)
    single("停用题", status=RETIRED)
    add_approved("short_answer", "简答：谈谈数据共享。", "参考答案")
    m12 = single("知识点二的题", kp="M1.2")
    m2 = single("模块二的题", kp="M2.1")
    return {"m11": {q.id for q in m11}, "m12": {m12.id}, "m2": {m2.id}}


def test_practice_by_module_offers_only_its_approved_objective_questions(client, learner, scoped_bank):
    login_as(client, learner)
    expected = scoped_bank["m11"] | scoped_bank["m12"]
    seen = [practise(client, "/practice/question?module=M1")[0] for _n in range(2 * len(expected))]
    assert set(seen) == expected
    assert set(seen[:len(expected)]) == expected  # not answered recently first: each once before any repeat


def test_practice_by_knowledge_point_and_type(client, learner, scoped_bank):
    login_as(client, learner)
    assert {practise(client, "/practice/question?kp=M1.2")[0] for _n in range(3)} == scoped_bank["m12"]
    assert {practise(client, "/practice/question?kp=M1.1&type=single")[0] for _n in range(6)} == scoped_bank["m11"]
    assert "暂时没有可练习的题目" in client.get("/practice/question?kp=M1.1&type=true_false").text
    assert client.get("/practice/question?module=M9").status_code == 404
    assert client.get("/practice/question?type=short_answer").status_code == 404


def test_key_and_explanation_only_after_answering(client, learner, scoped_bank):
    login_as(client, learner)
    page = client.get("/practice/question?kp=M1.2").text
    assert SECRET not in page and "参考答案" not in page and "is-key" not in page
    qid, feedback = practise(client, "/practice/question?kp=M1.2", right=False)
    assert "回答错误" in feedback and SECRET in feedback and "参考答案" in feedback
    assert re.search(r'data-key>B<', feedback) and re.search(r'data-response>A<', feedback)
    assert "已收入错题本" in feedback
    assert qid in open_ids(learner)
    _qid, feedback = practise(client, "/practice/question?kp=M1.2", right=True)
    assert "回答正确" in feedback and "再答对 1 次即可移出" in feedback


def test_answers_to_questions_not_offered_reveal_nothing(client, org, learner, scoped_bank):
    draft = single("另一道草稿题", status=DRAFT)
    other = make_user(org.qc_division, employee_no="L0002", name="赵同事")
    theirs = single("别人的错题")
    record_answer(other.id, theirs.id, theirs.versions[-1].id, False, SOURCE_PRACTICE)
    db.session.commit()
    login_as(client, learner)
    for action, question in (("/practice/question", draft), ("/practice/book/question", theirs)):
        response = client.post(action, data={"question_id": question.id, "version_id": question.versions[-1].id,
                                             "answer": "B"})
        assert response.status_code == 404
        assert SECRET not in response.text
    # a version of another question than the one named
    response = client.post("/practice/question", data={"question_id": theirs.id,
                                                       "version_id": draft.versions[-1].id, "answer": "B"})
    assert response.status_code == 404
    assert book_rows(learner) == {}


def test_another_learners_book_and_answers_are_out_of_reach(app, client, org, learner, scoped_bank):
    other = make_user(org.qc_division, employee_no="L0002", name="赵同事")
    login_as(client, other)
    _qid, their_feedback = practise(client, "/practice/question?module=M2", right=False)
    assert SECRET in their_feedback
    their_answer = db.session.scalar(db.select(PracticeAnswer.id).where(PracticeAnswer.user_id == other.id))

    mine = app.test_client()
    login_as(mine, learner)
    assert mine.get(f"/practice/answers/{their_answer}").status_code == 404
    book = mine.get("/practice/book").text
    assert "模块二的题" not in book and 'data-book-total>0<' in book
    assert "暂时没有需要巩固的题目" in mine.get("/practice/book/question").text


def test_book_page_counts_per_module_and_filters(client, learner, scoped_bank):
    for qid in list(scoped_bank["m11"])[:2] + list(scoped_bank["m2"]):
        record_answer(learner.id, qid, _version(qid), False, SOURCE_PRACTICE)
    db.session.commit()
    assert [(m.code, m.count) for m in open_counts(learner.id)] == [("M1", 2), ("M2", 1)]
    login_as(client, learner)
    page = client.get("/practice/book").text
    assert re.search(r'data-module="M1">.*?<td class="num">2</td>', page, re.S)
    assert re.search(r'data-module="M2">.*?<td class="num">1</td>', page, re.S)
    assert "data-book-total>3<" in page and "再答对 2 次即可移出" in page
    filtered = client.get("/practice/book?module=M2").text
    assert "模块二的题" in filtered and "模块一知识点一" not in filtered
    assert "共 1 题" in filtered


def _version(question_id: int) -> int:
    from question_bank.models import Question
    return db.session.get(Question, question_id).versions[-1].id


def test_book_practice_until_mastered(client, learner, scoped_bank):
    qid = next(iter(scoped_bank["m2"]))
    record_answer(learner.id, qid, _version(qid), False, SOURCE_PRACTICE)
    db.session.commit()
    login_as(client, learner)
    page = client.get("/practice/book/question").text
    assert "模块二的题" in page and SECRET not in page
    _qid, first = practise(client, "/practice/book/question", form_action="/practice/book/question")
    assert "再答对 1 次即可移出" in first
    _qid, second = practise(client, "/practice/book/question", form_action="/practice/book/question")
    assert "已移出错题本" in second
    assert open_ids(learner) == set()
    book = client.get("/practice/book").text
    assert "data-book-total>0<" in book and "data-book-mastered>1<" in book


def test_home_page_card_collects_and_counts(client, org, learner):
    make_bank(3)
    exam = make_exam(learner, kind="mock", rows=(("", "single", 2, "2"), ("", "true_false", 1, "1")))
    sit(learner, exam, wrong_response)
    login_as(client, learner)
    page = client.get("/").text
    card = re.search(r"<section[^>]*data-wrong-book>.*?</section>", page, re.S).group(0)
    assert "data-book-total>3<" in card
    assert re.search(r'data-module="M1">.*?3 题', card, re.S)
    assert len(open_ids(learner)) == 3  # collected lazily by the home page


def test_home_page_card_when_the_book_is_empty(client, learner):
    login_as(client, learner)
    page = client.get("/").text
    assert "错题本里没有待巩固的题目" in page


def test_practice_page_lists_modules_totals_and_mock_exams(client, learner, scoped_bank):
    login_as(client, learner)
    practise(client, "/practice/question?module=M2", right=True)
    practise(client, "/practice/question?module=M2", right=False)
    page = client.get("/practice").text
    assert "data-answered>2<" in page and "data-accuracy>50%<" in page
    assert re.search(r"M1 模块M1</th><td class=\"num\">4</td>", page)  # 3 + 1: no draft, retired or short answer
    assert "/exams" in page and "简答题需要阅卷人评阅" in page


def test_answers_need_the_csrf_token(raw_client, learner, scoped_bank):
    login_as(raw_client, learner)
    qid = next(iter(scoped_bank["m2"]))
    response = raw_client.post("/practice/question", data={"question_id": qid, "version_id": _version(qid),
                                                           "answer": "B"})
    assert response.status_code == 400
    assert book_rows(learner) == {}


def test_each_type_is_answered_with_a_plain_form(client, learner):
    blank = add_approved("fill_blank", "全省统一平台称为____，简称____。", [["一网通办"], ["通办"]], knowledge_point="M1.1")
    judge = add_approved("true_false", "政务服务应当便民。", True, knowledge_point="M1.2")
    multiple = add_approved("multiple", "哪些属于一网通办？", "AC", options=["统一受理", "纸质盖章", "数据共享"],
                            knowledge_point="M2.1")
    login_as(client, learner)
    page = client.get("/practice/question?kp=M1.1").text
    assert hidden(page, "question_id") == blank.id
    assert len(re.findall(r'<input id="blank-\d" type="text" name="answer"', page)) == 2
    page = client.get("/practice/question?kp=M1.2").text
    assert 'type="radio" name="answer" value="true"' in page and 'value="false"' in page
    page = client.get("/practice/question?kp=M2.1").text
    assert page.count('type="checkbox" name="answer"') == 3

    response = client.post("/practice/question", data={"question_id": blank.id, "version_id": blank.versions[-1].id,
                                                       "answer": ["一网通办", "通办"], "kp": "M1.1"})
    feedback = client.get(response.headers["Location"]).text
    assert "回答正确" in feedback and "一网通办｜通办" in feedback
    assert 'href="/practice/question?kp=M1.1"' in feedback  # 下一题 keeps the scope
    response = client.post("/practice/question", data={"question_id": judge.id, "version_id": judge.versions[-1].id,
                                                       "answer": "false"})
    assert "回答错误" in client.get(response.headers["Location"]).text
    response = client.post("/practice/question", data={"question_id": multiple.id,
                                                       "version_id": multiple.versions[-1].id, "answer": ["A", "C"]})
    assert "回答正确" in client.get(response.headers["Location"]).text


def test_home_card_figures_take_two_queries(app_ctx, learner, scoped_bank):
    from sqlalchemy import event

    from question_bank.practice.services.book import book_summary
    for qid in scoped_bank["m11"] | scoped_bank["m2"]:
        record_answer(learner.id, qid, _version(qid), False, SOURCE_PRACTICE)
    db.session.commit()
    user_id = learner.id
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        summary = book_summary(user_id, with_mastered=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [(m.code, m.count) for m in summary.modules] == [("M1", 3), ("M2", 1)] and summary.total == 4
    assert len(statements) == 2, statements  # nothing to collect: one read for it, one grouped count
