"""Uploaded files kept between an import's preview and its commit (in the database, so any app server
can finish what another started)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, LargeBinary, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from training.core.clock import utcnow
from training.extensions import db

UPLOAD_TTL = timedelta(hours=6)


class StagedUpload(db.Model):
    """A file staged for a preview → commit import. ``token`` is what the browser sends back."""

    __tablename__ = "staged_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def stage_upload(user_id: int, kind: str, filename: str, content: bytes) -> StagedUpload:
    """Store ``content`` for a later commit; old staged files are purged on the way. Caller commits."""
    db.session.execute(delete(StagedUpload).where(StagedUpload.created_at < utcnow() - UPLOAD_TTL))
    staged = StagedUpload(token=secrets.token_urlsafe(32), user_id=user_id, kind=kind, filename=filename,
                          sha256=hashlib.sha256(content).hexdigest(), content=content)
    db.session.add(staged)
    return staged


def find_staged_upload(token: str, user_id: int, kind: str) -> StagedUpload | None:
    """The staged file with ``token`` if it belongs to ``user_id`` and is of ``kind`` and not expired."""
    staged = db.session.scalar(db.select(StagedUpload).where(StagedUpload.token == token))
    if staged is None or staged.user_id != user_id or staged.kind != kind:
        return None
    if staged.created_at < utcnow() - UPLOAD_TTL:
        return None
    return staged
