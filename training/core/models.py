"""Model mixins shared by every package."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from training.core.clock import utcnow


class TimestampMixin:
    """``created_at`` / ``updated_at`` in naive UTC, maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
