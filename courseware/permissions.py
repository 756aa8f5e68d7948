"""Who may do what with courseware. Reading is open to every signed-in official."""

from __future__ import annotations

from training.org.constants import Role
from training.org.models import User
from training.org.permissions import is_admin


def can_edit_courseware(user: User) -> bool:
    """Examiners and administrators edit lessons in the browser."""
    return bool(user and user.is_authenticated and (is_admin(user) or user.has_role(Role.EXAMINER)))


def can_configure_study_hours(user: User) -> bool:
    """The 学时 rule and the annual targets are site policy: administrators only."""
    return is_admin(user)
