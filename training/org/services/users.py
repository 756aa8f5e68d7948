"""People administration: create, edit, deactivate, reset, grant and revoke roles — scoped and audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from training.core.audit import record_audit
from training.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from training.core.signals import user_placed
from training.extensions import db
from training.org.constants import RANK_NAMES, SCOPED_ROLES, Role
from training.org.models import Department, RoleGrant, User
from training.org.permissions import can_grant_role, can_manage_department, can_manage_user, scope_clause


@dataclass(frozen=True)
class UserData:
    """The editable fields of an official's record."""

    employee_no: str
    name: str
    department: Department
    rank: str
    position: str = ""
    email: str = ""


def generate_initial_password() -> str:
    """A random 16-character password to hand to a new official (must be changed at first login)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def validate_user_data(data: UserData) -> None:
    """Raise ValidationFailed for an empty name or employee number or an unknown rank."""
    if not data.employee_no.strip() or not data.name.strip():
        raise ValidationFailed(_("工号和姓名不能为空"))
    if data.rank not in RANK_NAMES:
        raise ValidationFailed(_("未知的职级：%(rank)s", rank=data.rank))


def get_user(actor: User, user_id: int) -> User:
    """The user with ``user_id`` if ``actor`` may manage them; NotFound otherwise (no existence leak)."""
    user = db.session.get(User, user_id)
    if user is None or not can_manage_user(actor, user):
        raise NotFound(_("用户不存在或不在您的管理范围内"))
    return user


def create_user(actor: User, data: UserData, password: str | None = None) -> tuple[User, str]:
    """Create an official in the actor's scope; returns the user and the initial password (shown once)."""
    validate_user_data(data)
    if not can_manage_department(actor, data.department):
        raise PermissionDenied(_("无权在该部门下创建用户"))
    if db.session.scalar(select(User.id).where(User.employee_no == data.employee_no.strip())):
        raise Conflict(_("工号 %(no)s 已存在", no=data.employee_no))
    password = password or generate_initial_password()
    user = User(employee_no=data.employee_no.strip(), name=data.name.strip(), department=data.department,
                rank=data.rank, position=data.position.strip(), email=data.email.strip(),
                must_change_password=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_audit(actor.id, "user.create", "user", user.id, employee_no=user.employee_no,
                 department=data.department.code)
    db.session.commit()
    user_placed.send(user)
    return user, password


def update_user(actor: User, user: User, data: UserData) -> User:
    """Edit an official's record; moving them to another department needs scope over both."""
    validate_user_data(data)
    if not can_manage_user(actor, user) or not can_manage_department(actor, data.department):
        raise PermissionDenied(_("无权修改该用户"))
    clash = db.session.scalar(select(User.id).where(User.employee_no == data.employee_no.strip()))
    if clash is not None and clash != user.id:
        raise Conflict(_("工号 %(no)s 已存在", no=data.employee_no))
    before = {"employee_no": user.employee_no, "name": user.name, "department": user.department.code,
              "rank": user.rank, "position": user.position, "email": user.email}
    moved = user.department_id != data.department.id or user.rank != data.rank
    user.employee_no, user.name = data.employee_no.strip(), data.name.strip()
    user.department, user.rank, user.position = data.department, data.rank, data.position.strip()
    user.email = data.email.strip()
    after = {"employee_no": user.employee_no, "name": user.name, "department": data.department.code,
             "rank": user.rank, "position": user.position, "email": user.email}
    record_audit(actor.id, "user.update", "user", user.id,
                 changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    db.session.commit()
    if moved:  # a new department or rank: rules for it may now apply
        user_placed.send(user)
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (ends their sessions) or reactivate an official."""
    if not can_manage_user(actor, user):
        raise PermissionDenied(_("无权修改该用户"))
    if user.id == actor.id and not active:
        raise ValidationFailed(_("不能停用自己的账号"))
    user.is_active = active
    if not active:
        user.session_version += 1
    record_audit(actor.id, "user.activate" if active else "user.deactivate", "user", user.id)
    db.session.commit()
    if active:
        user_placed.send(user)


def reset_password(actor: User, user: User) -> str:
    """Give the official a new random password that must be changed at next login; ends their sessions."""
    if not can_manage_user(actor, user):
        raise PermissionDenied(_("无权重置该用户的密码"))
    password = generate_initial_password()
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    user.session_version += 1
    record_audit(actor.id, "user.reset_password", "user", user.id)
    db.session.commit()
    return password


def grant_role(actor: User, user: User, role: str, department: Department | None) -> RoleGrant:
    """Grant ``role`` to ``user``; ``hr``/``leader`` need a department (the root of their scope)."""
    if role not in set(Role):
        raise ValidationFailed(_("未知的角色"))
    if role in SCOPED_ROLES and department is None:
        raise ValidationFailed(_("组织人事和领导角色必须指定管辖部门"))
    if not can_manage_user(actor, user) or not can_grant_role(actor, role, department or user.department):
        raise PermissionDenied(_("无权授予该角色"))
    department_id = department.id if department else None
    existing = db.session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        RoleGrant.department_id.is_(None) if department_id is None else RoleGrant.department_id == department_id))
    if existing:
        return existing
    grant = RoleGrant(user_id=user.id, role=role, department_id=department_id, granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()
    record_audit(actor.id, "role.grant", "user", user.id, role=role,
                 department=department.code if department else None)
    db.session.commit()
    return grant


def revoke_role(actor: User, grant_id: int) -> None:
    """Revoke a role grant; the holder's sessions end so the change applies at once."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(_("授权不存在"))
    if not can_manage_user(actor, grant.user) or not can_grant_role(actor, grant.role,
                                                                    grant.department or grant.user.department):
        raise PermissionDenied(_("无权撤销该角色"))
    user = grant.user
    record_audit(actor.id, "role.revoke", "user", user.id, role=grant.role,
                 department=grant.department.code if grant.department else None)
    db.session.delete(grant)
    user.session_version += 1
    db.session.commit()


@dataclass(frozen=True)
class UserPage:
    """One page of a user listing."""

    items: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_users(actor: User, *, query: str = "", department: Department | None = None,
               include_inactive: bool = False, page: int = 1, per_page: int = 50) -> UserPage:
    """Users the actor may manage, filtered by text (工号/姓名) and department subtree, paginated in SQL."""
    conditions = [scope_clause(actor, Department.path, Role.HR)]
    if department is not None:
        conditions.append(Department.path.startswith(department.path, autoescape=True))
    if query.strip():
        like = f"%{query.strip()}%"
        conditions.append(or_(User.name.like(like), User.employee_no.like(like)))
    if not include_inactive:
        conditions.append(User.is_active.is_(True))
    base = select(User).join(User.department).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = list(db.session.scalars(base.order_by(Department.path, User.employee_no)
                                    .limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return UserPage(items=items, total=total, page=page, per_page=per_page)


def find_department_for_actor(actor: User, department_id: int | None) -> Department | None:
    """A department the actor may manage people in, or None when no id is given; NotFound otherwise."""
    if department_id is None:
        return None
    department = db.session.get(Department, department_id)
    if department is None or not can_manage_department(actor, department):
        raise NotFound(_("部门不存在或不在您的管理范围内"))
    return department


def find_acting_user(employee_no: str | None, roles: tuple[Role, ...]) -> User | None:
    """Who a command-line change is made by: the named official, else the first holder of one of ``roles``."""
    if employee_no:
        return db.session.scalar(select(User).where(User.employee_no == employee_no))
    return db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                             .where(RoleGrant.role.in_(roles)).order_by(User.id).limit(1))
