"""Permission predicates (FlaskBB's style): plain functions of (user, object) used by views, API and services.

Deny by default: every predicate answers False unless a grant says otherwise. ``hr`` and ``leader`` grants are
scoped to a department subtree; ``admin`` sees and manages everything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from training.org.constants import SCOPED_ROLES, Role
from training.org.models import Department, User


def is_admin(user: User) -> bool:
    """Whether the user holds the ``admin`` role."""
    return bool(user and user.is_authenticated and user.has_role(Role.ADMIN))


def scope_paths(user: User, *roles: Role) -> list[str] | None:
    """Materialised paths of the subtrees where ``user`` holds one of ``roles``; ``None`` means everywhere
    (admins, or an unscoped grant of a role that may be unscoped)."""
    if is_admin(user):
        return None
    paths: list[str] = []
    for grant in user.grants:
        if grant.role in roles:
            if grant.department is None:
                if grant.role in SCOPED_ROLES:
                    continue  # a scoped role without a scope grants nothing (deny by default)
                return None
            paths.append(grant.department.path)
    return paths


def scope_clause(user: User, path_column, *roles: Role) -> ColumnElement[bool]:
    """SQL condition restricting ``path_column`` (a department path) to the user's scope for ``roles``."""
    paths = scope_paths(user, *roles)
    if paths is None:
        return true()
    if not paths:
        return false()
    return or_(*(path_column.startswith(path, autoescape=True) for path in paths))


def _in_scope(user: User, department: Department | None, *roles: Role) -> bool:
    if department is None or not user or not user.is_authenticated:
        return False
    paths = scope_paths(user, *roles)
    return paths is None or any(department.path.startswith(path) for path in paths)


def can_view_department(user: User, department: Department | None) -> bool:
    """Admins, and HR officers or leaders whose subtree contains the department."""
    return _in_scope(user, department, Role.HR, Role.LEADER)


def can_manage_department(user: User, department: Department | None) -> bool:
    """May manage the people of ``department``: admins, and HR officers whose subtree contains it."""
    return _in_scope(user, department, Role.HR)


def can_edit_org_tree(user: User) -> bool:
    """Creating, renaming and moving departments is for admins only."""
    return is_admin(user)


def can_manage_user(actor: User, target: User | None) -> bool:
    """Create, edit, deactivate or reset ``target``: admins, and HR officers whose subtree holds them."""
    return target is not None and can_manage_department(actor, target.department)


def can_grant_role(actor: User, role: Role | str, department: Department | None) -> bool:
    """Granting roles is privileged: admins may grant any role; HR officers only ``learner`` in scope."""
    if is_admin(actor):
        return True
    return role == Role.LEARNER and can_manage_department(actor, department)


def can_use_people_admin(user: User) -> bool:
    """Whether the people-administration area (users, roster import) is open to the user at all."""
    return is_admin(user) or bool(scope_paths(user, Role.HR))


def can_view_audit_log(user: User) -> bool:
    """Only admins read the audit log."""
    return is_admin(user)
