"""The mastery rule of the wrong-answer book: a question leaves it after MASTERY_STREAK right answers in a row;
a wrong answer resets the streak; a mastered question answered wrong again comes back. Practice answers are
recorded and put wrong answers into the book."""

from __future__ import annotations

from sqlalchemy import func, select

from question_bank.practice.models import MASTERY_STREAK, SOURCE_BOOK, SOURCE_PRACTICE, PracticeAnswer
from question_bank.practice.services.answering import answer_question
from question_bank.practice.services.book import record_answer
from tests.question_bank.practice.conftest import add_approved, book_rows, open_ids
from training.extensions import db


def single(stem="政务外网与互联网的关系是？"):
    question = add_approved("single", stem, "B", options=["物理隔离", "逻辑隔离", "完全相同"], explanation="逻辑隔离")
    return question.id, question.versions[-1].id


def answer(user, qid, vid, right: bool, source=SOURCE_BOOK):
    return answer_question(user.id, qid, vid, ["B" if right else "A"], source)


def test_mastery_streak_is_two():
    assert MASTERY_STREAK == 2


def test_right_twice_in_a_row_leaves_the_book(app_ctx, learner):
    qid, vid = single()
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    row = book_rows(learner)[qid]
    assert (row.times_wrong, row.streak, row.mastered_at, row.source) == (1, 0, None, SOURCE_PRACTICE)

    answer(learner, qid, vid, True)
    assert qid in open_ids(learner) and book_rows(learner)[qid].streak == 1
    answer(learner, qid, vid, True)
    row = book_rows(learner)[qid]
    assert qid not in open_ids(learner)
    assert row.mastered_at is not None and row.streak == 2 and row.times_wrong == 1


def test_right_wrong_right_stays_in_the_book(app_ctx, learner):
    qid, vid = single()
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    answer(learner, qid, vid, True)
    answer(learner, qid, vid, False)
    answer(learner, qid, vid, True)
    row = book_rows(learner)[qid]
    assert qid in open_ids(learner)
    assert (row.streak, row.times_wrong, row.mastered_at) == (1, 2, None)
    answer(learner, qid, vid, True)
    assert qid not in open_ids(learner)


def test_wrong_after_mastery_comes_back(app_ctx, learner):
    qid, vid = single()
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    for _n in range(MASTERY_STREAK):
        answer(learner, qid, vid, True)
    assert qid not in open_ids(learner)
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    row = book_rows(learner)[qid]
    assert qid in open_ids(learner)
    assert (row.streak, row.times_wrong, row.mastered_at) == (0, 2, None)


def test_right_answers_outside_the_book_add_nothing(app_ctx, learner):
    qid, vid = single()
    answer(learner, qid, vid, True, SOURCE_PRACTICE)
    answer(learner, qid, vid, True, SOURCE_PRACTICE)
    assert book_rows(learner) == {}
    assert db.session.scalar(select(func.count()).select_from(PracticeAnswer)) == 2


def test_every_answer_is_recorded_with_its_result(app_ctx, learner):
    qid, vid = single()
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    answer(learner, qid, vid, True)
    rows = db.session.execute(select(PracticeAnswer.source, PracticeAnswer.correct, PracticeAnswer.response)
                              .order_by(PracticeAnswer.id)).all()
    assert [tuple(row) for row in rows] == [(SOURCE_PRACTICE, False, "A"), (SOURCE_BOOK, True, "B")]


def test_each_learner_has_their_own_book(app_ctx, org, learner):
    from tests.factories import make_user
    other = make_user(org.qc_division, employee_no="L0002", name="赵同事")
    qid, vid = single()
    answer(learner, qid, vid, False, SOURCE_PRACTICE)
    record_answer(other.id, qid, vid, True, SOURCE_PRACTICE)
    db.session.commit()
    assert book_rows(other) == {}
    assert qid in open_ids(learner)


def test_responses_are_scored_by_type(app_ctx, learner):
    multiple = add_approved("multiple", "哪些属于一网通办？", "AC", options=["统一受理", "纸质盖章", "数据共享"])
    blank = add_approved("fill_blank", "全省统一平台称为____，简称____。", [["一网通办"], ["通办"]])
    judge = add_approved("true_false", "政务服务应当便民。", True)
    cases = [(multiple, ["A", "C"], True), (multiple, ["A"], False), (blank, ["一网通办", " 通办 "], True),
             (blank, ["一网通办", ""], False), (judge, ["true"], True), (judge, [], False)]
    for question, values, right in cases:
        answer_question(learner.id, question.id, question.versions[-1].id, values, SOURCE_PRACTICE)
        assert db.session.scalars(select(PracticeAnswer.correct).order_by(PracticeAnswer.id.desc())).first() is right
