"""Permission predicates of certification and the HR workspace (deny by default, scoped by department).

HR officers act only inside their department subtree: they assign, read progress, export and revoke there.
Programmes belong to the whole organisation (``department_id`` None: admins edit them) or to a department
(HR officers of that subtree edit them). An HR officer may *assign* a programme that is organisation-wide or
belongs to a department on the path to, or inside, their scope.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from training.certification.models import Certificate, Program
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import can_manage_department, is_admin, scope_paths


def can_use_hr_workspace(user: User) -> bool:
    """The HR workspace (roster, assignments, reminders, exports): admins and HR officers with a scope."""
    return bool(user and user.is_authenticated) and (is_admin(user) or bool(scope_paths(user, Role.HR)))


def can_manage_programs(user: User) -> bool:
    """Creating programmes: admins (organisation-wide) and HR officers (for a department in their scope)."""
    return can_use_hr_workspace(user)


def can_edit_program(user: User, program: Program | None) -> bool:
    """Editing a programme's requirements: admins; HR officers only for a programme owned inside their scope."""
    if program is None or not can_use_hr_workspace(user):
        return False
    if is_admin(user):
        return True
    return program.department is not None and can_manage_department(user, program.department)


def can_use_program(user: User, program: Program | None) -> bool:
    """Seeing and assigning a programme: organisation-wide ones, and those owned by a department on the path
    to or inside the officer's scope."""
    if program is None or not can_use_hr_workspace(user):
        return False
    return program.department is None or on_scope_line(user, program.department)


def on_scope_line(user: User, department: Department) -> bool:
    """Whether ``department`` lies on the path to, or inside, the user's HR scope (admins: anywhere) — whose
    programmes and exams an HR officer may build on."""
    paths = scope_paths(user, Role.HR)
    return paths is None or any(department.path.startswith(path) or path.startswith(department.path)
                                for path in paths)


def scope_line_clause(user: User, path_column) -> ColumnElement[bool]:
    """``on_scope_line`` in SQL over a department path column."""
    paths = scope_paths(user, Role.HR)
    if paths is None:
        return true()
    ancestors = {path[:end + 1] for path in paths for end, char in enumerate(path) if char == "/" and end}
    return or_(path_column.in_(sorted(ancestors)) if ancestors else false(),
               *(path_column.startswith(path, autoescape=True) for path in paths))


def can_assign_to(user: User, department: Department | None) -> bool:
    """Assigning to a department subtree (or to people in it): HR officers whose scope contains it, admins."""
    return can_manage_department(user, department)


def can_view_person(user: User, person: User | None) -> bool:
    """An official's learning record and certificates, for HR officers whose scope holds them, and admins."""
    return person is not None and can_manage_department(user, person.department)


def can_view_certificate(user: User, certificate: Certificate | None, holder: User | None) -> bool:
    """The certificate's PDF and details: its holder, HR officers in the holder's scope, admins."""
    if certificate is None or holder is None or not (user and user.is_authenticated):
        return False
    return certificate.user_id == user.id or can_view_person(user, holder)


def can_revoke_certificate(user: User, certificate: Certificate | None, holder: User | None) -> bool:
    """Revocation (audited, with a reason): HR officers in the holder's scope, admins — never the holder."""
    return certificate is not None and holder is not None and certificate.user_id != user.id \
        and can_view_person(user, holder)
