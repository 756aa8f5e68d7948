"""Demo past exams (issue 6): simulated attempts that the system's own scoring would produce, realistic
statistics, short answers waiting for the examiner, wrong-answer books, and a second load that adds nothing."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from courseware.services.sync import sync_courseware
from question_bank.exams.demo import load_demo_exams
from question_bank.exams.demo_history import PAST_EXAMS, load_demo_history
from question_bank.exams.demo_simulation import VersionInfo, ability, is_flawed
from question_bank.exams.models import GRADED, RELEASE_MANUAL, SUBMITTED, Attempt, AttemptItem, Blueprint, Exam
from question_bank.exams.services.attempts import start_or_resume
from question_bank.models import QuestionVersion
from question_bank.practice.models import WrongAnswer
from question_bank.shipped import load_shipped_questions
from question_bank.types import get_question_type
from tests.conftest import empty_tables
from training.core.clock import utcnow
from training.extensions import db
from training.org.demo import load_demo_organisation
from training.org.models import Department, User

ANNUAL, SECURITY, MOCK = (spec.title for spec in PAST_EXAMS)


@pytest.fixture(autouse=True)
def _clean_database():
    """The demo is loaded once for the whole module (``loaded_demo``), which empties the tables at its end:
    this replaces the per-test cleaning of ``tests/conftest.py`` here. The tests only read, except the last
    one, which starts two attempts in the open exams."""
    yield


@pytest.fixture(scope="module")
def loaded_demo(app):
    with app.app_context():
        load_demo_organisation()
        db.session.commit()
        sync_courseware()
        load_shipped_questions()
        load_demo_exams()
        db.session.remove()
    yield
    empty_tables(app)


@pytest.fixture
def demo(loaded_demo, app_ctx):
    return {exam.title: exam for exam in db.session.scalars(select(Exam))}


def _user(employee_no: str) -> User:
    return db.session.scalar(select(User).where(User.employee_no == employee_no))


def _attempts(exam: Exam, status: str | None = None) -> list[Attempt]:
    query = select(Attempt).where(Attempt.exam_id == exam.id).order_by(Attempt.id)
    if status is not None:
        query = query.where(Attempt.status == status)
    return list(db.session.scalars(query.options(selectinload(Attempt.items))))


def _counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Exam, Attempt, AttemptItem, WrongAnswer))


def _graded_totals(exam: Exam):
    """Per graded attempt: its own fields beside the sums over its items (one grouped query)."""
    return db.session.execute(
        select(Attempt.score, Attempt.max_score, Attempt.passed, Attempt.started_at, Attempt.submitted_at,
               Attempt.graded_at, func.sum(AttemptItem.score), func.sum(AttemptItem.points),
               func.count(AttemptItem.id) - func.count(AttemptItem.score), func.min(AttemptItem.saved_at),
               func.max(AttemptItem.saved_at))
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .where(Attempt.exam_id == exam.id, Attempt.status == GRADED).group_by(Attempt.id)).all()


def test_past_exams_are_scored_as_the_system_would_and_look_real(demo):
    annual, security, mock = demo[ANNUAL], demo[SECURITY], demo[MOCK]
    sizes = dict(db.session.execute(select(Attempt.exam_id, func.count()).group_by(Attempt.exam_id)).all())
    assert sizes[annual.id] == 250 and sizes[security.id] == 120 and sizes[mock.id] >= 60
    assert security.release_policy == RELEASE_MANUAL and security.released_at is None
    for exam in (annual, security, mock):
        assert exam.closes_at < utcnow()
        rows = _graded_totals(exam)
        for score, maximum, passed, started, submitted, graded_at, total, points, ungraded, first, last in rows:
            assert ungraded == 0 and Decimal(score) == Decimal(total) and Decimal(maximum) == Decimal(points)
            assert passed == (score >= exam.pass_score) and graded_at >= submitted
            assert exam.opens_at <= started < submitted <= exam.closes_at
            assert exam.duration_minutes / 3 - 1 <= (submitted - started).total_seconds() / 60 <= exam.duration_minutes
            assert started <= first <= last <= submitted
        facility = db.session.scalar(
            select(func.avg(AttemptItem.score / AttemptItem.points)).join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.exam_id == exam.id, Attempt.status == GRADED))
        pass_rate = sum(row.passed for row in rows) / len(rows)
        assert 0.4 <= facility <= 0.85 and 0.3 <= pass_rate <= 0.95, (exam.title, facility, pass_rate)
        assert statistics.pstdev(float(row.score) for row in rows) > 8


def test_item_scores_equal_the_real_scorer(demo):
    rows = db.session.execute(
        select(AttemptItem.response, AttemptItem.score, AttemptItem.points, QuestionVersion.type,
               QuestionVersion.key, Exam.scoring_policy)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).join(Exam, Exam.id == Attempt.exam_id)
        .where(Exam.title.in_((ANNUAL, SECURITY, MOCK)), Attempt.id % 7 == 0)).all()
    checked = 0
    for response, score, points, kind, key, policy in rows:
        expected = get_question_type(kind).score(key, response, points, policy)
        if response is None:
            assert score == 0
        elif expected is not None:
            assert score == expected, (kind, response, key)
            checked += 1
    assert checked > 1500


def test_scores_follow_simulated_ability(demo):
    rows = db.session.execute(
        select(User.employee_no, User.rank, Department.code, Attempt.score)
        .join(Attempt, Attempt.user_id == User.id).join(Department, Department.id == User.department_id)
        .where(Attempt.exam_id == demo[ANNUAL].id, User.employee_no.not_in(("learner", "hr", "leader")))).all()
    thetas = [ability(number, code, rank) for number, rank, code, _score in rows]
    assert statistics.correlation(thetas, [float(score) for *_rest, score in rows]) > 0.4
    cities = {code.split("-")[0] for *_rest, code, _score in rows}
    assert {"DJ", "QC", "YL", "HN"} <= cities  # the province and all three cities sat it
    versions = db.session.scalars(select(QuestionVersion)).all()
    flawed = {v.id for v in versions if is_flawed(VersionInfo(
        v.id, v.question_id, v.type, v.key, v.options, [], v.difficulty, v.content_hash, ""))}
    assert 0 < len(flawed) < 0.08 * len(versions)  # a few flawed items for item analysis to flag
    assert flawed & {item.question_version_id for item in demo[SECURITY].paper}


def test_short_answers_wait_for_the_examiner_and_graded_ones_carry_comments(demo):
    security, examiner = demo[SECURITY], _user("examiner")
    waiting = _attempts(security, SUBMITTED)
    assert 20 <= len(waiting) <= 40
    for attempt in waiting:
        pending = [item for item in attempt.items if item.score is None]
        assert pending and all(item.version.type == "short_answer" for item in pending)
        assert attempt.passed is None and attempt.graded_at is None
    for exam in (security, demo[ANNUAL]):
        manual = db.session.execute(
            select(AttemptItem.score, AttemptItem.points, AttemptItem.graded_by_id, AttemptItem.graded_at,
                   AttemptItem.feedback, AttemptItem.response)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(Attempt.exam_id == exam.id, Attempt.status == GRADED,
                   QuestionVersion.type == "short_answer")).all()
        answered = [row for row in manual if row.response is not None]
        assert answered and all(row.graded_by_id == examiner.id and row.feedback and row.graded_at > exam.closes_at
                                and 0 <= row.score <= row.points for row in answered)
        assert len({row.score for row in answered}) > 4


def test_learner_sat_the_formal_exams_and_has_a_wrong_answer_book(demo):
    learner = _user("learner")
    annual = db.session.scalar(select(Attempt).where(Attempt.exam_id == demo[ANNUAL].id,
                                                     Attempt.user_id == learner.id))
    security = db.session.scalar(select(Attempt).where(Attempt.exam_id == demo[SECURITY].id,
                                                       Attempt.user_id == learner.id))
    assert annual.status == GRADED and security is not None
    right = sum(item.score == item.points for item in annual.items)
    assert 0.3 * len(annual.items) < right < len(annual.items)
    assert len(_attempts_of(learner, demo[MOCK])) == 2
    book = db.session.scalar(select(func.count()).select_from(WrongAnswer).where(WrongAnswer.user_id == learner.id))
    assert book > 0
    assert security.book_collected_at is None  # results of the manual-release exam are not out yet
    assert annual.book_collected_at is not None


def _attempts_of(user: User, exam: Exam) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id)))


def test_loading_again_adds_nothing_and_the_open_exams_still_start(demo):
    before = _counts()
    assert load_demo_exams() == 0
    assert load_demo_history(db.session.scalar(select(Blueprint).where(Blueprint.name == "九个模块·模拟卷"))) == {
        "exams": 0, "attempts": 0, "pending": 0}
    assert _counts() == before
    learner = _user("learner")
    for title in ("2026 年度电子政务应用能力考试", "电子政务基础知识模拟考试"):
        started = start_or_resume(learner.id, demo[title].id)
        assert started["status"] == "in_progress" and started["items"]
