"""A learner works through the wrong-answer book in a real browser: a question answered wrong in a mock exam
(released at once) is in the book on the home page and the book page; practising it, two right answers in a
row take it out of the book, which the page and the database both show."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from question_bank.practice.models import MASTERY_STREAK, PracticeAnswer, WrongAnswer
from tests.factories import BANK_SHAPES, make_bank, make_exam, make_user
from tests.question_bank.practice.conftest import question_of, sit, wrong_response
from training.extensions import db

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

PASSWORD = "book-browser-password"
KEY = BANK_SHAPES["single"][1]


@pytest.fixture
def book_setup(app_ctx, org):
    """A learner who answered the one single-choice question of a mock exam wrong (through the services)."""
    make_bank(3, types=("single",))
    learner = make_user(org.qc_division, employee_no="X0002", name="周学员", password=PASSWORD)
    exam = make_exam(learner, kind="mock", rows=(("", "single", 1, "2"),), release_policy="immediate")
    body = sit(learner, exam, wrong_response)
    return learner, question_of(body["items"][0])


def log_in(page, base):
    page.goto(f"{base}/login")
    page.get_by_label("账号（工号）").fill("X0002")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def answer_right(page):
    page.locator(f"input[name='answer'][value='{KEY}']").check()
    page.get_by_role("button", name="提交答案").click()
    expect(page.locator("[data-verdict]")).to_have_text("回答正确")


def test_practising_the_book_until_a_question_leaves_it(page, live_server, book_setup, browser_errors):
    learner, question_id = book_setup
    log_in(page, live_server)

    card = page.locator("[data-wrong-book]")  # collected lazily when the home page is shown
    expect(card.locator("[data-book-total]")).to_have_text("1")
    expect(card.locator("[data-module='M1']")).to_contain_text("1 题")
    card.get_by_role("link", name="查看错题本").click()

    expect(page.locator("[data-book-total]")).to_have_text("1")
    expect(page.locator("[data-book-mastered]")).to_have_text("0")
    expect(page.locator(f"tr[data-question='{question_id}']")).to_contain_text("再答对 2 次即可移出")
    page.get_by_role("link", name="练习错题").first.click()

    expect(page.locator("[data-book-entry]")).to_contain_text("再答对 2 次即可移出错题本")
    answer_right(page)
    expect(page.locator("[data-book-status]")).to_contain_text("再答对 1 次即可移出")
    db.session.expire_all()
    assert db.session.get(WrongAnswer, (learner.id, question_id)).streak == 1

    page.get_by_role("link", name="下一题").click()
    expect(page.locator("[data-book-entry]")).to_contain_text("再答对 1 次即可移出错题本")
    answer_right(page)
    expect(page.locator("[data-book-status]")).to_contain_text("已移出错题本")

    page.get_by_role("link", name="返回错题本").click()
    expect(page.locator("[data-book-total]")).to_have_text("0")
    expect(page.locator("[data-book-mastered]")).to_have_text("1")
    expect(page.locator(f"tr[data-question='{question_id}']")).to_have_count(0)
    expect(page.locator("[data-book-empty]")).to_be_visible()

    db.session.expire_all()
    row = db.session.get(WrongAnswer, (learner.id, question_id))
    assert row.mastered_at is not None and row.streak == MASTERY_STREAK and row.times_wrong == 1
    answers = db.session.execute(select(PracticeAnswer.source, PracticeAnswer.correct)
                                 .where(PracticeAnswer.user_id == learner.id)).all()
    assert [tuple(answer) for answer in answers] == [("book", True), ("book", True)]

    page.goto(f"{live_server}/")
    expect(page.locator("[data-wrong-book]")).to_contain_text("错题本里没有待巩固的题目")
    assert browser_errors == []
