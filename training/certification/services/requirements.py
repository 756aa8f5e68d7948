"""Evaluating a programme's requirements for many people at once: the records (completed courses, 学时, released
exam results, prerequisite certificates, earlier certificates) are read with one query each for a batch of
people, then each person's standing is worked out in Python from those rows.

Which records count (the *cycle*):
- first certificate (``initial``): every completed course and every released exam result, whenever earned;
- after a revoked certificate (``after:<id>``): the initial requirements again, courses at any time but the exam
  passed after the revocation;
- renewal of a certificate (``renew:<id>``), from the opening of its renewal window or after it expired: the
  renewal requirements (refresher courses, renewal 学时 and exam — or the initial ones when the programme defines
  none). The exam must be passed, and the 学时 earned (from any course: continuing education), after that
  certificate was issued; a refresher course counts whenever it was completed, because a course is completed
  once and cannot be retaken — the exam is what each renewal has to prove again.
For a first certificate 学时 count from the programme's courses (initial and renewal lists).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from courseware.models import Course, Enrollment
from question_bank.exams.models import Attempt, Exam
from question_bank.exams.services.results import exam_results_released
from training.certification.constants import Purpose, Requirement, Status
from training.certification.models import Certificate, Program, ProgramCourse
from training.extensions import db


@dataclass
class Records:
    """A batch's records for one programme, keyed by user id."""

    completions: dict[int, dict[int, tuple[datetime, Decimal]]] = field(default_factory=lambda: defaultdict(dict))
    all_hours: dict[int, list[tuple[datetime, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    attempts: dict[int, dict[int, list[tuple[datetime, Decimal]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    prerequisite_until: dict[int, datetime] = field(default_factory=dict)
    certificates: dict[int, list[Certificate]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class ProgramFacts:
    """What a programme asks for, read once per batch."""

    program: Program
    initial: list[tuple[int, str, str]]  # (course id, code, title) of required initial courses
    renewal: list[tuple[int, str, str]]
    all_course_ids: list[int]
    exams: dict[int, tuple[str, Decimal, bool]]  # exam id → (title, pass mark, results released now)
    prerequisite_name: str


@dataclass(frozen=True)
class Standing:
    """A person's computed standing in a programme."""

    status: str
    percent: int
    requirements: list[dict]
    renewing: bool
    evidence_since: datetime | None
    certificate: Certificate | None  # the current (valid, or last) certificate
    issue: tuple[str, Certificate | None] | None  # (cycle, certificate renewed) when a certificate is due now


def program_facts(program: Program, now: datetime) -> ProgramFacts:
    """The programme's course lists, exams (with pass marks and whether results are out) and prerequisite."""
    rows = db.session.execute(
        select(ProgramCourse.course_id, ProgramCourse.purpose, ProgramCourse.required, Course.code, Course.title)
        .join(Course, Course.id == ProgramCourse.course_id).where(ProgramCourse.program_id == program.id)
        .order_by(ProgramCourse.purpose, ProgramCourse.position, Course.code)).all()
    initial = [(r.course_id, r.code, r.title) for r in rows if r.purpose == Purpose.INITIAL and r.required]
    renewal = [(r.course_id, r.code, r.title) for r in rows if r.purpose == Purpose.RENEWAL and r.required]
    exam_ids = [i for i in (program.exam_id, program.renewal_exam_id) if i]
    exams = {exam.id: (exam.title, exam.pass_score, exam_results_released(exam, now))
             for exam in db.session.scalars(select(Exam).where(Exam.id.in_(exam_ids)))} if exam_ids else {}
    prerequisite = program.prerequisite.name if program.prerequisite is not None else ""
    return ProgramFacts(program, initial, renewal, sorted({r.course_id for r in rows}), exams, prerequisite)


def load_records(facts: ProgramFacts, user_ids: Iterable[int], now: datetime) -> Records:
    """Four queries for the whole batch: completed courses (a person completes a few dozen at most), graded
    attempts, prerequisite and own certificates."""
    ids, records, program = list(user_ids), Records(), facts.program
    programme_courses = set(facts.all_course_ids)
    for user_id, course_id, completed_at, hours in db.session.execute(
            select(Enrollment.user_id, Enrollment.course_id, Enrollment.completed_at, Enrollment.hours_credited)
            .where(Enrollment.user_id.in_(ids), Enrollment.completed_at.is_not(None))):
        records.all_hours[user_id].append((completed_at, hours or Decimal("0")))
        if course_id in programme_courses:
            records.completions[user_id][course_id] = (completed_at, hours or Decimal("0"))
    released = [exam_id for exam_id, (_t, _p, out) in facts.exams.items() if out]
    if released:
        for user_id, exam_id, submitted_at, score in db.session.execute(
                select(Attempt.user_id, Attempt.exam_id, Attempt.submitted_at, Attempt.score)
                .where(Attempt.user_id.in_(ids), Attempt.exam_id.in_(released), Attempt.status == "graded",
                       Attempt.score.is_not(None))):
            records.attempts[user_id][exam_id].append((submitted_at, score))
    if program.prerequisite_id:
        for user_id, expires_at in db.session.execute(
                select(Certificate.user_id, Certificate.expires_at)
                .where(Certificate.user_id.in_(ids), Certificate.program_id == program.prerequisite_id,
                       Certificate.revoked_at.is_(None), Certificate.expires_at > now)):
            records.prerequisite_until[user_id] = max(expires_at, records.prerequisite_until.get(user_id, expires_at))
    for certificate in db.session.scalars(
            select(Certificate).where(Certificate.user_id.in_(ids), Certificate.program_id == program.id)
            .order_by(Certificate.issued_at, Certificate.id)):
        records.certificates[certificate.user_id].append(certificate)
    return records


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months (the day clamped to the target month's length)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    next_month = datetime(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def window_opens(certificate: Certificate, program: Program) -> datetime:
    """When the renewal window of ``certificate`` opens."""
    return certificate.expires_at - timedelta(days=program.renewal_window_days)


def _renewal_defined(program: Program, facts: ProgramFacts) -> bool:
    return bool(facts.renewal or program.renewal_exam_id or program.renewal_min_hours)


def _checklist(facts: ProgramFacts, records: Records, user_id: int, *, renewal: bool,
               hours_since: datetime | None, exam_since: datetime | None) -> list[dict]:
    """The requirement list with ``met`` flags for one person and one cycle."""
    program, items = facts.program, []
    use_renewal = renewal and _renewal_defined(program, facts)
    if program.prerequisite_id and not renewal:
        items.append({"kind": Requirement.PREREQUISITE, "program_id": program.prerequisite_id,
                      "name": facts.prerequisite_name, "met": user_id in records.prerequisite_until})
    done = records.completions.get(user_id, {})
    for course_id, code, title in (facts.renewal if use_renewal else facts.initial):
        items.append({"kind": Requirement.COURSE, "course_id": course_id, "code": code, "title": title,
                      "met": course_id in done})
    minimum = program.renewal_min_hours if use_renewal else program.min_hours
    if minimum and minimum > 0:
        if renewal:  # continuing education: any course completed in this cycle
            earned = sum((hours for at, hours in records.all_hours.get(user_id, []) if at > hours_since),
                         Decimal("0"))
        else:
            earned = sum((hours for _at, hours in done.values()), Decimal("0"))
        items.append({"kind": Requirement.HOURS, "required": float(minimum), "earned": float(earned),
                      "met": earned >= minimum})
    exam_id = program.renewal_exam_id if use_renewal else program.exam_id
    if exam_id and exam_id in facts.exams:
        title, pass_mark, _released = facts.exams[exam_id]
        floor = (program.renewal_min_score if use_renewal else program.min_score)
        floor = pass_mark if floor is None else floor
        scores = [score for at, score in records.attempts.get(user_id, {}).get(exam_id, [])
                  if exam_since is None or (at is not None and at > exam_since)]
        best = max(scores) if scores else None
        items.append({"kind": Requirement.EXAM, "exam_id": exam_id, "title": title, "min_score": float(floor),
                      "best": None if best is None else float(best), "met": best is not None and best >= floor})
    return items


def percent_done(items: list[dict]) -> int:
    """Share of the requirements met, 学时 counting in proportion to what was earned."""
    if not items:
        return 100
    total = 0.0
    for item in items:
        if item["kind"] == Requirement.HOURS and not item["met"]:
            total += min(1.0, item["earned"] / item["required"]) if item["required"] else 1.0
        else:
            total += 1.0 if item["met"] else 0.0
    return int(100 * total / len(items))


def _open_status(items: list[dict], due_at: datetime | None, now: datetime) -> str:
    """Status of someone never certified (or whose certificate was revoked) with requirements still open."""
    if due_at is not None and due_at < now:
        return Status.OVERDUE
    if not any(item["met"] for item in items) and not any(
            item["kind"] == Requirement.HOURS and item["earned"] > 0 for item in items):
        return Status.NOT_STARTED
    if all(item["met"] for item in items if item["kind"] != Requirement.EXAM):
        return Status.AWAITING_EXAM
    return Status.IN_PROGRESS


def standing_of(facts: ProgramFacts, records: Records, user_id: int, due_at: datetime | None,
                now: datetime) -> Standing:
    """Work out one person's standing from the batch's records (no queries)."""
    program = facts.program
    certificates = records.certificates.get(user_id, [])
    latest = certificates[-1] if certificates else None
    if latest is not None and latest.state(now) == "valid":
        opens = window_opens(latest, program)
        if now < opens:
            return Standing(Status.CERTIFIED, 100, latest.requirements or [], False, None, latest, None)
        items = _checklist(facts, records, user_id, renewal=True, hours_since=latest.issued_at,
                           exam_since=latest.issued_at)
        if all(item["met"] for item in items):
            return Standing(Status.CERTIFIED, 100, items, True, latest.issued_at, latest,
                            (f"renew:{latest.id}", latest))
        return Standing(Status.EXPIRING, percent_done(items), items, True, latest.issued_at, latest, None)
    if latest is not None and latest.revoked_at is None:  # expired, not renewed
        items = _checklist(facts, records, user_id, renewal=True, hours_since=latest.issued_at,
                           exam_since=latest.issued_at)
        met = all(item["met"] for item in items)
        return Standing(Status.CERTIFIED if met else Status.EXPIRED, 100 if met else percent_done(items), items,
                        True, latest.issued_at, latest, (f"renew:{latest.id}", latest) if met else None)
    since = latest.revoked_at if latest is not None else None
    items = _checklist(facts, records, user_id, renewal=False, hours_since=None, exam_since=since)
    if all(item["met"] for item in items):
        cycle = f"after:{latest.id}" if latest is not None else "initial"
        return Standing(Status.CERTIFIED, 100, items, False, since, latest, (cycle, None))
    status = _open_status(items, due_at, now)
    return Standing(status, percent_done(items), items, False, since, latest, None)
