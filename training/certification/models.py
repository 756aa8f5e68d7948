"""Programmes, assignment rules, each person's progress in a programme, certificates, in-app notifications and
the yearly 学时 summary the HR roster sorts and filters on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.certification.constants import DEFAULT_RENEWAL_WINDOW_DAYS, Purpose, Source, Status, Target
from training.core.clock import utcnow
from training.core.models import TimestampMixin
from training.extensions import db
from training.org.models import Department, User


class Program(TimestampMixin, db.Model):
    """A certification programme. Requirements for the first certificate: the required courses
    (``ProgramCourse`` with purpose ``initial``), ``min_hours`` 学时 from the programme's courses, the exam
    ``exam_id`` with at least ``min_score`` (the exam's pass mark when None) and a valid certificate of
    ``prerequisite_id``. A renewal inside the last ``renewal_window_days`` before expiry asks for the lighter
    ``renewal`` courses, ``renewal_min_hours`` and ``renewal_exam_id``. Certificates last ``validity_months``."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16), default="")  # 初级 / 中级 / 高级, or ""
    tier: Mapped[str] = mapped_column(String(16), default="")  # 领导干部 / 一般干部 / 技术人员, or ""
    description: Mapped[str] = mapped_column(Text, default="")
    validity_months: Mapped[int] = mapped_column(default=36)
    renewal_window_days: Mapped[int] = mapped_column(default=DEFAULT_RENEWAL_WINDOW_DAYS)
    min_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id", ondelete="SET NULL"))
    min_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    prerequisite_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    renewal_min_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    renewal_exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id", ondelete="SET NULL"))
    renewal_min_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The owning department: None = the whole organisation (admins edit); else HR officers of that subtree edit.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    # Bumped on every change of requirements; certificates keep the version (and a snapshot) they were issued on.
    requirements_version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    prerequisite: Mapped[Program | None] = relationship(remote_side=[id])
    department: Mapped[Department | None] = relationship()

    def __repr__(self) -> str:
        return f"<Program {self.code}>"


class ProgramCourse(db.Model):
    """A course of a programme: ``required`` ones must be completed; all of them count toward the 学时."""

    __tablename__ = "program_courses"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    purpose: Mapped[str] = mapped_column(String(8), primary_key=True, default=Purpose.INITIAL)
    required: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


assignment_rule_people = Table(
    "assignment_rule_people",
    db.metadata,
    Column("rule_id", ForeignKey("assignment_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class AssignmentRule(TimestampMixin, db.Model):
    """An HR officer's assignment of a programme (or of one required course) to a department subtree —
    optionally only one rank — or to selected people. Rules, not copies: people who join the subtree later
    are assigned when they are placed. ``department_id`` is the rule's scope root, also for selected people."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(16), default=Target.DEPARTMENT)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    rank: Mapped[str] = mapped_column(String(32), default="")  # "" = every rank
    due_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None]  # withdrawn: no longer assigns anyone

    program: Mapped[Program | None] = relationship()
    department: Mapped[Department] = relationship(lazy="joined")
    people: Mapped[list[User]] = relationship(secondary=assignment_rule_people)


class ProgramAssignment(db.Model):
    """One person in one programme, with the progress computed from their records: the requirements (a JSON
    list, see ``constants.Requirement``), percent complete, status and the current certificate. Recomputed by
    ``services.progress.refresh`` on the events that change it, never on page views."""

    __tablename__ = "program_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "program_id"),
        Index("ix_program_assignments_program_id_status", "program_id", "status"),
        Index("ix_program_assignments_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8), default=Source.RULE)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_rules.id", ondelete="SET NULL"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.NOT_STARTED)
    percent: Mapped[int] = mapped_column(default=0)
    requirements: Mapped[list[dict]] = mapped_column(JSON, default=list)
    renewing: Mapped[bool] = mapped_column(Boolean, default=False)  # the requirements shown are the renewal's
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None]  # of the current certificate (for "expiring within N days")
    evidence_since: Mapped[datetime | None]  # only records from this moment count (renewal, after revocation)
    computed_at: Mapped[datetime | None]

    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    certificate: Mapped[Certificate | None] = relationship(foreign_keys=[certificate_id])


class Certificate(db.Model):
    """A certificate: ``number`` (EGOV-2026-000123) for people, ``verification_code`` for the public check.
    ``cycle`` makes issuing idempotent: one certificate per (person, programme, cycle) — ``initial``,
    ``renew:<id>`` or ``after:<id>`` (after a revoked or expired certificate). Holder, department and programme
    names are kept as issued."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "program_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    cycle: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    holder_name: Mapped[str] = mapped_column(String(64))
    department_name: Mapped[str] = mapped_column(String(255))
    program_name: Mapped[str] = mapped_column(String(120))
    requirements_version: Mapped[int] = mapped_column(default=1)
    requirements: Mapped[list[dict]] = mapped_column(JSON, default=list)  # what was met, as issued

    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    renews: Mapped[Certificate | None] = relationship(remote_side=[id])

    def state(self, now: datetime) -> str:
        """``valid``, ``expired`` or ``revoked`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "valid" if now < self.expires_at else "expired"


class Notification(db.Model):
    """An in-app message to one person; ``dedupe_key`` makes each reminder land once. System notifications are
    rendered from ``kind`` and ``params`` in the reader's language; ``title``/``body`` carry an HR officer's own
    reminder text (and a fallback)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key"), Index("ix_notifications_user_id_read_at",
                                                                       "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(255), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


class YearlyHours(db.Model):
    """学时 a person earned in a year (sum of ``Enrollment.hours_credited`` by completion year), kept current by
    ``course_completed`` and rebuilt by the daily job, so the roster filters and sorts on an index."""

    __tablename__ = "yearly_hours"
    __table_args__ = (Index("ix_yearly_hours_year_hours", "year", "hours"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("0"))
    courses: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
