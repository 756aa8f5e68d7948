"""Nobody reaches another person's attempt, learners stay out of exam management and out of exams not meant for
them, and examiners manage only exams organised within their scope."""

from __future__ import annotations

import pytest

from question_bank.exams.models import Attempt
from question_bank.exams.services import exams as exam_services
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import attempt_row, first
from training.core.errors import NotFound, PermissionDenied
from training.extensions import db


@pytest.fixture
def exam(bank, org):
    return make_exam(org.qc)


@pytest.fixture
def other(org):
    return make_user(org.qc_division, employee_no="L0002", name="钱学员")


@pytest.fixture
def yl_examiner(org):
    return make_user(org.yl_bureau, employee_no="E0002", name="云命题", roles=[("examiner", org.yl)])


def snapshot(attempt_id: int) -> tuple:
    attempt = attempt_row(attempt_id)
    return (attempt.status, attempt.session_token, attempt.score, attempt.submitted_at,
            [(item.id, item.response, item.response_seq, item.flagged) for item in attempt.items])


def test_a_candidate_never_reaches_anothers_attempt(exam, learner, other, candidate_of):
    alice, bob = candidate_of(learner), candidate_of(other, bearer=False)
    mine = alice.started(exam.id)
    item = first(mine, "single")
    assert alice.save(mine["id"], item["id"], "A", 1).status_code == 200
    before = snapshot(mine["id"])
    bob.session = mine["session"]  # even holding the stolen device token
    for response in (bob.get(mine["id"]), bob.save(mine["id"], item["id"], "B", 5),
                     bob.save(mine["id"], item["id"], "B", 5, flagged=True), bob.submit(mine["id"]),
                     bob.result(mine["id"]), bob.start(exam.id, attempt_id=mine["id"])):
        assert response.status_code == 404, response.json
        assert response.json["error"]["code"] == "not_found"
    assert snapshot(mine["id"]) == before
    assert alice.get(mine["id"]).json["holder"] == "this"


def test_an_item_of_another_attempt_cannot_be_saved_through_ones_own(exam, learner, other, candidate_of):
    alice, bob = candidate_of(learner), candidate_of(other)
    mine, theirs = alice.started(exam.id), bob.started(exam.id)
    alices_item = first(mine, "single")
    before_mine, before_theirs = snapshot(mine["id"]), snapshot(theirs["id"])
    response = bob.save(theirs["id"], alices_item["id"], "D", 1)
    assert response.status_code == 404
    assert snapshot(mine["id"]) == before_mine and snapshot(theirs["id"]) == before_theirs
    missing = bob.save(theirs["id"], 10 ** 6, "D", 1)
    assert missing.status_code == 404


def test_anothers_attempt_pages_are_not_found(client, exam, learner, other, candidate_of):
    mine = candidate_of(learner).started(exam.id)
    login_as(client, other)
    assert client.get(f"/exams/attempts/{mine['id']}").status_code == 404
    assert client.get(f"/exams/attempts/{mine['id']}/result").status_code == 404


@pytest.mark.parametrize("url", ["/exams/manage", "/exams/manage/new", "/exams/manage/{id}",
                                 "/exams/manage/{id}/edit", "/exams/manage/blueprints",
                                 "/exams/manage/blueprints/new"])
def test_learners_are_kept_out_of_exam_management(client, exam, learner, url):
    login_as(client, learner)
    assert client.get(url.format(id=exam.id)).status_code == 403


@pytest.mark.parametrize("action", ["publish", "unpublish", "release", "archive"])
def test_learners_cannot_act_on_exams(client, exam, learner, action):
    login_as(client, learner)
    assert client.post(f"/exams/manage/{exam.id}/{action}").status_code == 403
    db.session.expire_all()
    assert exam.status == "published"


def test_an_exam_outside_ones_audience_cannot_be_seen_or_started(client, bank, org, learner, candidate_of):
    elsewhere = make_exam(org.yl)
    candidate = candidate_of(learner)
    response = candidate.start(elsewhere.id)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert all(card["id"] != elsewhere.id for card in candidate.exams().json["exams"])
    login_as(client, learner)
    assert client.get(f"/exams/{elsewhere.id}").status_code == 404
    assert client.post(f"/exams/{elsewhere.id}/start").status_code == 404
    assert candidate.start(10 ** 6).status_code == 404
    draft = make_exam(learner, status="draft")
    assert candidate.start(draft.id).status_code == 404
    assert attempt_count() == 0


def attempt_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Attempt))


def test_a_subtree_audience_and_a_personal_one_both_admit(bank, org, learner, other, candidate_of):
    city_exam = make_exam(org.qc)
    personal = make_exam(learner)
    assert candidate_of(other).start(city_exam.id).status_code == 201
    assert candidate_of(learner).start(personal.id).status_code == 201
    assert candidate_of(other).start(personal.id).status_code == 404


def test_an_examiner_scoped_elsewhere_cannot_see_or_manage_the_exam(client, exam, org, learner, yl_examiner):
    draft = make_exam(org.qc, status="draft")
    with pytest.raises(NotFound):
        exam_services.get_managed_exam(yl_examiner, exam.id)
    assert all(row.id not in (exam.id, draft.id) for row, _n in exam_services.list_managed_exams(yl_examiner))
    for service in (exam_services.publish_exam, exam_services.unpublish_exam, exam_services.release_results,
                    exam_services.archive_exam, exam_services.redraw_fixed_paper):
        with pytest.raises(NotFound):
            service(yl_examiner, draft.id)
    with pytest.raises(NotFound):
        exam_services.set_extra_time(yl_examiner, exam.id, learner.employee_no, 10)
    with pytest.raises(NotFound):
        exam_services.add_audience(yl_examiner, exam.id, department_id=org.yl.id)
    with pytest.raises(NotFound):
        exam_services.exam_attempts(yl_examiner, exam)

    login_as(client, yl_examiner)
    assert client.get(f"/exams/manage/{exam.id}").status_code == 404
    assert client.get(f"/exams/manage/{exam.id}/edit").status_code == 404
    client.post(f"/exams/manage/{draft.id}/publish")
    client.post(f"/exams/manage/{exam.id}/archive")
    db.session.expire_all()
    assert (draft.status, exam.status) == ("draft", "published")
    assert [row.department_id for row in exam.audience] == [org.qc.id]


def test_an_examiner_cannot_put_a_department_outside_scope_in_an_audience(bank, org, learner, yl_examiner):
    yl_exam = make_exam(org.yl, status="draft")
    with pytest.raises(PermissionDenied):
        exam_services.add_audience(yl_examiner, yl_exam.id, department_id=org.qc.id)
    with pytest.raises(NotFound):
        exam_services.add_audience(yl_examiner, yl_exam.id, employee_no=learner.employee_no)  # a QC person
    exam_services.add_audience(yl_examiner, yl_exam.id, department_id=org.yl_bureau.id)
    db.session.expire_all()
    assert sorted(row.department_id for row in yl_exam.audience if row.department_id) == sorted(
        [org.yl.id, org.yl_bureau.id])
    assert all(row.user_id is None for row in yl_exam.audience)
    with pytest.raises(NotFound):
        exam_services.set_extra_time(yl_examiner, yl_exam.id, learner.employee_no, 10)


def test_the_examiner_in_scope_can_manage_it(exam, org, examiner):
    qc_examiner = make_user(org.qc_bureau, employee_no="E0003", roles=[("examiner", org.qc)])
    for actor in (examiner, qc_examiner):
        assert exam_services.get_managed_exam(actor, exam.id).id == exam.id
        assert exam.id in [row.id for row, _n in exam_services.list_managed_exams(actor)]
