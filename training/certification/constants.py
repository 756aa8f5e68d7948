"""Closed vocabularies of certification: progress statuses, requirement kinds, notification kinds."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Status(StrEnum):
    """A person's standing in a programme (stored on ``ProgramAssignment.status``)."""

    NOT_STARTED = "not_started"  # 未开始: nothing of the requirements done yet
    IN_PROGRESS = "in_progress"  # 学习中: some requirement met
    AWAITING_EXAM = "awaiting_exam"  # 待考试: everything but the exam met
    CERTIFIED = "certified"  # 已认证: a valid certificate, renewal window not open yet
    EXPIRING = "expiring"  # 即将到期: a valid certificate inside its renewal window
    EXPIRED = "expired"  # 已过期: the last certificate expired and was not renewed
    OVERDUE = "overdue"  # 逾期未完成: never certified and past the due date


STATUS_LABELS = {
    Status.NOT_STARTED: _l("未开始"),
    Status.IN_PROGRESS: _l("学习中"),
    Status.AWAITING_EXAM: _l("待考试"),
    Status.CERTIFIED: _l("已认证"),
    Status.EXPIRING: _l("即将到期"),
    Status.EXPIRED: _l("已过期"),
    Status.OVERDUE: _l("逾期未完成"),
}
#: CSS badge class of each status (the same colours on every page).
STATUS_BADGES = {
    Status.NOT_STARTED: "badge-info",
    Status.IN_PROGRESS: "badge-info",
    Status.AWAITING_EXAM: "badge-warn",
    Status.CERTIFIED: "badge-ok",
    Status.EXPIRING: "badge-warn",
    Status.EXPIRED: "badge-err",
    Status.OVERDUE: "badge-err",
}
#: Statuses of a person who holds a valid certificate.
HOLDING = (Status.CERTIFIED, Status.EXPIRING)
#: Statuses of a person who still has something to do (the "behind schedule" candidates).
OPEN = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.AWAITING_EXAM, Status.OVERDUE, Status.EXPIRED,
        Status.EXPIRING)


class Purpose(StrEnum):
    """What a programme's course list is for: the first certificate or its renewal (refresher)."""

    INITIAL = "initial"
    RENEWAL = "renewal"


class Requirement(StrEnum):
    """Kinds of requirement in ``ProgramAssignment.requirements`` (a JSON list of dicts with ``kind``, ``met``)."""

    PREREQUISITE = "prerequisite"  # + program_id, name
    COURSE = "course"  # + course_id, code, title
    HOURS = "hours"  # + required, earned (学时)
    EXAM = "exam"  # + exam_id, title, min_score, best (None if no released graded attempt)


class Source(StrEnum):
    """How a person came to a programme or an assigned course."""

    RULE = "rule"  # an HR assignment rule (department subtree, rank or selected people)
    SELF = "self"  # the learner joined the programme


class Target(StrEnum):
    """Whom an assignment rule reaches."""

    DEPARTMENT = "department"  # everyone (optionally of one rank) in a department subtree, now and later
    PEOPLE = "people"  # the selected people


class NotificationKind(StrEnum):
    """In-app notifications (and e-mails when SMTP is configured)."""

    ASSIGNED = "assigned"
    DUE_SOON = "due_soon"  # due in 14 days
    OVERDUE = "overdue"
    CERTIFICATE_ISSUED = "certificate_issued"
    EXPIRING = "expiring"  # certificate expires in 60 days
    REVOKED = "revoked"
    REMINDER = "reminder"  # an HR officer's reminder


DUE_SOON_DAYS = 14
EXPIRY_NOTICE_DAYS = 60
DEFAULT_RENEWAL_WINDOW_DAYS = 90
CERTIFICATE_PREFIX = "EGOV"
