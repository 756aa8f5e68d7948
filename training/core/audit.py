"""The audit log of privileged changes: who, what, when, from where (DOMAIN.md §6 keeps it ≥ 6 months)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from training.core.clock import utcnow
from training.extensions import db


class AuditEvent(db.Model):
    """One privileged action. ``detail`` holds the before/after values that matter for the action."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


def record_audit(actor_id: int | None, action: str, object_type: str, object_id: object = None,
                 **detail: Any) -> AuditEvent:
    """Add an audit event to the current transaction (the calling service commits it with its change).

    The client address is taken from the request when there is one (CLI actions have none).
    """
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
