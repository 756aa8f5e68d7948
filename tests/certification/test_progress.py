"""Progress and issuing: requirements met → exactly one certificate; expiry, renewal window and renewal with a
frozen clock; revocation; programme edits never revoke; statuses; events from the real lower-layer services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from courseware.models import Lesson
from courseware.services.catalogue import enroll
from courseware.services.study import record_heartbeat
from tests import factories
from tests.certification.conftest import complete_course, graded_attempt
from training.certification.constants import Status
from training.certification.models import Certificate, Notification, ProgramAssignment, YearlyHours
from training.certification.services import assignments, certificates, daily, progress
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.core.errors import Conflict, NotFound
from training.extensions import db

T0 = datetime(2026, 3, 2, 9, 0)


def row_of(user, program) -> ProgramAssignment:
    db.session.expire_all()
    return db.session.scalars(select(ProgramAssignment).filter_by(user_id=user.id, program_id=program.id)).one()


def certs(user, program) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).filter_by(user_id=user.id, program_id=program.id)
                                   .order_by(Certificate.id)))


def expiring_notices(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).filter_by(user_id=user.id,
                                                                                      kind="expiring"))


@pytest.fixture
def program(courses, cert_exam):
    required, second, elective = courses
    return factories.make_program(courses=[required, second], exam=cert_exam, min_hours=3, min_score=70,
                                  validity_months=24, renewal_window_days=90, renewal_courses=[elective],
                                  renewal_exam=cert_exam)


@pytest.fixture
def enrolled(program, learner, hr_officer, org):
    assignments.create_rule(hr_officer, department_id=org.qc_bureau.id, program_id=program.id,
                            due_at=datetime(2099, 1, 1))
    return learner


def test_requirements_met_issue_exactly_one_certificate(program, enrolled, courses, cert_exam):
    required, second, _elective = courses
    assert row_of(enrolled, program).status == Status.NOT_STARTED
    complete_course(enrolled, required, hours=1.75)
    row = row_of(enrolled, program)
    assert row.status == Status.IN_PROGRESS and 0 < row.percent < 100
    assert progress.next_step_text(row) == f"完成课程《{second.title}》"
    complete_course(enrolled, second, hours=1.25)
    row = row_of(enrolled, program)
    assert row.status == Status.AWAITING_EXAM
    graded_attempt(enrolled, cert_exam, 65)  # passes the exam's mark (60) but not the programme's 70
    assert row_of(enrolled, program).status == Status.AWAITING_EXAM
    assert certs(enrolled, program) == []
    graded_attempt(enrolled, cert_exam, 88)
    graded_attempt(enrolled, cert_exam, 91)  # a second event after certification issues nothing more
    progress.refresh(enrolled.id)
    issued = certs(enrolled, program)
    assert len(issued) == 1
    certificate = issued[0]
    assert certificate.number == f"EGOV-{certificate.issued_at.year}-{certificate.id:06d}"
    assert len(certificate.verification_code) == 12 and certificate.cycle == "initial"
    assert certificate.holder_name == enrolled.name and certificate.program_name == program.name
    assert certificate.expires_at.year == certificate.issued_at.year + 2
    row = row_of(enrolled, program)
    assert (row.status, row.percent, row.certificate_id) == (Status.CERTIFIED, 100, certificate.id)
    assert db.session.scalar(select(func.count()).select_from(Notification).filter_by(
        user_id=enrolled.id, kind="certificate_issued")) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(
        action="certificate.issue", object_id=str(certificate.id))) == 1


def test_hours_requirement_counts_elective_courses_of_the_programme(program, enrolled, courses, cert_exam):
    required, second, _elective = courses
    complete_course(enrolled, required, hours=1.0)
    complete_course(enrolled, second, hours=1.0)
    graded_attempt(enrolled, cert_exam, 95)
    row = row_of(enrolled, program)
    hours = next(item for item in row.requirements if item["kind"] == "hours")
    assert (hours["earned"], hours["required"], hours["met"]) == (2.0, 3.0, False)
    assert row.status == Status.IN_PROGRESS and certs(enrolled, program) == []
    assert progress.next_step_text(row) == "再修满 1 学时"


def test_unreleased_results_do_not_certify_until_released(courses, org, learner, hr_officer):
    factories.make_bank()
    exam = factories.make_exam(org.province, pass_score=Decimal("60"), release_policy="manual")
    program = factories.make_program(courses=[courses[0]], exam=exam)
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id)
    complete_course(learner, courses[0])
    graded_attempt(learner, exam, 90)
    assert row_of(learner, program).status == Status.AWAITING_EXAM and certs(learner, program) == []
    exam.released_at = datetime(2026, 1, 1)
    db.session.commit()
    daily.run_daily()  # the release has no event: the daily job catches up (awaiting_exam rows)
    assert len(certs(learner, program)) == 1


def test_expiry_renewal_window_and_renewal(program, enrolled, courses, cert_exam):
    required, second, elective = courses
    with frozen_clock(T0):
        complete_course(enrolled, required, hours=2)
        complete_course(enrolled, second, hours=1)
        graded_attempt(enrolled, cert_exam, 90)
    first = certs(enrolled, program)[0]
    assert first.issued_at == T0 and first.expires_at == datetime(2028, 3, 2, 9, 0)
    with frozen_clock(datetime(2027, 12, 1)):  # 92 days before expiry: window not open yet
        daily.run_daily()
        assert row_of(enrolled, program).status == Status.CERTIFIED
    with frozen_clock(datetime(2027, 12, 5)):  # inside the 90-day window
        daily.run_daily()
        row = row_of(enrolled, program)
        assert row.status == Status.EXPIRING and row.renewing
        assert [item["kind"] for item in row.requirements] == ["course", "exam"]  # the refresher's
        assert expiring_notices(enrolled) == 0  # 88 days left: the notice comes at 60
    with frozen_clock(datetime(2028, 1, 5)):
        daily.run_daily()
        daily.run_daily()  # idempotent: no second notice
        assert expiring_notices(enrolled) == 1
    with frozen_clock(datetime(2028, 1, 10)):
        complete_course(enrolled, elective, hours=0.5)
        assert row_of(enrolled, program).status == Status.EXPIRING  # the old exam result is from before
        graded_attempt(enrolled, cert_exam, 80)
    chain = certs(enrolled, program)
    assert len(chain) == 2
    renewal = chain[1]
    assert renewal.renews_id == first.id and renewal.cycle == f"renew:{first.id}"
    assert renewal.expires_at == datetime(2030, 3, 2, 9, 0)  # continues from the old expiry: nothing lost
    row = row_of(enrolled, program)
    assert (row.status, row.certificate_id, row.renewing) == (Status.CERTIFIED, renewal.id, False)
    with frozen_clock(datetime(2030, 1, 15)):  # the next window: the refresher done once still counts,
        daily.run_daily()                      # the exam has to be passed again
        assert row_of(enrolled, program).status == Status.EXPIRING
        graded_attempt(enrolled, cert_exam, 77)
    third = certs(enrolled, program)[2]
    assert third.renews_id == renewal.id and third.expires_at == datetime(2032, 3, 2, 9, 0)


def test_expired_then_renewed_late(program, enrolled, courses, cert_exam):
    required, second, elective = courses
    with frozen_clock(T0):
        complete_course(enrolled, required, hours=2)
        complete_course(enrolled, second, hours=1)
        graded_attempt(enrolled, cert_exam, 90)
    with frozen_clock(datetime(2028, 3, 3)):
        daily.run_daily()
        row = row_of(enrolled, program)
        assert row.status == Status.EXPIRED and row.renewing
        assert certs(enrolled, program)[0].state(datetime(2028, 3, 3)) == "expired"
    with frozen_clock(datetime(2028, 4, 1)):
        complete_course(enrolled, elective, hours=0.5)
        graded_attempt(enrolled, cert_exam, 75)
    chain = certs(enrolled, program)
    assert len(chain) == 2 and chain[1].renews_id == chain[0].id
    assert chain[1].expires_at == datetime(2030, 4, 1)  # from the renewal day: the old one had lapsed


def test_revocation_needs_the_exam_again(program, enrolled, courses, cert_exam, hr_officer):
    required, second, _ = courses
    complete_course(enrolled, required, hours=2)
    complete_course(enrolled, second, hours=1)
    graded_attempt(enrolled, cert_exam, 90)
    first = certs(enrolled, program)[0]
    certificates.revoke_certificate(hr_officer, first.id, "考试作弊，经核实撤销")
    row = row_of(enrolled, program)
    assert row.status == Status.AWAITING_EXAM and row.certificate_id is None
    with pytest.raises(Conflict):
        certificates.revoke_certificate(hr_officer, first.id, "再次撤销一次")
    graded_attempt(enrolled, cert_exam, 85)
    chain = certs(enrolled, program)
    assert len(chain) == 2 and chain[1].cycle == f"after:{first.id}" and chain[1].renews_id is None
    assert row_of(enrolled, program).status == Status.CERTIFIED
    event = db.session.scalars(select(AuditEvent).filter_by(action="certificate.revoke")).one()
    assert event.actor_id == hr_officer.id and event.detail["reason"] == "考试作弊，经核实撤销"


def test_revoke_out_of_scope_or_by_the_holder_is_refused(program, enrolled, courses, cert_exam, org):
    complete_course(enrolled, courses[0], hours=2)
    complete_course(enrolled, courses[1], hours=1)
    graded_attempt(enrolled, cert_exam, 90)
    certificate = certs(enrolled, program)[0]
    other_city = factories.make_user(org.yl_bureau, employee_no="H0099", roles=[("hr", org.yl)])
    with pytest.raises(NotFound):
        certificates.revoke_certificate(other_city, certificate.id, "越权撤销尝试")
    with pytest.raises(Exception, match="撤销"):
        certificates.revoke_certificate(enrolled, certificate.id, "自己撤销自己")
    assert certs(enrolled, program)[0].revoked_at is None


def test_editing_requirements_does_not_revoke(program, enrolled, courses, cert_exam):
    complete_course(enrolled, courses[0], hours=2)
    complete_course(enrolled, courses[1], hours=1)
    graded_attempt(enrolled, cert_exam, 90)
    program.min_hours = Decimal("40")
    program.requirements_version += 1
    db.session.commit()
    progress.refresh_program(program.id)
    row = row_of(enrolled, program)
    assert row.status == Status.CERTIFIED and certs(enrolled, program)[0].revoked_at is None
    assert certs(enrolled, program)[0].requirements_version == 1


def test_overdue_when_the_due_date_passes(program, learner, hr_officer, org, courses):
    with frozen_clock(T0):
        assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id,
                                due_at=T0 + timedelta(days=10))
        complete_course(learner, courses[0])
    with frozen_clock(T0 + timedelta(days=3)):
        assert daily.run_daily().notified >= 1  # due in 14 days
        assert {n.kind for n in db.session.scalars(select(Notification).filter_by(user_id=learner.id))} == {
            "assigned", "due_soon"}
    with frozen_clock(T0 + timedelta(days=11)):
        daily.run_daily()
        assert row_of(learner, program).status == Status.OVERDUE
        assert db.session.scalar(select(func.count()).select_from(Notification).filter_by(
            user_id=learner.id, kind="overdue")) == 1


def test_prerequisite_certificate(courses, cert_exam, org, learner, hr_officer):
    basic = factories.make_program("P-1", courses=[courses[0]], exam=cert_exam)
    advanced = factories.make_program("P-2", courses=[courses[1]], prerequisite=basic, level="中级")
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=advanced.id)
    complete_course(learner, courses[1])
    row = row_of(learner, advanced)
    assert row.status == Status.IN_PROGRESS and progress.next_step_text(row) == f"先取得《{basic.name}》证书"
    assignments.join_program(learner, basic.id)
    complete_course(learner, courses[0])
    graded_attempt(learner, cert_exam, 80)
    assert len(certs(learner, basic)) == 1
    assert len(certs(learner, advanced)) == 1  # the prerequisite's issue moved the advanced programme too


def test_real_study_heartbeats_complete_the_course_and_count(app, program, enrolled, courses, cert_exam):
    """The lower layer's own path: heartbeats complete the course and send course_completed."""
    required = courses[1]  # one 30-minute lesson
    lesson = db.session.scalars(select(Lesson).filter_by(course_id=required.id)).one()
    enroll(enrolled.id, required)
    start = datetime(2026, 5, 1, 8, 0)
    for second in range(0, 30 * 60 + 91, 30):
        with frozen_clock(start + timedelta(seconds=second)):
            record_heartbeat(enrolled.id, lesson.id, active=True, reached_end=second > 30 * 60)
    row = row_of(enrolled, program)
    assert next(i for i in row.requirements if i.get("course_id") == required.id)["met"] is True
    assert db.session.get(YearlyHours, (enrolled.id, 2026)).hours > 0


