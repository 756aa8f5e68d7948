"""Past exams of the demo organisation, with simulated attempts (see ``demo_simulation``), so that results,
grading, the wrong-answer book and item analysis have realistic data from the first ``flask demo load``:

- 「2025 年度电子政务应用能力考试」, closed about nine months ago: a paper drawn per candidate over M1–M9 with
  two short answers, results released after the close, ~250 attempts all graded by the demo examiner;
- 「数据安全与个人信息保护专题考试」, closed two weeks ago: a fixed M7 paper with three short answers, results
  released by hand (not yet), ~120 attempts of which 30 still wait for the examiner;
- 「电子政务基础知识模拟考试（第一期）」, a past mock the ``learner`` account sat twice.

Deterministic (seeded) and idempotent (an exam whose title exists is skipped); dates are relative to the load.
Attempts and items are written with Core multi-row INSERTs, objective items are scored by ``grade_attempt``
(the real scorers and the exam's policy) and short answers by the demo examiner, as the grading queue would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from courseware.models import SyllabusModule
from question_bank.exams.demo_simulation import (
    Sitting,
    VersionInfo,
    ability,
    answer_sheet,
    confusions_by_module,
    examiner_grade,
    is_flawed,
)
from question_bank.exams.models import (
    EXAM_PUBLISHED,
    FIXED,
    FORMAL,
    GRADED,
    MOCK,
    RANDOM,
    RELEASE_AFTER_CLOSE,
    RELEASE_IMMEDIATE,
    RELEASE_MANUAL,
    SUBMITTED,
    Attempt,
    AttemptItem,
    Blueprint,
    BlueprintRow,
    Exam,
    ExamAudience,
    ExamPaperItem,
)
from question_bank.exams.services.blueprints import parse_rows
from question_bank.exams.services.drawing import DrawnItem, arrange_fixed, draw_paper
from question_bank.exams.services.grading import grade_attempt
from question_bank.models import Question, QuestionVersion
from question_bank.practice.services.book import collect_wrong_answers
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.extensions import db
from training.org.models import Department, User

LEARNER_THETA = 0.35  # the demo learner: a little above average, so their results mix right and wrong answers
BOOK_ACCOUNTS = ("learner", "hr", "leader")  # demo accounts that sit the exams and get a wrong-answer book
ANNUAL_ROWS = [(f"M{n}", "single", 2, "2") for n in range(1, 10)] + [
    ("", "multiple", 8, "3"), ("", "true_false", 10, "1"), ("", "fill_blank", 5, "2"), ("", "short_answer", 2, "10")]
SECURITY_ROWS = [("M7", "single", 12, "2"), ("M5", "single", 3, "2"), ("M7", "multiple", 6, "3"),
                 ("M7", "true_false", 8, "1"), ("M5", "true_false", 2, "1"), ("M7", "fill_blank", 6, "2"),
                 ("M7", "short_answer", 3, "10")]
ANNUAL_INSTRUCTIONS = """本次考试为**年度电子政务应用能力正式考试**，试卷由系统按组卷方案为每位考生随机抽取。

- 考试时长 60 分钟，到时系统自动交卷；
- 简答题由阅卷人评阅，全部评阅完成且考试结束后公布成绩。"""
SECURITY_INSTRUCTIONS = """**数据安全与个人信息保护专题考试**，全体考生作答同一份试卷。

- 考试时长 45 分钟；多选题未选错项时按比例得分；
- 简答题由阅卷人评阅，成绩由考试组织者统一公布。"""
MOCK_INSTRUCTIONS = """**模拟考试**用于熟悉考试流程和题型，成绩不计入年度考核。

