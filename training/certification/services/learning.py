"""The learner's side of certification: their programmes with the stored progress, the programmes open to join,
and a certificate's history (the certificates it renews or follows)."""

from __future__ import annotations

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import selectinload

from training.certification.models import Certificate, Program, ProgramAssignment
from training.extensions import db
from training.org.models import Department, User

#: Badge class of each status on the learner's pages (presentation, kept out of the templates' logic).


def my_assignments(user_id: int) -> list[ProgramAssignment]:
    """The person's programmes with their progress and current certificate (two queries), those with a due
    date first by due date, then by programme code."""
    return list(db.session.scalars(
        select(ProgramAssignment).join(ProgramAssignment.program)
        .where(ProgramAssignment.user_id == user_id)
        .options(selectinload(ProgramAssignment.certificate))
        .order_by(ProgramAssignment.due_at.is_(None), ProgramAssignment.due_at, Program.code)))


def joinable_programs(user: User) -> list[Program]:
    """Active programmes the person may join themselves and has not joined: organisation-wide ones and those
    owned by their own department or one above it (the same rule as ``assignments.join_program``), by code."""
    joined = select(ProgramAssignment.program_id).where(ProgramAssignment.user_id == user.id)
    owner_on_path = literal(user.department.path).like(Department.path + "%")
    return list(db.session.scalars(
        select(Program).outerjoin(Department, Department.id == Program.department_id)
        .where(Program.is_active.is_(True), Program.id.not_in(joined),
               or_(Program.department_id.is_(None), owner_on_path))
        .order_by(Program.code)))


def certificate_history(certificate: Certificate) -> list[tuple[Certificate, str | None]]:
    """Every certificate of the same holder in the same programme, oldest first (one query) — the renewal
    chain and certificates issued again after a revocation or expiry — each with the number of the
    certificate it renews (None if it renews none)."""
    rows = list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == certificate.user_id,
                                  Certificate.program_id == certificate.program_id)
        .order_by(Certificate.issued_at, Certificate.id)))
    numbers = {row.id: row.number for row in rows}
    return [(row, numbers.get(row.renews_id) if row.renews_id else None) for row in rows]
