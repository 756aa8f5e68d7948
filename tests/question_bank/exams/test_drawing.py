"""Drawing papers: reproducible from the seed, avoiding what the candidate saw before, never a question twice,
refusing blueprints the bank cannot fill, the fixed paper, option orders, and a start that does not load the
bank."""

from __future__ import annotations

import random
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from question_bank.exams.errors import BlueprintUnfillable
from question_bank.exams.models import Attempt, AttemptItem, Blueprint
from question_bank.exams.services.blueprints import check_fillable, parse_rows, save_blueprint
from question_bank.exams.services.drawing import draw_paper, draw_question_ids
from question_bank.exams.services.exams import publish_exam
from question_bank.models import Question
from tests.factories import make_bank, make_exam, make_user
from tests.question_bank.exams.conftest import add_approved, ensure_module
from training.core.caches import clear_process_caches
from training.extensions import db


def rows_of(*specs):
    rows, errors = parse_rows([{"scope": scope, "type": kind, "count": str(count), "points": points}
                               for scope, kind, count, points in specs])
    assert not errors
    return rows


def question_ids(attempt_id: int) -> list[int]:
    return list(db.session.scalars(select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt_id)
                                   .order_by(AttemptItem.position)))


def test_the_same_seed_draws_the_same_paper(bank):
    rows = rows_of(("", "single", 3, "2"), ("M1", "multiple", 2, "3"), ("", "fill_blank", 2, "2"))
    papers = {}
    for seed in (7, 7, 8, 9, 10):
        clear_process_caches()  # from the database, not from a cached pool
        papers.setdefault(seed, []).append(draw_paper(db.session.connection(), rows, seed, shuffle_questions=True,
                                                      shuffle_options=True))
    assert papers[7][0] == papers[7][1]
    assert len({tuple(paper[0]) for paper in papers.values()}) > 1  # and different seeds differ
    paper = papers[7][0]
    assert [item.points for item in paper].count(2) == 5 and len(paper) == 7


def test_random_forms_avoid_the_questions_of_the_previous_attempt(bank, learner, candidate_of):
    exam = make_exam(learner, rows=(("", "single", 3, "2"),), max_attempts=3)  # six singles in the bank
    candidate = candidate_of(learner)
    first_attempt = candidate.started(exam.id)
    candidate.submit(first_attempt["id"])
    second = candidate.started(exam.id)
    assert second["number"] == 2
    assert set(question_ids(first_attempt["id"])).isdisjoint(question_ids(second["id"]))


def test_seen_questions_fill_up_when_the_pool_is_small(app_ctx, org, learner, candidate_of):
    make_bank(4, types=("single",))
    exam = make_exam(learner, rows=(("", "single", 3, "2"),))
    candidate = candidate_of(learner)
    first_attempt = candidate.started(exam.id)
    candidate.submit(first_attempt["id"])
    second = candidate.started(exam.id)
    seen, now = set(question_ids(first_attempt["id"])), question_ids(second["id"])
    unseen = set(db.session.scalars(select(Question.id))) - seen
    assert len(now) == 3 and len(set(now)) == 3
    assert unseen <= set(now)  # the one unseen question first, then two seen ones


def test_no_question_appears_twice_across_rows(bank):
    # The module row and the whole-bank row share one pool of six singles: every paper takes all six once.
    rows = rows_of(("M1", "single", 3, "2"), ("", "single", 3, "1"), ("M1.1", "true_false", 2, "1"),
                   ("", "true_false", 4, "1"))
    for seed in range(30):
        clear_process_caches()
        paper = draw_paper(db.session.connection(), rows, seed, shuffle_questions=bool(seed % 2))
        ids = [item.question_id for item in paper]
        assert len(ids) == len(set(ids)) == 12


def test_an_unfillable_blueprint_is_refused_with_row_messages(bank, examiner):
    raw = [{"scope": "", "type": "single", "count": "7", "points": "2"},
           {"scope": "M1", "type": "true_false", "count": "2", "points": "1"},
           {"scope": "M1.1", "type": "multiple", "count": "10", "points": "3"}]
    with pytest.raises(BlueprintUnfillable) as refused:
        save_blueprint(examiner, None, "期末考试方案", "", raw)
    details = refused.value.details
    assert len(details) == 2
    assert details[0].startswith("第 1 行") and "7" in details[0] and "6" in details[0]
    assert details[1].startswith("第 3 行") and "10" in details[1]
    assert db.session.scalar(select(db.func.count()).select_from(Blueprint)) == 0
    saved = save_blueprint(examiner, None, "期末考试方案", "", raw[1:2])
    assert [row.count for row in saved.rows] == [2]


def test_publishing_refuses_a_blueprint_the_bank_can_no_longer_fill(bank, learner, examiner):
    draft = make_exam(learner, status="draft", rows=(("", "single", 6, "2"),))
    retired = db.session.scalars(select(Question).where(Question.type == "single")).first()
    retired.status = "retired"
    db.session.commit()
    with pytest.raises(BlueprintUnfillable) as refused:
        publish_exam(examiner, draft.id)
    assert refused.value.details and refused.value.details[0].startswith("第 1 行")
    db.session.expire_all()
    assert draft.status == "draft"