可作答 3 次，交卷后立即公布成绩与解析。"""


@dataclass(frozen=True)
class PastExam:
    """What one past exam looks like and who sat it."""

    title: str
    kind: str
    instructions: str
    plan: tuple[str, str, list[tuple[str, str, int, str]]] | None  # None: the mock blueprint passed in
    paper_mode: str
    closed_days_ago: int
    window_days: int
    duration: int
    max_attempts: int
    scoring: str
    release: str
    sitters: int
    pending: int = 0  # attempts whose short answers still wait for the examiner
    resit_share: float = 0.0  # share of candidates who sat (a mock) a second time
    required: tuple[str, ...] = ("learner",)
    seed: int = 0


PAST_EXAMS = (
    PastExam("2025 年度电子政务应用能力考试", FORMAL, ANNUAL_INSTRUCTIONS,
             ("年度正式考试·含简答卷", "单选 18（每个模块 2 道）、多选 8、判断 10、填空 5、简答 2，满分 100 分。",
              ANNUAL_ROWS), RANDOM, 270, 2, 60, 1, "all_or_nothing", RELEASE_AFTER_CLOSE, 250,
             required=BOOK_ACCOUNTS, seed=2025),
    PastExam("数据安全与个人信息保护专题考试", FORMAL, SECURITY_INSTRUCTIONS,
             ("数据安全专题·固定卷", "信息安全与个人隐私：单选 15、多选 6、判断 10、填空 6、简答 3，满分 100 分。",
              SECURITY_ROWS),
             FIXED, 14, 1, 45, 1, "partial", RELEASE_MANUAL, 120, pending=30, required=("learner", "hr"),
             seed=7),
    PastExam("电子政务基础知识模拟考试（第一期）", MOCK, MOCK_INSTRUCTIONS, None, RANDOM, 120, 30, 30, 3, "partial",
             RELEASE_IMMEDIATE, 60, resit_share=0.3, seed=2024),
)


def ensure_blueprint(name: str, description: str, rows: list[tuple[str, str, int, str]]) -> Blueprint:
    """The blueprint called ``name``, created from ``(scope, type, count, points)`` rows when missing."""
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.name == name))
    if blueprint is None:
        parsed, errors = parse_rows([{"scope": scope, "type": kind, "count": str(count), "points": points,
                                      "difficulty_min": "1", "difficulty_max": "5"}
                                     for scope, kind, count, points in rows])
        if errors:
            raise ValueError("; ".join(errors))
        blueprint = Blueprint(name=name, description=description, rows=parsed)
        db.session.add(blueprint)
        db.session.flush()
    return blueprint


def load_demo_history(mock_plan: Blueprint) -> dict[str, int]:
    """Create the past exams that are missing, with their attempts, then collect the demo accounts' wrong
    answers. Returns counts of what was added. Needs the organisation and the shipped questions. Commits."""
    root = db.session.scalar(select(Department).where(Department.parent_id.is_(None)).order_by(Department.id))
    examiner = db.session.scalar(select(User.id).where(User.employee_no == "examiner"))
    counts = {"exams": 0, "attempts": 0, "pending": 0}
    if root is None or examiner is None:
        return counts
    now = utcnow().replace(second=0, microsecond=0)
    candidates = _candidates()
    for spec in PAST_EXAMS:
        if db.session.scalar(select(Exam.id).where(Exam.title == spec.title)) is not None:
            continue
        exam = _create_exam(spec, root.id, examiner, mock_plan, now)
        added, pending = _simulate(exam, spec, candidates, examiner, now)
        counts["exams"] += 1
        counts["attempts"] += added
        counts["pending"] += pending
    db.session.commit()
    if counts["exams"]:
        book_users = db.session.scalars(select(User.id).where(User.employee_no.in_(BOOK_ACCOUNTS))).all()
        for user_id in book_users:
            collect_wrong_answers(user_id)
    return counts


def _candidates() -> list[tuple[int, str, float]]:
    """(user id, employee number, ability) of the officials and the demo accounts who sit exams."""
    rows = db.session.execute(
        select(User.id, User.employee_no, User.rank, Department.code)
        .join(Department, Department.id == User.department_id)
        .where(User.is_active.is_(True)).order_by(User.employee_no)).all()
    return [(user_id, number, LEARNER_THETA if number == "learner" else ability(number, code, rank or ""))
            for user_id, number, rank, code in rows if number.isdigit() or number in BOOK_ACCOUNTS]


def _window(spec: PastExam, now: datetime) -> tuple[datetime, datetime]:
    """09:00–17:00 Beijing time (01:00–09:00 UTC) over ``window_days`` days, closing ``closed_days_ago``."""
    closes = (now - timedelta(days=spec.closed_days_ago)).replace(hour=9, minute=0)
    return closes - timedelta(days=spec.window_days, hours=8), closes


def _create_exam(spec: PastExam, root_id: int, examiner_id: int, mock_plan: Blueprint, now: datetime) -> Exam:
    opens, closes = _window(spec, now)
    plan = ensure_blueprint(*spec.plan) if spec.plan else mock_plan
    exam = Exam(title=spec.title, kind=spec.kind, instructions_md=spec.instructions, department_id=root_id,
                blueprint=plan, paper_mode=spec.paper_mode, opens_at=opens, closes_at=closes,
                duration_minutes=spec.duration, max_attempts=spec.max_attempts, pass_score=Decimal("60"),
                release_policy=spec.release, scoring_policy=spec.scoring, status=EXAM_PUBLISHED,
                created_by_id=examiner_id, created_at=opens - timedelta(days=20),
                audience=[ExamAudience(department_id=root_id)])
    db.session.add(exam)
    db.session.flush()
    if spec.paper_mode == FIXED:
        drawn = _fixed_paper(db.session.connection(), list(plan.rows), spec.seed)
        exam.paper = [ExamPaperItem(position=number, question_version_id=item.version_id, points=item.points)
                      for number, item in enumerate(drawn, start=1)]
        db.session.flush()
    record_audit(examiner_id, "exam.create", "exam", exam.id, title=spec.title, demo=True)
    return exam


def _fixed_paper(connection, rows: list, seed: int) -> list[DrawnItem]:
    """The paper of the first seed from ``seed`` on that holds a flawed question, so that the item analysis of
    the demo has something to flag (the first seed's paper when none does)."""
    papers = []
    for candidate in range(seed, seed + 50):
        papers.append(draw_paper(connection, rows, candidate))
        versions = _versions(connection, {item.version_id for item in papers[-1]})
        if any(is_flawed(version) for version in versions.values()):
            return papers[-1]
    return papers[0]


def _sittings(spec: PastExam, exam: Exam, candidates: list[tuple[int, str, float]]) -> list[Sitting]:
    """Who sat the exam, when, for how long: the required demo accounts and a seeded sample of officials."""
    rng = random.Random(f"sittings:{spec.seed}")
    required = [c for c in candidates if c[1] in spec.required]
    others = [c for c in candidates if c[1] not in spec.required and c[1].isdigit()]
    chosen = required + rng.sample(others, max(0, min(len(others), spec.sitters - len(required))))
    sittings = []
    for user_id, number, theta in chosen:
        resits = bool(spec.resit_share) and (number == "learner" or rng.random() < spec.resit_share)
        day = rng.randrange(spec.window_days + (0 if resits else 1))
        sittings.append(_timed(exam, spec, rng, (user_id, number, theta), 1, day))
        if resits:  # a later day, a little better prepared
            sittings.append(_timed(exam, spec, rng, (user_id, number, theta + 0.25), 2,
                                   rng.randint(day + 1, spec.window_days)))
    return sittings


def _timed(exam: Exam, spec: PastExam, rng: random.Random, who: tuple[int, str, float], attempt: int,
           day: int) -> Sitting:
    """A sitting started during working hours of the window's ``day``, handed in after a third to all of the
    time allowed (at the deadline now and then)."""
    started = exam.opens_at + timedelta(days=day, minutes=rng.uniform(0, 8 * 60 - spec.duration - 1))
    started = started.replace(microsecond=0)
    deadline = started + timedelta(minutes=spec.duration)
    share = min(1.0, max(1 / 3, rng.gauss(0.65, 0.16)))
    submitted = (started + timedelta(seconds=int(share * spec.duration * 60))) if share < 1 else deadline
    return Sitting(*who, attempt, rng.randrange(1 << 31), started, deadline, submitted,
                   "candidate" if share < 1 else "deadline")


def _paper(connection, exam: Exam, sitting: Sitting, rows: list, fixed: list, seen: frozenset[int]) -> list[DrawnItem]:
    if exam.paper_mode == FIXED:
        return arrange_fixed(fixed, sitting.seed, shuffle_questions=exam.shuffle_questions,
                             shuffle_options=exam.shuffle_options)
    return draw_paper(connection, rows, sitting.seed, avoid=seen, shuffle_questions=exam.shuffle_questions,
                      shuffle_options=exam.shuffle_options)


def _papers(connection, exam: Exam, sittings: list[Sitting]) -> list[list[DrawnItem]]:
    """Each sitting's paper, drawn like a real start (a second attempt avoids the first one's questions)."""
    blueprint_rows = BlueprintRow.__table__
    rows = connection.execute(select(blueprint_rows).where(blueprint_rows.c.blueprint_id == exam.blueprint_id)
                              .order_by(blueprint_rows.c.position)).all()
    fixed = [(qid, vid, points, kind, len(options or [])) for qid, vid, points, kind, options in connection.execute(
        select(QuestionVersion.question_id, ExamPaperItem.question_version_id, ExamPaperItem.points,
               QuestionVersion.type, QuestionVersion.options)
        .join(QuestionVersion, QuestionVersion.id == ExamPaperItem.question_version_id)
        .where(ExamPaperItem.exam_id == exam.id).order_by(ExamPaperItem.position)).all()]
    papers, seen_by_user = [], {}
    for sitting in sittings:
        paper = _paper(connection, exam, sitting, rows, fixed, seen_by_user.get(sitting.user_id, frozenset()))
        seen_by_user[sitting.user_id] = frozenset(item.question_id for item in paper)
        papers.append(paper)
    return papers


def _versions(connection, version_ids: set[int]) -> dict[int, VersionInfo]:
    rows = connection.execute(
        select(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.type, QuestionVersion.key,
               QuestionVersion.options, QuestionVersion.extra, QuestionVersion.difficulty,
               QuestionVersion.content_hash, SyllabusModule.code)
        .join(Question, Question.id == QuestionVersion.question_id)
        .outerjoin(SyllabusModule, SyllabusModule.id == Question.module_id)
        .where(QuestionVersion.id.in_(version_ids))).all()
    return {row.id: VersionInfo(row.id, row.question_id, row.type, row.key, list(row.options or []),
                                list((row.extra or {}).get("keywords", [])), row.difficulty, row.content_hash,
                                row.code or "") for row in rows}


def _simulate(exam: Exam, spec: PastExam, candidates: list[tuple[int, str, float]], examiner_id: int,
              now: datetime) -> tuple[int, int]:
    """Write the exam's attempts and items, grade them, and return (attempts, attempts still waiting)."""
    connection = db.session.connection()
    sittings = _sittings(spec, exam, candidates)
    papers = _papers(connection, exam, sittings)
    versions = _versions(connection, {item.version_id for paper in papers for item in paper})
    attempt_ids = connection.execute(insert(Attempt.__table__).returning(Attempt.__table__.c.id,
                                                                         sort_by_parameter_order=True), [
        {"exam_id": exam.id, "user_id": s.user_id, "number": s.number, "form_seed": s.seed, "status": SUBMITTED,
         "started_at": s.started_at, "deadline_at": s.deadline_at, "submitted_at": s.submitted_at,
         "finished_by": s.finished_by, "max_score": sum((i.points for i in p), Decimal("0")), "session_token": ""}
        for s, p in zip(sittings, papers, strict=True)]).scalars().all()
    confusions, qualities, item_rows = confusions_by_module(versions), {}, []
    for attempt_id, sitting, paper in zip(attempt_ids, sittings, papers, strict=True):
        item_rows += answer_sheet(attempt_id, sitting, paper, versions, confusions, qualities)
    connection.execute(insert(AttemptItem.__table__), item_rows)
    totals = {attempt_id: grade_attempt(connection, attempt_id, exam.scoring_policy, exam.pass_score,
                                        sitting.submitted_at)["score"]
              for attempt_id, sitting in zip(attempt_ids, sittings, strict=True)}
    waiting = _waiting(spec, attempt_ids, sittings)
    pending = _grade_short_answers(connection, exam, totals, waiting, versions, qualities, examiner_id, now)
    return len(attempt_ids), pending


def _waiting(spec: PastExam, attempt_ids: list[int], sittings: list[Sitting]) -> set[int]:
    """The attempts whose short answers the examiner has not graded yet: the learner's and a seeded sample."""
    if not spec.pending:
        return set()
    rng = random.Random(f"waiting:{spec.seed}")
    learner = {a for a, s in zip(attempt_ids, sittings, strict=True) if s.employee_no == "learner"}
    rest = sorted(set(attempt_ids) - learner)
    return learner | set(rng.sample(rest, min(len(rest), spec.pending - len(learner))))


def _grade_short_answers(connection, exam: Exam, totals: dict[int, Decimal], waiting: set[int],
                         versions: dict[int, VersionInfo], qualities: dict[tuple[int, int], float],
                         examiner_id: int, now: datetime) -> int:
    """The examiner's grades and comments for the short answers, one answer sheet after another in the days
    after the close, and the totals of the attempts thus finished (as the grading queue does). Waiting
    attempts keep their short answers ungraded; a quarter of them has the first one graded already. Returns
    how many attempts still wait."""
    items = AttemptItem.__table__
    ungraded: dict[int, list] = {}
    for row in connection.execute(
            select(items.c.id, items.c.attempt_id, items.c.position, items.c.question_version_id, items.c.points,
                   items.c.response)
            .where(items.c.attempt_id.in_(list(totals)), items.c.score.is_(None))
            .order_by(items.c.attempt_id, items.c.position)).all():
        ungraded.setdefault(row.attempt_id, []).append(row)
    span = max(timedelta(hours=1), min(timedelta(days=6), now - exam.closes_at - timedelta(hours=12)))
    grades, finished = [], []
    for attempt_id, rows in ungraded.items():
        rng = random.Random(f"grading:{exam.id}:{attempt_id}")
        at = exam.closes_at + timedelta(hours=2) + span * rng.random()
        partly = attempt_id in waiting and rng.random() < 0.25
        if attempt_id in waiting and not partly:
            continue
        manual = Decimal("0")
        for row in rows[:1] if partly else rows:
            score, comment = examiner_grade(versions[row.question_version_id], row.response, row.points,
                                            qualities[(attempt_id, row.position)], rng)
            at += timedelta(seconds=rng.randint(40, 240))
            grades.append({"p_id": row.id, "p_score": score, "p_comment": comment, "p_at": at})
            manual += score
        if not partly:
            total = totals[attempt_id] + manual
            finished.append({"p_id": attempt_id, "p_score": total, "p_passed": total >= exam.pass_score, "p_at": at})
    if grades:
        connection.execute(update(items).where(items.c.id == bindparam("p_id")).values(
            score=bindparam("p_score"), feedback=bindparam("p_comment"), graded_by_id=examiner_id,
            graded_at=bindparam("p_at")), grades)
    if finished:
        attempts = Attempt.__table__
        connection.execute(update(attempts).where(attempts.c.id == bindparam("p_id")).values(
            status=GRADED, score=bindparam("p_score"), passed=bindparam("p_passed"), graded_at=bindparam("p_at")),
            finished)
    return len(ungraded) - len(finished)
