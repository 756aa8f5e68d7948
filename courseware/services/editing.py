"""Editing a lesson in the browser. The edit is kept across syncs (see services/sync.py) and audited."""

from __future__ import annotations

from flask_babel import gettext as _

from courseware.content_files import lesson_content_hash
from courseware.models import Lesson
from courseware.permissions import can_edit_courseware
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import PermissionDenied, ValidationFailed
from training.core.markdown import render_markdown, render_markdown_with_toc, to_plain_text
from training.extensions import db
from training.org.models import User

MAX_BODY_CHARS = 200_000


def preview_markdown(user: User, text: str) -> str:
    """Sanitized HTML of ``text``, for the editor's live preview."""
    if not can_edit_courseware(user):
        raise PermissionDenied(_("无权编辑课件"))
    return render_markdown(text[:MAX_BODY_CHARS])


def update_lesson(actor: User, lesson: Lesson, *, title: str, minutes: int, body_md: str) -> Lesson:
    """Save an edit: re-render and re-index the body, mark the lesson as edited in the app, audit it."""
    if not can_edit_courseware(actor):
        raise PermissionDenied(_("无权编辑课件"))
    title, body_md = title.strip(), body_md.replace("\r\n", "\n").strip() + "\n"
    if not title or not 5 <= minutes <= 180 or len(body_md) > MAX_BODY_CHARS:
        raise ValidationFailed(_("标题不能为空，学习时长应在 5–180 分钟之间"))
    before = {"title": lesson.title, "minutes": lesson.minutes, "content_hash": lesson.content_hash}
    html, toc = render_markdown_with_toc(body_md)
    lesson.title, lesson.minutes, lesson.body_md, lesson.body_html, lesson.toc_html = title, minutes, body_md, html, toc
    lesson.search_text = title + "\n" + to_plain_text(html)
    lesson.content_hash = lesson_content_hash(title, minutes, [kp.code for kp in lesson.knowledge_points], body_md)
    lesson.edited_in_app, lesson.edited_by_id, lesson.edited_at = True, actor.id, utcnow()
    course = lesson.course
    course.total_minutes = sum(item.minutes for item in course.lessons if item.published)
    record_audit(actor.id, "lesson.edit", "lesson", lesson.id, before=before,
                 after={"title": title, "minutes": minutes, "content_hash": lesson.content_hash})
    db.session.commit()
    return lesson