def test_renewal_hours_come_from_any_course_of_the_cycle(courses, cert_exam, org, learner, hr_officer):
    required, second, elective = courses
    program = factories.make_program("P-H", courses=[required], exam=cert_exam, validity_months=12,
                                     renewal_window_days=60, renewal_min_hours=1, renewal_exam=cert_exam)
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id)
    with frozen_clock(T0):
        complete_course(learner, required, hours=2)  # before the certificate: does not count for the renewal
        graded_attempt(learner, cert_exam, 90)
    with frozen_clock(T0 + timedelta(days=320)):
        complete_course(learner, elective, hours=0.5)  # not a programme course, but continuing education
        graded_attempt(learner, cert_exam, 90)
        row = row_of(learner, program)
        hours = next(item for item in row.requirements if item["kind"] == "hours")
        assert (row.status, hours["earned"], hours["met"]) == (Status.EXPIRING, 0.5, False)
        complete_course(learner, second, hours=1)
        assert len(certs(learner, program)) == 2


@pytest.mark.parametrize("due", [None, datetime(2026, 1, 1)])
def test_exam_only_programme_certifies_after_a_late_release(org, learner, hr_officer, due):
    """A release has no event: the daily job finds not-started and overdue people whose result came out."""
    factories.make_bank()
    exam = factories.make_exam(org.province, pass_score=Decimal("60"), release_policy="manual")
    program = factories.make_program("P-E", exam=exam)
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id)
    if due is not None:
        db.session.execute(ProgramAssignment.__table__.update().values(due_at=due))
        db.session.commit()
    graded_attempt(learner, exam, 90)
    daily.run_daily()
    assert row_of(learner, program).status == (Status.OVERDUE if due else Status.NOT_STARTED)
    exam.released_at = datetime(2026, 6, 1)
    db.session.commit()
    daily.run_daily()
    assert row_of(learner, program).status == Status.CERTIFIED and len(certs(learner, program)) == 1
