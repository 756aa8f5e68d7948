"""Site settings an administrator may change at run time, stored as JSON by key. Each owner module declares
its keys with defaults; a missing row means the default applies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from training.core.audit import record_audit
from training.core.clock import utcnow
from training.extensions import db


class Setting(db.Model):
    """One setting: ``key`` → JSON ``value``."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def get_setting(key: str, default: Any) -> Any:
    """The stored value of ``key``, or ``default`` when none is stored."""
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def put_setting(actor_id: int | None, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` and audit the change (the caller commits)."""
    row = db.session.get(Setting, key)
    before = None if row is None else row.value
    if row is None:
        row = Setting(key=key, value=value, updated_by_id=actor_id)
        db.session.add(row)
    else:
        row.value, row.updated_by_id = value, actor_id
    record_audit(actor_id, "setting.update", "setting", key, before=before, after=value)
