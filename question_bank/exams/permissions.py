"""Who may do what with exams. Examiners (and administrators) manage exams organised by departments in their
examiner scope; candidates only ever reach their own attempts."""

from __future__ import annotations

from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import is_admin, scope_paths


def can_manage_exams(user: User) -> bool:
    """The exam-management area (blueprints, exams) is for examiners and administrators."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_role(Role.EXAMINER)))


def can_organise_for(user: User, department: Department | None) -> bool:
    """Whether ``user`` may organise an exam for ``department`` or put it in an audience: an examiner grant
    without a department reaches everywhere, one with a department reaches its subtree."""
    if department is None or not can_manage_exams(user):
        return False
    paths = scope_paths(user, Role.EXAMINER)
    return paths is None or any(department.path.startswith(path) for path in paths)


def can_manage_exam(user: User, exam) -> bool:
    """Edit, publish, release or read the attempts of ``exam``."""
    return exam is not None and can_organise_for(user, exam.department)


def can_use_console(user: User) -> bool:
    """The exam-day console is for examiners, HR officers with a scope, and administrators; each exam and each
    candidate is then checked against their examiner or HR scope."""
    return bool(user and user.is_authenticated and (can_manage_exams(user) or scope_paths(user, Role.HR) != []))
