"""Collection of wrong answers from exam attempts into the wrong-answer book: only released, graded attempts;
every auto-graded item short of full points (blanks too), never short answers or right answers; once per
attempt however often it runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from question_bank.exams.models import GRADED, Attempt, AttemptItem
from question_bank.practice.models import SOURCE_EXAM
from question_bank.practice.services.book import collect_wrong_answers, record_answer
from tests.factories import make_bank, make_exam
from tests.question_bank.practice.conftest import NO_ROWS, book_rows, question_of, sit
from training.core.clock import frozen_clock
from training.extensions import db


def wrong_questions(body: dict, choose) -> set[int]:
    """Question ids of the items ``choose`` answers wrong or leaves blank (the items ``choose`` decides)."""
    from tests.question_bank.exams.conftest import correct_response
    return {question_of(item) for item in body["items"] if choose(item) != correct_response(item)}


@pytest.mark.parametrize("kind", ["mock", "formal", "practice"])
def test_immediately_released_attempt_is_collected(bank, learner, wrong_on_odd, kind):
    exam = make_exam(learner, kind=kind, rows=NO_ROWS, release_policy="immediate")
    body = sit(learner, exam, wrong_on_odd)
    expected = wrong_questions(body, wrong_on_odd)
    assert 0 < len(expected) < len(body["items"])  # some right, some wrong, one blank

    assert collect_wrong_answers(learner.id) == 1

    rows = book_rows(learner)
    assert set(rows) == expected
    assert all(row.times_wrong == 1 and row.streak == 0 and row.mastered_at is None and row.source == SOURCE_EXAM
               for row in rows.values())
    fill_item = next(item for item in body["items"] if item["type"] == "fill_blank")
    assert question_of(fill_item) in rows  # left blank: wrong
    attempt = db.session.get(Attempt, body["id"])
    assert attempt.book_collected_at is not None
    versions = {item.question_id: item.question_version_id for item in db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == body["id"]))}
    assert all(row.question_version_id == versions[qid] for qid, row in rows.items())


def test_all_right_attempt_adds_nothing(bank, learner):
    from tests.question_bank.exams.conftest import correct_response
    exam = make_exam(learner, kind="mock", rows=NO_ROWS)
    sit(learner, exam, correct_response)
    assert collect_wrong_answers(learner.id) == 1
    assert book_rows(learner) == {}


def test_after_close_release_waits_for_close_and_grace(bank, learner, wrong_on_odd, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, kind="formal", rows=NO_ROWS, release_policy="after_close",
                         closes_at=t0 + timedelta(hours=1))
        body = sit(learner, exam, wrong_on_odd)
    with frozen_clock(t0 + timedelta(minutes=10)):
        assert collect_wrong_answers(learner.id) == 0
    with frozen_clock(exam.closes_at + timedelta(seconds=59)):  # the grace after the close: keys still hidden
        assert collect_wrong_answers(learner.id) == 0
    assert book_rows(learner) == {}
    assert db.session.get(Attempt, body["id"]).book_collected_at is None

    with frozen_clock(exam.closes_at + timedelta(seconds=60)):
        assert collect_wrong_answers(learner.id) == 1
    assert set(book_rows(learner)) == wrong_questions(body, wrong_on_odd)


def test_manual_release_waits_for_the_organiser(bank, learner, wrong_on_odd):
    exam = make_exam(learner, kind="formal", rows=NO_ROWS, release_policy="manual")
    body = sit(learner, exam, wrong_on_odd)
    assert collect_wrong_answers(learner.id) == 0
    assert book_rows(learner) == {}

    exam.released_at = exam.closes_at  # what the organiser's "公布成绩" sets
    db.session.commit()
    assert collect_wrong_answers(learner.id) == 1
    assert set(book_rows(learner)) == wrong_questions(body, wrong_on_odd)


def test_collection_is_idempotent_and_counts_each_attempt_once(bank, learner):
    from tests.question_bank.exams.conftest import wrong_response
    exam = make_exam(learner, kind="mock", rows=(("", "single", 2, "2"),), paper_mode="fixed", max_attempts=0)
    first = sit(learner, exam, wrong_response)
    assert collect_wrong_answers(learner.id) == 1
    assert collect_wrong_answers(learner.id) == 0
    rows = book_rows(learner)
    assert {row.times_wrong for row in rows.values()} == {1}

    second = sit(learner, exam, wrong_response)
    assert collect_wrong_answers(learner.id) == 1
    assert collect_wrong_answers(learner.id) == 0
    again = book_rows(learner)
    twice = {question_of(item) for item in first["items"]} & {question_of(item) for item in second["items"]}
    assert len(twice) == 2  # a fixed paper: the same two questions both times
    assert all(again[qid].times_wrong == 2 for qid in twice)


def test_wrong_again_after_mastery_puts_a_question_back(bank, learner):
    from tests.question_bank.exams.conftest import wrong_response
    exam = make_exam(learner, kind="mock", rows=(("", "true_false", 1, "1"),), paper_mode="fixed", max_attempts=0)
    body = sit(learner, exam, wrong_response)
    collect_wrong_answers(learner.id)
    qid = question_of(body["items"][0])
    row = book_rows(learner)[qid]
    for _n in range(2):
        record_answer(learner.id, qid, row.question_version_id, True, "book")
    db.session.commit()
    assert book_rows(learner)[qid].mastered_at is not None

    sit(learner, exam, wrong_response)
    collect_wrong_answers(learner.id)
    row = book_rows(learner)[qid]
    assert row.mastered_at is None and row.streak == 0 and row.times_wrong == 2


def test_short_answers_are_left_out(app_ctx, org, learner):
    make_bank(3, types=("single", "short_answer"))
    exam = make_exam(learner, kind="formal", rows=(("", "single", 1, "2"), ("", "short_answer", 1, "10")))
    from tests.question_bank.exams.conftest import wrong_response
    body = sit(learner, exam, wrong_response)
    attempt = db.session.get(Attempt, body["id"])
    assert attempt.status != GRADED  # a short answer waits for a person
    assert collect_wrong_answers(learner.id) == 0

    # a grader gives the short answer 0 points and the attempt is graded
    for item in attempt.items:
        if item.score is None:
            item.score = Decimal("0")
    attempt.status = GRADED
    db.session.commit()
    assert collect_wrong_answers(learner.id) == 1
    single = next(item for item in body["items"] if item["type"] == "single")
    assert set(book_rows(learner)) == {question_of(single)}


def test_attempts_in_progress_and_other_peoples_attempts_are_not_collected(bank, org, learner, wrong_on_odd):
    from question_bank.exams.services.attempts import start_or_resume
    from tests.factories import make_user
    other = make_user(org.qc_division, employee_no="L0002", name="赵同事")
    exam = make_exam(org.qc_division, kind="mock", rows=NO_ROWS)
    sit(other, exam, wrong_on_odd)
    start_or_resume(learner.id, exam.id)
    assert collect_wrong_answers(learner.id) == 0
    assert book_rows(learner) == {}
    assert collect_wrong_answers(other.id) == 1
    assert book_rows(other)


def test_two_requests_collecting_at_once_count_each_attempt_once(app, bank, learner, wrong_on_odd):
    """Both requests have read the pending attempt before either claims it (a barrier on the claiming
    UPDATE): only one of them collects it."""
    import threading

    from sqlalchemy import event
    exam = make_exam(learner, kind="mock", rows=NO_ROWS)
    body = sit(learner, exam, wrong_on_odd)
    barrier = threading.Barrier(2, timeout=20)
    results: list[int] = []

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE ATTEMPTS SET BOOK_COLLECTED_AT"):
            barrier.wait()

    def collect():
        with app.app_context():
            results.append(collect_wrong_answers(learner.id))

    event.listen(db.engine, "before_cursor_execute", before_execute)
    try:
        threads = [threading.Thread(target=collect) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
    assert sorted(results) == [0, 1]
    rows = book_rows(learner)
    assert set(rows) == wrong_questions(body, wrong_on_odd)
    assert {row.times_wrong for row in rows.values()} == {1}
