"""Actions of the exam-day console: extending time (the attempt in progress, or the extra time before a start)
and reopening a wrongly closed attempt — exact effects, the candidate's autosave and submission afterwards, the
caps that keep keys from leaking, refusals, a compare-and-set against double reopening, audit rows, scope and
CSRF."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from question_bank.exams.models import ExamExtraTime, GradingClaim
from question_bank.exams.services.console_actions import claim_reopen, extend_time, reopen_attempt
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import (
    at,
    attempt_row,
    correct_response,
    iso,
    item_row,
    wrong_response,
)
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.models import User


@pytest.fixture
def person(org):
    return make_user(org.qc_division, employee_no="K001", name="考生甲")


def exam_for(org, t0, **settings):
    with frozen_clock(t0):
        return make_exam(org.qc, **{"duration_minutes": 30, **settings})


def audits(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def post(client, url: str, minutes, reason="设备故障，更换电脑"):
    return client.post(url, data={"minutes": str(minutes), "reason": reason})


def test_extend_moves_the_deadline_and_autosave_follows(bank, org, person, examiner, client, candidate_of, t0):
    exam = exam_for(org, t0)
    candidate = candidate_of(person)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
    item = body["items"][0]
    login_as(client, examiner)
    with frozen_clock(at(t0, minutes=20)):
        response = post(client, f"/exams/console/{exam.id}/candidates/{person.id}/extend", 15)
    assert response.status_code == 302
    assert attempt_row(body["id"]).deadline_at == at(t0, minutes=45)
    with frozen_clock(at(t0, minutes=40)):  # past the old deadline and its grace
        assert candidate.save(body["id"], item["id"], correct_response(item), 1).status_code == 200
        assert candidate.get(body["id"]).json["remaining_seconds"] == 5 * 60
    with frozen_clock(at(t0, minutes=46, seconds=30)):  # past the new one and its grace
        refused = candidate.save(body["id"], item["id"], wrong_response(item), 2)
    assert refused.status_code == 409 and item_row(item["id"]).response_seq == 1
    [event] = audits("exam.console_extend")
    assert event.actor_id == examiner.id and event.object_id == str(body["id"])
    assert event.detail["old_deadline"] == at(t0, minutes=30).isoformat()
    assert event.detail["new_deadline"] == at(t0, minutes=45).isoformat()
    assert event.detail["minutes"] == 15 and event.detail["reason"] == "设备故障，更换电脑"


def test_extend_an_overdue_attempt_not_yet_collected(bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0)
    with frozen_clock(t0):
        body = candidate_of(person).started(exam.id)
    with frozen_clock(at(t0, minutes=33)):
        with pytest.raises(ValidationFailed, match="仍早于当前时间"):
            extend_time(examiner, exam.id, person.id, 2, "网络中断")
        extend_time(examiner, exam.id, person.id, 10, "网络中断")
    assert attempt_row(body["id"]).deadline_at == at(t0, minutes=40)


def test_extend_before_the_start_adds_extra_time(bank, org, person, hr_officer, candidate_of, t0):
    exam = exam_for(org, t0)
    with frozen_clock(at(t0, minutes=1)):
        extend_time(hr_officer, exam.id, person.id, 10, "视力障碍，需放大字体")
        extend_time(hr_officer, exam.id, person.id, 5, "再加五分钟")
    assert db.session.get(ExamExtraTime, (exam.id, person.id)).minutes == 15
    with frozen_clock(at(t0, minutes=2)):
        body = candidate_of(person).started(exam.id)
    assert body["deadline_at"] == iso(at(t0, minutes=2 + 30 + 15))
    first, second = audits("exam.console_extra_time")
    assert first.actor_id == hr_officer.id and first.detail["user"] == "K001"
    assert (second.detail["old_extra_minutes"], second.detail["new_extra_minutes"]) == (10, 15)


@pytest.mark.parametrize(("minutes", "reason"), [(0, "原因"), (241, "原因"), (10, "  "), (None, "原因")])
def test_extend_needs_minutes_in_range_and_a_reason(bank, org, person, examiner, t0, minutes, reason):
    exam = exam_for(org, t0)
    with pytest.raises(ValidationFailed):
        extend_time(examiner, exam.id, person.id, minutes, reason)
    assert db.session.get(ExamExtraTime, (exam.id, person.id)) is None and not audits("exam.console_extra_time")


def test_after_close_exams_never_run_past_the_close(bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="after_close", closes_at=at(t0, hours=1))
    with frozen_clock(t0):
        body = candidate_of(person).started(exam.id)
    with frozen_clock(at(t0, minutes=10)):
        with pytest.raises(ValidationFailed, match="不能晚于考试结束时间"):
            extend_time(examiner, exam.id, person.id, 31, "原因")
        with pytest.raises(ValidationFailed, match="最多还能给 30 分钟"):
            extend_time(examiner, exam.id, person.id, 31, "原因")
        extend_time(examiner, exam.id, person.id, 30, "原因")
        with pytest.raises(Conflict, match="没有可以给出的时间"):
            extend_time(examiner, exam.id, person.id, 1, "原因")
    assert attempt_row(body["id"]).deadline_at == exam.closes_at


def test_manual_release_stops_extensions_and_reopening(bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="manual")
    other = make_user(org.qc_division, employee_no="K002", name="考生乙")
    with frozen_clock(t0):
        candidate_of(person).started(exam.id)
        done = candidate_of(other)
        handed_in = done.started(exam.id)["id"]
        done.submit(handed_in)
    exam.released_at = at(t0, minutes=5)
    db.session.commit()
    with frozen_clock(at(t0, minutes=6)):
        with pytest.raises(Conflict, match="已经公布"):
            extend_time(examiner, exam.id, person.id, 10, "原因")
        with pytest.raises(Conflict, match="已经可以查看这份答卷的成绩和答案"):
            reopen_attempt(examiner, exam.id, handed_in, 10, "原因")
    assert attempt_row(handed_in).status == "graded"


def test_extend_refuses_a_handed_in_attempt(bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="manual")
    with frozen_clock(t0):
        candidate = candidate_of(person)
        candidate.submit(candidate.started(exam.id)["id"])
        with pytest.raises(Conflict, match="重新开放"):
            extend_time(examiner, exam.id, person.id, 10, "原因")


def test_reopen_end_to_end_the_resubmission_is_graded_again(bank, org, person, examiner, client, candidate_of,
                                                            graded_signals, t0):
    exam = exam_for(org, t0, release_policy="manual")
    laptop = candidate_of(person)
    with frozen_clock(at(t0, minutes=1)):
        body = laptop.started(exam.id)
        for seq, item in enumerate(body["items"], start=1):
            laptop.save(body["id"], item["id"], wrong_response(item), seq)
        laptop.submit(body["id"])
    first = attempt_row(body["id"])
    assert first.status == "graded" and first.score == 0
    login_as(client, examiner)
    with frozen_clock(at(t0, minutes=3)):
        assert post(client, f"/exams/console/{exam.id}/attempts/{body['id']}/reopen", 20).status_code == 302
    reopened = attempt_row(body["id"])
    assert (reopened.status, reopened.deadline_at, reopened.score, reopened.passed) == (
        "in_progress", at(t0, minutes=23), None, None)
    assert (reopened.submitted_at, reopened.finished_by, reopened.graded_at, reopened.session_token) == (
        None, "", None, "")
    assert all(item_row(item["id"]).score is None and item_row(item["id"]).graded_at is None
               for item in body["items"])
    with frozen_clock(at(t0, minutes=4)):
        assert laptop.save(body["id"], body["items"][0]["id"], "A", 999).json["error"]["code"] == "taken_over"
        desktop = candidate_of(person)
        resumed = desktop.started(exam.id)
        assert (resumed["id"], resumed["number"], resumed["remaining_seconds"]) == (body["id"], 1, 19 * 60)
        assert all(item["response"] is not None for item in resumed["items"])  # the saved answers are kept
        for seq, item in enumerate(resumed["items"], start=resumed["seq_base"] + 1):
            assert desktop.save(resumed["id"], item["id"], correct_response(item), seq).status_code == 200
        assert desktop.submit(resumed["id"]).json["status"] == "graded"
    again = attempt_row(body["id"])
    assert again.score == again.max_score and again.passed is True and again.finished_by == "candidate"
    assert graded_signals.count((body["id"], person.id, exam.id)) == 2
    [event] = audits("exam.console_reopen")
    assert event.actor_id == examiner.id and event.object_id == str(body["id"])
    assert (event.detail["old_status"], event.detail["old_score"], event.detail["old_passed"]) == ("graded", "0.00",
                                                                                                   False)
    assert event.detail["minutes"] == 20 and event.detail["reason"] == "设备故障，更换电脑"


def test_reopen_refusals(bank, org, person, examiner, candidate_of, t0):
    immediate = exam_for(org, t0)
    manual = exam_for(org, t0, release_policy="manual")
    candidate = candidate_of(person)
    with frozen_clock(at(t0, minutes=1)):
        seen = candidate.started(immediate.id)["id"]
        candidate.submit(seen)
        older = candidate.started(manual.id)["id"]
        candidate.submit(older)
        newer = candidate.started(manual.id)["id"]
    with frozen_clock(at(t0, minutes=2)):
        with pytest.raises(Conflict, match="查看"):  # its result is already out to the candidate
            reopen_attempt(examiner, immediate.id, seen, 10, "原因")
        with pytest.raises(Conflict, match="尚未交卷"):
            reopen_attempt(examiner, manual.id, newer, 10, "原因")
        candidate.submit(newer)
        with pytest.raises(Conflict, match="最近一次"):
            reopen_attempt(examiner, manual.id, older, 10, "原因")
        with pytest.raises(NotFound):  # an attempt of another exam
            reopen_attempt(examiner, manual.id, seen, 10, "原因")
        with pytest.raises(ValidationFailed):
            reopen_attempt(examiner, manual.id, newer, 241, "原因")
    assert not audits("exam.console_reopen")


def test_reopen_clears_grading_claims(bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="manual")
    with frozen_clock(t0):
        candidate = candidate_of(person)
        body = candidate.started(exam.id)
        candidate.submit(body["id"])
    db.session.add(GradingClaim(attempt_item_id=body["items"][0]["id"], grader_id=examiner.id))
    db.session.commit()
    with frozen_clock(at(t0, minutes=1)):
        reopen_attempt(examiner, exam.id, body["id"], 10, "原因")
    assert db.session.scalar(select(GradingClaim).where(GradingClaim.grader_id == examiner.id)) is None


def test_reopening_is_a_compare_and_set(bank, org, person, candidate_of, t0, app_ctx):
    exam = exam_for(org, t0, release_policy="manual")
    with frozen_clock(t0):
        candidate = candidate_of(person)
        attempt_id = candidate.started(exam.id)["id"]
        candidate.submit(attempt_id)
    assert claim_reopen(attempt_id, "graded", at(t0, minutes=20)) is True
    assert claim_reopen(attempt_id, "graded", at(t0, minutes=40)) is False  # the status is no longer "graded"
    db.session.commit()
    assert attempt_row(attempt_id).deadline_at == at(t0, minutes=20)


def test_two_examiners_reopening_at_once_reopen_once(app, bank, org, person, examiner, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="manual")
    second = make_user(org.qc, employee_no="E0002", name="第二考务", roles=[("examiner", org.qc)])
    with frozen_clock(t0):
        candidate = candidate_of(person)
        attempt_id = candidate.started(exam.id)["id"]
        candidate.submit(attempt_id)
    barrier, outcomes = threading.Barrier(2), []

    def reopen(actor_id: int, minutes: int):
        with app.app_context():
            actor = db.session.get(User, actor_id)
            actor.grants  # noqa: B018 (loaded before the race)
            barrier.wait(timeout=10)
            try:
                reopen_attempt(actor, exam.id, attempt_id, minutes, "同时操作")
                outcomes.append(("reopened", minutes))
            except Conflict:
                outcomes.append(("refused", minutes))
            finally:
                db.session.remove()

    with frozen_clock(at(t0, minutes=1)):
        threads = [threading.Thread(target=reopen, args=(examiner.id, 10)),
                   threading.Thread(target=reopen, args=(second.id, 20))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(kind for kind, _minutes in outcomes) == ["refused", "reopened"]
    [winner] = [minutes for kind, minutes in outcomes if kind == "reopened"]
    assert attempt_row(attempt_id).deadline_at == at(t0, minutes=1 + winner)
    assert len(audits("exam.console_reopen")) == 1


def test_hr_in_scope_may_act_and_out_of_scope_may_not(bank, org, hr_officer, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(org.province, duration_minutes=30, release_policy="manual")
    qc_person = make_user(org.qc_division, employee_no="Q001", name="清川考生")
    yl_person = make_user(org.yl_division, employee_no="Y001", name="云岭考生")
    with frozen_clock(t0):
        yl_candidate = candidate_of(yl_person)
        yl_attempt = yl_candidate.started(exam.id)["id"]
        yl_candidate.submit(yl_attempt)
        qc_attempt = candidate_of(qc_person).started(exam.id)["id"]
    with frozen_clock(at(t0, minutes=5)):
        extend_time(hr_officer, exam.id, qc_person.id, 5, "停电")
        with pytest.raises(NotFound):
            extend_time(hr_officer, exam.id, yl_person.id, 5, "停电")
        with pytest.raises(NotFound):
            reopen_attempt(hr_officer, exam.id, yl_attempt, 5, "停电")
    assert attempt_row(qc_attempt).deadline_at == at(t0, minutes=35)
    assert attempt_row(yl_attempt).status == "graded"


@pytest.mark.parametrize("action", ["extend", "reopen"])
def test_posts_need_the_csrf_token(bank, org, person, examiner, raw_client, candidate_of, t0, action):
    exam = exam_for(org, t0, release_policy="manual")
    with frozen_clock(t0):
        candidate = candidate_of(person)
        attempt_id = candidate.started(exam.id)["id"]
        if action == "reopen":
            candidate.submit(attempt_id)
    before = attempt_row(attempt_id)
    status, deadline = before.status, before.deadline_at
    login_as(raw_client, examiner)
    url = (f"/exams/console/{exam.id}/candidates/{person.id}/extend" if action == "extend"
           else f"/exams/console/{exam.id}/attempts/{attempt_id}/reopen")
    with frozen_clock(at(t0, minutes=1)):
        response = post(raw_client, url, 10)
    assert response.status_code == 400 and "安全校验失败" in response.text
    after = attempt_row(attempt_id)
    assert (after.status, after.deadline_at) == (status, deadline)


def test_candidate_page_explains_what_can_be_done(bank, org, person, examiner, client, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="after_close", closes_at=at(t0, hours=1))
    with frozen_clock(t0):
        body = candidate_of(person).started(exam.id)
    login_as(client, examiner)
    with frozen_clock(at(t0, minutes=5)):
        page = client.get(f"/exams/console/{exam.id}/candidates/{person.id}").text
        refused = post(client, f"/exams/console/{exam.id}/candidates/{person.id}/extend", 60)
        shown = client.get(refused.location).text
        missing = post(client, f"/exams/console/{exam.id}/candidates/{person.id}/extend", 10, reason="")
        told = client.get(missing.location).text
    assert "延长时间" in page and "确认延长" in page and "重新开放答卷" not in page
    assert "不能晚于考试结束时间" in shown and attempt_row(body["id"]).deadline_at == at(t0, minutes=30)
    assert "原因：该字段是必填字段" in told
    assert not audits("exam.console_extend")


def test_reopen_before_an_after_close_release_stays_inside_the_window(bank, org, person, examiner, candidate_of,
                                                                     t0):
    exam = exam_for(org, t0, release_policy="after_close", closes_at=at(t0, hours=1))
    with frozen_clock(t0):
        candidate = candidate_of(person)
        attempt_id = candidate.started(exam.id)["id"]
        candidate.submit(attempt_id)
    with frozen_clock(at(t0, minutes=50)):
        with pytest.raises(ValidationFailed, match="最多还能给 10 分钟"):
            reopen_attempt(examiner, exam.id, attempt_id, 11, "原因")
        reopen_attempt(examiner, exam.id, attempt_id, 10, "原因")
    assert attempt_row(attempt_id).deadline_at == exam.closes_at
    with frozen_clock(at(t0, minutes=55)):
        candidate.started(exam.id)
        candidate.submit(attempt_id)
    with frozen_clock(at(t0, minutes=62)), pytest.raises(Conflict, match="已经可以查看"):  # results are out now
        reopen_attempt(examiner, exam.id, attempt_id, 10, "原因")


def test_nobody_extends_or_reopens_their_own_attempt(bank, org, hr_officer, client, candidate_of, t0):
    exam = exam_for(org, t0, release_policy="manual")  # hr_officer works in 清川 and is a candidate too
    with frozen_clock(t0):
        mine = candidate_of(hr_officer)
        attempt_id = mine.started(exam.id)["id"]
        with pytest.raises(PermissionDenied):
            extend_time(hr_officer, exam.id, hr_officer.id, 10, "给自己加时")
        mine.submit(attempt_id)
        with pytest.raises(PermissionDenied):
            reopen_attempt(hr_officer, exam.id, attempt_id, 10, "给自己重开")
        login_as(client, hr_officer)
        assert post(client, f"/exams/console/{exam.id}/attempts/{attempt_id}/reopen", 10).status_code == 403
    assert attempt_row(attempt_id).status == "graded" and not audits("exam.console_reopen")
