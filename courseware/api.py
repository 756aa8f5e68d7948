"""JSON API of the courseware package: syllabus, courses, lessons, the study heartbeat, Markdown preview."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request
from flask_login import current_user

from courseware.models import Course, Lesson
from courseware.services import catalogue, editing, study
from training.core.api import API_PREFIX, api_login_required
from training.extensions import limiter
from training.org.identity import hot_path_login_required

courseware_api = Blueprint("courseware_api", __name__, url_prefix=API_PREFIX)


def _course_json(course: Course, completed_lessons: int | None = None) -> dict:
    body = {"id": course.id, "code": course.code, "title": course.title, "module": course.module.code,
            "summary": course.summary, "kind": course.kind, "tiers": course.tiers,
            "credit_hours": float(course.credit_hours) if course.credit_hours is not None else None,
            "total_minutes": course.total_minutes, "lesson_count": course.lesson_count}
    if completed_lessons is not None:
        body["completed_lessons"] = completed_lessons
    return body


def _lesson_json(lesson: Lesson) -> dict:
    return {"id": lesson.id, "course_id": lesson.course_id, "position": lesson.position, "title": lesson.title,
            "minutes": lesson.minutes, "knowledge_points": [kp.code for kp in lesson.knowledge_points]}


@courseware_api.get("/syllabus")
@api_login_required
def syllabus():
    """Modules M1–M9 with tiers, competencies and knowledge points."""
    return jsonify({"modules": [
        {"code": m.code, "title": m.title, "summary": m.summary, "tiers": m.tiers, "competencies": m.competencies,
         "knowledge_points": [{"code": k.code, "title": k.title, "competency": k.competency}
                              for k in m.knowledge_points]}
        for m in catalogue.syllabus_modules()]})


@courseware_api.get("/courses")
@api_login_required
def courses():
    """The catalogue, filtered by ``module``, ``tier`` and ``kind``, with the caller's progress."""
    cards = catalogue.course_cards(current_user.id, module=request.args.get("module") or None,
                                   tier=request.args.get("tier") or None, kind=request.args.get("kind") or None)
    return jsonify({"courses": [{**_course_json(card.course, card.completed_lessons), "enrolled": card.enrolled,
                                 "completed": card.completed} for card in cards]})


@courseware_api.get("/courses/<int:course_id>")
@api_login_required
def course(course_id: int):
    item = catalogue.get_course(course_id)
    lessons = catalogue.course_lessons_with_progress(item, current_user.id)
    return jsonify({**_course_json(item), "lessons": [
        {**_lesson_json(lesson), "seconds": seconds, "completed": done} for lesson, seconds, done in lessons]})


@courseware_api.get("/lessons/<int:lesson_id>")
@api_login_required
def lesson(lesson_id: int):
    """A lesson with its sanitized HTML and the caller's state."""
    item = catalogue.get_lesson(lesson_id)
    return jsonify({**_lesson_json(item), "html": item.body_html, "toc_html": item.toc_html,
                    "state": study.lesson_state(current_user.id, item)})


@courseware_api.post("/lessons/<int:lesson_id>/heartbeat")
@limiter.exempt
@hot_path_login_required
def heartbeat(user_id: int, lesson_id: int):
    """A study-clock beat: ``{"active": bool, "reached_end": bool}`` → credited seconds and the lesson state."""
    body = request.get_json(silent=True) or {}
    result = study.record_heartbeat(user_id, lesson_id, active=body.get("active", True) is True,
                                    reached_end=body.get("reached_end") is True)
    return jsonify(asdict(result))


@courseware_api.post("/markdown/preview")
@api_login_required
def markdown_preview():
    """Sanitized HTML for the lesson editor's live preview (examiners and admins)."""
    body = request.get_json(silent=True) or {}
    return jsonify({"html": editing.preview_markdown(current_user, str(body.get("text", "")))})
