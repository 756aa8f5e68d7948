"""Who reads leadership reports: admins (everything), leaders and HR officers for their department subtree.
Learners read none. A person's competency profile: leaders and HR officers whose subtree holds the person."""

from __future__ import annotations

from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import can_view_department, is_admin, scope_paths


def can_use_reports(user: User) -> bool:
    """The reports area at all: admins, and leaders or HR officers with a scope."""
    return bool(user and user.is_authenticated) and (is_admin(user) or bool(scope_paths(user, Role.LEADER, Role.HR)))


def can_read_department_report(user: User, department: Department | None) -> bool:
    """A department's dashboard (and its exports and API): its subtree must lie in the viewer's scope."""
    return can_view_department(user, department)


def can_read_person_profile(user: User, person: User | None) -> bool:
    """A person's competency profile: leaders and HR officers whose subtree holds them, admins."""
    return person is not None and can_view_department(user, person.department)
