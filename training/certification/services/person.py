"""One official's record as an HR officer sees it and prints it (学习档案 / 学时证明): courses, 学时 per year and
this year against the rank's target, formal exam results, programmes with their status and certificates.

Exam scores follow the exam's release policy: a graded attempt whose results are not released yet is listed with
"待公布" and no score — HR sees what the candidate may see, so a printed record never discloses a score early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from courseware.services.records import HoursStanding, RecordRow, hours_standing, learning_record
from question_bank.exams.models import FORMAL, GRADED, Attempt, Exam
from question_bank.exams.services.results import exam_results_released
from training.certification.models import Certificate, ProgramAssignment
from training.certification.permissions import can_view_person
from training.certification.services.certificates import certificates_of
from training.certification.services.progress import next_step_text
from training.certification.services.roster import path_names
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.extensions import db
from training.org.models import User


@dataclass(frozen=True)
class ExamResult:
    """A graded formal attempt; ``score`` and ``passed`` are None until the exam's results are released."""

    exam_title: str
    number: int
    submitted_at: datetime | None
    released: bool
    score: Decimal | None
    max_score: Decimal
    passed: bool | None


@dataclass(frozen=True)
class PersonRecord:
    """Everything the person view and the printable record show."""

    person: User
    department_path: tuple[str, ...]
    courses: list[RecordRow]
    hours_per_year: dict[int, float]
    standing: HoursStanding
    exams: list[ExamResult]
    assignments: list[ProgramAssignment]
    next_steps: dict[int, str]  # assignment id → what is missing next, in words
    certificates: list[tuple[Certificate, str]]  # (certificate, state at generation: valid|expired|revoked)
    generated_at: datetime

    @property
    def total_hours(self) -> float:
        """学时 over every year on record."""
        return round(sum(self.hours_per_year.values()), 2)


def find_person(viewer: User, employee_no: str) -> User:
    """The official with ``employee_no`` if the viewer may see their record (HR in scope, admins); NotFound
    otherwise — out of scope looks exactly like missing."""
    person = db.session.scalar(select(User).where(User.employee_no == employee_no))
    if not can_view_person(viewer, person):
        raise NotFound(_("人员不存在或不在您的管理范围内"))
    return person


def exam_results(user_id: int, now: datetime) -> list[ExamResult]:
    """The person's graded attempts at formal exams, newest first, scores only where released."""
    rows = db.session.execute(
        select(Attempt, Exam).join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.user_id == user_id, Attempt.status == GRADED, Exam.kind == FORMAL)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())).all()
    results = []
    for attempt, exam in rows:
        released = exam_results_released(exam, now)
        results.append(ExamResult(exam.title, attempt.number, attempt.submitted_at, released,
                                  attempt.score if released else None, attempt.max_score,
                                  attempt.passed if released else None))
    return results


def person_record(viewer: User, employee_no: str, *, now: datetime | None = None) -> PersonRecord:
    """The official's full record for ``viewer``; NotFound unless ``can_view_person``. A handful of statements,
    none per course, exam or programme."""
    now = now or utcnow()
    person = find_person(viewer, employee_no)
    courses, per_year = learning_record(person)
    names = path_names([person.department.path])
    assignments = list(db.session.scalars(
        select(ProgramAssignment).where(ProgramAssignment.user_id == person.id)
        .order_by(ProgramAssignment.assigned_at, ProgramAssignment.id)))
    certificates = [(certificate, certificate.state(now)) for certificate in certificates_of(person.id)]
    return PersonRecord(person, tuple(names.get(i, "") for i in person.department.ancestor_ids()), courses,
                        per_year, hours_standing(person, now.year), exam_results(person.id, now), assignments,
                        {row.id: next_step_text(row) for row in assignments}, certificates, now)
