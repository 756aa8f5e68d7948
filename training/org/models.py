"""Departments (a materialised-path tree), users, role grants and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from training.core.clock import utcnow
from training.core.models import TimestampMixin
from training.extensions import db
from training.org.constants import DepartmentKind, Role


class Department(TimestampMixin, db.Model):
    """A node of the organisation tree. ``path`` is ``/1/7/42/``: a subtree is one indexed prefix query."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default=DepartmentKind.DIVISION)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    depth: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def is_within(self, ancestor_path: str) -> bool:
        """Whether this department lies in the subtree whose root has ``ancestor_path``."""
        return self.path.startswith(ancestor_path)

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this department, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def subtree_select(self):
        """``select(Department)`` of this department and everything below it."""
        return select(Department).where(Department.path.startswith(self.path, autoescape=True))

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.path}>"


class User(UserMixin, TimestampMixin, db.Model):
    """An official with an account. ``rank`` (职级) drives the annual 学时 target."""

    __tablename__ = "users"
    # The HR roster's scope count, name sort and last-login sort (bench/roster.py) use these.
    __table_args__ = (Index("ix_users_department_id_is_active", "department_id", "is_active"),
                      Index("ix_users_name", "name"), Index("ix_users_last_login_at", "last_login_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    rank: Mapped[str] = mapped_column(String(32), default="一级科员")
    position: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(120), default="")  # for notifications when SMTP is configured
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    session_version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select", foreign_keys="RoleGrant.user_id"
    )

    def get_id(self) -> str:
        """Flask-Login's session identity: id and session version, so bumping the version ends sessions."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        """Hash with scrypt (werkzeug's default)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()

    def has_role(self, role: Role | str) -> bool:
        """Any grant of ``role`` (scoped or not); ``learner`` is everyone's."""
        return role == Role.LEARNER or any(grant.role == role for grant in self.grants)

    @property
    def roles(self) -> set[str]:
        return {Role.LEARNER, *(grant.role for grant in self.grants)}

    def __repr__(self) -> str:
        return f"<User {self.employee_no}>"


class RoleGrant(TimestampMixin, db.Model):
    """A role for a user; ``department_id`` is the root of the scope (required for hr and leader)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    department: Mapped[Department | None] = relationship(lazy="joined")


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once at creation."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self) -> bool:
        now = utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
