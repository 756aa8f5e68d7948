"""Helpers for certification tests: records a learner earns (a completed course, a graded exam attempt), written
as the lower layers write them and announced with the same signals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from courseware.models import Enrollment
from question_bank.exams.models import Attempt, Exam
from tests import factories
from training.certification.models import Certificate
from training.core.clock import utcnow
from training.core.signals import attempt_graded, course_completed
from training.extensions import db


def complete_course(user, course, *, at: datetime | None = None, hours: float = 1.0) -> Enrollment:
    """``user`` completed ``course`` at ``at`` (now) earning ``hours`` 学时; sends ``course_completed``. Like the
    study service, a course is completed once: completing it again is a mistake in the test."""
    at = at or utcnow()
    enrollment = db.session.query(Enrollment).filter_by(user_id=user.id, course_id=course.id).one_or_none()
    assert enrollment is None or enrollment.completed_at is None, "a course is completed only once"
    if enrollment is None:
        enrollment = Enrollment(user_id=user.id, course_id=course.id, source="self", enrolled_at=at - timedelta(days=1))
        db.session.add(enrollment)
    enrollment.completed_at = at
    enrollment.hours_credited = Decimal(str(hours))
    db.session.commit()
    course_completed.send(None, user_id=user.id, course_id=course.id)
    return enrollment


def graded_attempt(user, exam: Exam, score: float, *, at: datetime | None = None) -> Attempt:
    """A graded attempt of ``user`` on ``exam`` scoring ``score`` of 100, submitted at ``at`` (now); sends
    ``attempt_graded``. Passed when the score reaches the exam's pass mark."""
    at = at or utcnow()
    number = db.session.query(Attempt).filter_by(exam_id=exam.id, user_id=user.id).count() + 1
    attempt = Attempt(exam_id=exam.id, user_id=user.id, number=number, status="graded", started_at=at - timedelta(
        minutes=30), deadline_at=at + timedelta(minutes=30), submitted_at=at, graded_at=at,
        score=Decimal(str(score)), max_score=Decimal("100"), passed=Decimal(str(score)) >= exam.pass_score)
    db.session.add(attempt)
    db.session.commit()
    attempt_graded.send(None, attempt_id=attempt.id, user_id=user.id, exam_id=exam.id)
    return attempt


ISSUED = datetime(2026, 3, 2, 2, 0)
EXPIRES = datetime(2029, 3, 2, 2, 0)
CODE = "ABCD2345EFGH"


def make_certificate(user, program, *, code: str = CODE, number: str = "EGOV-2026-000001",
                     issued_at: datetime = ISSUED, expires_at: datetime = EXPIRES, cycle: str = "initial",
                     renews: Certificate | None = None, department_name: str | None = None) -> Certificate:
    """A certificate row as the issuer writes it (names kept as issued)."""
    certificate = Certificate(
        number=number, verification_code=code, user_id=user.id, program_id=program.id, cycle=cycle,
        issued_at=issued_at, expires_at=expires_at, renews_id=renews.id if renews else None,
        holder_name=user.name, department_name=department_name or f"清川市人社局 {user.department.name}",
        program_name=program.name)
    db.session.add(certificate)
    db.session.commit()
    return certificate


def revoke_directly(certificate: Certificate, reason: str = "考试作弊，经核实撤销") -> None:
    certificate.revoked_at, certificate.revoke_reason = ISSUED + timedelta(days=30), reason
    db.session.commit()


@pytest.fixture
def courses(app_ctx):
    """Two required courses and an elective of module M1 (minutes give 1.75, 1.0 and 0.5 学时)."""
    return (factories.make_course("M1-01"), factories.make_course("M1-02", minutes=(30,)),
            factories.make_course("M1-03", minutes=(20,), kind="elective"))


@pytest.fixture
def cert_exam(org, courses):
    """A published formal exam open for a week for the whole province (pass mark 60, results released at once)."""
    factories.make_bank()
    return factories.make_exam(org.province, pass_score=Decimal("60"), title="电子政务应用能力认证考试")