def test_a_fixed_paper_gives_everyone_the_same_questions(bank, org, learner, candidate_of):
    exam = make_exam(org.qc, paper_mode="fixed", shuffle_questions=True, shuffle_options=True)
    paper_versions = sorted(item.question_version_id for item in exam.paper)
    assert len(paper_versions) == 8
    people = [learner] + [make_user(org.qc_division, employee_no=f"L01{n:02d}") for n in range(4)]
    orders = []
    for person in people:
        body = candidate_of(person).started(exam.id)
        versions = list(db.session.scalars(select(AttemptItem.question_version_id)
                                           .where(AttemptItem.attempt_id == body["id"])
                                           .order_by(AttemptItem.position)))
        assert sorted(versions) == paper_versions
        orders.append(tuple(versions))
    assert len(set(orders)) > 1  # shuffled per candidate


def test_an_unshuffled_fixed_paper_keeps_its_order(bank, org, learner, candidate_of):
    exam = make_exam(org.qc, paper_mode="fixed", shuffle_questions=False, shuffle_options=False)
    other = make_user(org.qc_division, employee_no="L0002")
    expected = [item.question_version_id for item in exam.paper]
    for person in (learner, other):
        body = candidate_of(person).started(exam.id)
        items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == body["id"])
                                   .order_by(AttemptItem.position)).all()
        assert [item.question_version_id for item in items] == expected
        assert {item.option_order for item in items} <= {"", "ABCD"}


def test_option_orders_follow_the_exam_setting(bank, learner, candidate_of):
    shuffled = make_exam(learner, shuffle_options=True, max_attempts=0)
    plain = make_exam(learner, shuffle_options=False)
    candidate = candidate_of(learner)
    orders = set()
    for _n in range(4):
        body = candidate.started(shuffled.id)
        for item in body["items"]:
            if item["type"] in ("single", "multiple"):
                orders.add("".join(option["value"] for option in item["options"]))
        candidate.submit(body["id"])
    assert len(orders) > 1 and all(sorted(order) == list("ABCD") for order in orders)
    body = candidate.started(plain.id)
    assert {"".join(o["value"] for o in item["options"]) for item in body["items"]} <= {"", "ABCD"}


@contextmanager
def counted_statements():
    statements: list[tuple[str, object]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_starting_does_not_load_the_bank(app_ctx, org, learner, candidate_of):
    make_bank(20, module="M1", types=("single",))
    make_bank(200, module="M2", types=("single",))
    small = make_exam(learner, rows=(("M1", "single", 10, "2"),)).id
    large = make_exam(learner, rows=(("M2", "single", 10, "2"),)).id
    counts = {}
    for exam_id in (small, large):
        candidate = candidate_of(learner)
        clear_process_caches()  # a cold start: pools and rendered questions read from the database
        with counted_statements() as statements:
            body = candidate.started(exam_id)
        assert len(body["items"]) == 10
        counts[exam_id] = statements
    assert len(counts[small]) == len(counts[large]) <= 20, counts[large]
    for statement, parameters in counts[large]:
        flat = " ".join(statement.split())
        if "FROM questions" in flat or "FROM question_versions" in flat:
            # the pool is read as ids only; question content only for the ten drawn ids
            assert flat.startswith("SELECT questions.id FROM") or (" IN (" in flat and 10 <= len(parameters) <= 11), \
                flat


def test_save_refuses_rows_that_together_exceed_a_shared_pool(bank, examiner):
    raw = [{"scope": "M1", "type": "single", "count": "6", "points": "2"},  # all six singles…
           {"scope": "", "type": "single", "count": "1", "points": "2"}]    # …and one more from the same six
    with pytest.raises(BlueprintUnfillable):
        save_blueprint(examiner, None, "重叠方案", "", raw)


def test_a_fillable_blueprint_with_nested_rows_always_draws(app_ctx, org):
    ensure_module("M1")
    ensure_module("M2")
    for n in range(3):
        add_approved("single", f"M1 单选{n}", "A", options=["甲", "乙"], knowledge_point="M1.1")
        add_approved("single", f"M2 单选{n}", "A", options=["甲", "乙"], knowledge_point="M2.1")
    rows = rows_of(("", "single", 3, "2"), ("M1", "single", 3, "2"))  # fillable: M2's three, then M1's three
    check_fillable(rows)
    failures = 0
    for seed in range(20):
        try:
            draw_question_ids(db.session.connection(), rows, random.Random(seed))
        except BlueprintUnfillable:
            failures += 1
    assert failures == 0


def test_attempts_draw_only_approved_questions(bank, learner, candidate_of):
    retired = db.session.scalars(select(Question).where(Question.type == "single")).all()[:3]
    for question in retired:
        question.status = "retired"
    db.session.commit()
    exam = make_exam(learner, rows=(("", "single", 3, "2"),))
    body = candidate_of(learner).started(exam.id)
    assert set(question_ids(body["id"])).isdisjoint(q.id for q in retired)
    assert db.session.scalar(select(db.func.count()).select_from(Attempt)) == 1
