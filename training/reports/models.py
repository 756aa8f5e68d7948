"""Monthly snapshots of each department's key figures, written by ``flask reports snapshot`` so that trends do
not change when people move between departments later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.core.clock import utcnow
from training.extensions import db


class ReportSnapshot(db.Model):
    """The key figures of a department's subtree for one month (``month`` = 'YYYY-MM'), as computed then:
    ``figures`` holds headcount, completion_rate, hours_avg, hours_at_target_rate, exam_pass_rate,
    exam_participation_rate, certified_rate and module masteries (see ``training.reports.report_types``)."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("month", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
