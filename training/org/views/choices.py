"""Select-box choices built from departments (indented by depth)."""

from __future__ import annotations

from training.org.models import Department, User
from training.org.permissions import can_manage_department
from training.org.services.departments import visible_departments


def department_choices(departments: list[Department], ids: bool = False):
    """``[(department, label)]`` (or ``[(id, label)]`` with ``ids``) with labels indented by depth."""
    base_depth = min((d.depth for d in departments), default=0)
    pairs = [(d, "\u3000" * (d.depth - base_depth) + f"{d.name}（{d.code}）") for d in departments]
    return [(d.id, label) for d, label in pairs] if ids else pairs


def manageable_departments(user: User) -> list[Department]:
    """Departments whose people the user may manage, in tree order."""
    return [d for d in visible_departments(user) if can_manage_department(user, d)]
