"""Each person's progress in their programmes, recomputed on the events that change it (a course completed, an
attempt graded, a certificate expired or revoked, a programme edited) and by the daily job — never on a page view.

Issuing is idempotent: a certificate is unique per (person, programme, cycle), so two events arriving together
issue it once. Editing a programme's requirements recomputes progress but never touches an issued certificate:
holders stay certified until their certificate expires (their renewal then follows the new requirements).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training.certification.constants import CERTIFICATE_PREFIX, NotificationKind, Requirement, Status
from training.certification.models import Certificate, Program, ProgramAssignment
from training.certification.services.notifications import notify
from training.certification.services.requirements import (
    ProgramFacts,
    Standing,
    add_months,
    load_records,
    program_facts,
    standing_of,
)
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.extensions import db
from training.org.models import Department, User

BATCH = 500
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people


def refresh(user_id: int, program_ids: Iterable[int] | None = None, *, now: datetime | None = None) -> None:
    """Recompute one person's programmes (all, or ``program_ids``), issuing certificates now due; commits."""
    now = now or utcnow()
    query = select(ProgramAssignment).where(ProgramAssignment.user_id == user_id)
    if program_ids is not None:
        query = query.where(ProgramAssignment.program_id.in_(list(program_ids)))
    for row in db.session.scalars(query).all():
        refresh_rows(row.program, [row], now)
    db.session.commit()


def refresh_program(program_id: int, *, now: datetime | None = None, where=None) -> int:
    """Recompute everyone in a programme (optionally only rows matching ``where``), in batches of 500 with one
    commit each; returns how many rows changed status, percent or certificate."""
    now = now or utcnow()
    program = db.session.get(Program, program_id)
    if program is None:
        return 0
    changed, last_id = 0, 0
    while True:
        query = select(ProgramAssignment).where(ProgramAssignment.program_id == program_id,
                                                ProgramAssignment.id > last_id)
        if where is not None:
            query = query.where(where)
        rows = db.session.scalars(query.order_by(ProgramAssignment.id).limit(BATCH)).all()
        if not rows:
            return changed
        changed += refresh_rows(program, rows, now)
        last_id = rows[-1].id
        db.session.commit()


def refresh_rows(program: Program, rows: list[ProgramAssignment], now: datetime) -> int:
    """Recompute ``rows`` (all of ``program``) from one batch of records; no commit. Returns rows changed."""
    facts = program_facts(program, now)
    records = load_records(facts, [row.user_id for row in rows], now)
    changed, certified = 0, []
    for row in rows:
        standing = standing_of(facts, records, row.user_id, row.due_at, now)
        certificate = standing.certificate
        if standing.issue is not None:
            certificate = issue_certificate(facts, row.user_id, standing, now)
            certified.append(row.user_id)
        changed += _store(row, standing, certificate, now)
    if certified:  # a new certificate may be the prerequisite of another programme they are in
        db.session.flush()
        changed += _refresh_dependants(program.id, certified, now)
    return changed


def _refresh_dependants(program_id: int, user_ids: list[int], now: datetime) -> int:
    dependants = db.session.scalars(select(ProgramAssignment).join(ProgramAssignment.program).where(
        Program.prerequisite_id == program_id, ProgramAssignment.user_id.in_(user_ids))).all()
    by_program: dict[int, list[ProgramAssignment]] = {}
    for row in dependants:
        by_program.setdefault(row.program_id, []).append(row)
    return sum(refresh_rows(rows[0].program, rows, now) for rows in by_program.values())


def _store(row: ProgramAssignment, standing: Standing, certificate: Certificate | None, now: datetime) -> int:
    current = certificate if certificate is not None and certificate.revoked_at is None else None
    values = {"status": standing.status, "percent": standing.percent, "requirements": standing.requirements,
              "renewing": standing.renewing, "evidence_since": standing.evidence_since,
              "certificate_id": current.id if current else None,
              "expires_at": current.expires_at if current else None}
    if current is not None and current.state(now) == "valid" and standing.issue is not None:
        values.update(status=Status.CERTIFIED, percent=100, renewing=False, requirements=current.requirements)
    differs = any(getattr(row, key) != value for key, value in values.items())
    for key, value in values.items():
        setattr(row, key, value)
    row.computed_at = now
    return int(differs)


def _department_label(department: Department) -> str:
    """The holder's unit as printed: the parent's name and the department's own (e.g. 清川市人社局 公务员管理科)."""
    parent = department.parent
    return f"{parent.name} {department.name}" if parent is not None and parent.parent_id is not None \
        else department.name


def new_verification_code() -> str:
    """12 random characters of an unambiguous alphabet (60 bits): not guessable, easy to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def issue_certificate(facts: ProgramFacts, user_id: int, standing: Standing, now: datetime) -> Certificate:
    """Issue the certificate ``standing`` calls for (once per cycle); notifies the holder and audits."""
    program = facts.program
    cycle, renewed = standing.issue
    start = renewed.expires_at if renewed is not None and renewed.expires_at > now else now
    user = db.session.get(User, user_id)
    certificate = Certificate(
        verification_code=new_verification_code(), user_id=user_id, program_id=program.id, cycle=cycle,
        issued_at=now, expires_at=add_months(start, program.validity_months),
        renews_id=renewed.id if renewed is not None else None, holder_name=user.name,
        department_name=_department_label(user.department), program_name=program.name,
        requirements_version=program.requirements_version, requirements=standing.requirements)
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:  # issued meanwhile by a concurrent event: that one stands
        return db.session.scalars(select(Certificate).where(
            Certificate.user_id == user_id, Certificate.program_id == program.id, Certificate.cycle == cycle)).one()
    certificate.number = f"{CERTIFICATE_PREFIX}-{now.year}-{certificate.id:06d}"
    record_audit(None, "certificate.issue", "certificate", certificate.id, number=certificate.number,
                 user=user.employee_no, program=program.code, cycle=cycle,
                 renews=renewed.number if renewed is not None else None)
    notify(user_id, NotificationKind.CERTIFICATE_ISSUED, dedupe_key=f"certificate:{certificate.id}",
           params={"program": program.name, "number": certificate.number, "certificate_id": certificate.id},
           link=f"/certificates/{certificate.id}")
    return certificate


def next_step_text(assignment: ProgramAssignment) -> str:
    """What the person should do next, in words (the first requirement not met yet)."""
    for item in assignment.requirements or []:
        if item.get("met"):
            continue
        kind = item.get("kind")
        if kind == Requirement.PREREQUISITE:
            return _("先取得《%(name)s》证书", name=item["name"])
        if kind == Requirement.COURSE:
            return _("完成课程《%(title)s》", title=item["title"])
        if kind == Requirement.HOURS:
            missing = max(0.0, item["required"] - item["earned"])
            return _("再修满 %(hours)s 学时", hours=f"{missing:g}")
        if kind == Requirement.EXAM:
            score = f"{item['min_score']:g}"
            if item.get("best") is None:
                return _("参加考试《%(title)s》（%(score)s 分合格）", title=item["title"], score=score)
            return _("重新参加考试《%(title)s》，需达到 %(score)s 分", title=item["title"], score=score)
    if assignment.status == Status.EXPIRED:
        return _("证书已过期，请完成复训要求")
    if assignment.status in (Status.CERTIFIED, Status.EXPIRING):
        return _("已取得证书")
    return ""
