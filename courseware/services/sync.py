"""``flask courseware sync``: load the content files into the database, idempotently and atomically.

Lesson ids stay stable across syncs (matched by course code and file name). A lesson edited in the app is not
overwritten by a changed file unless ``force`` is given; the report says which lessons were kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from courseware.content_files import (
    CONTENT_ROOT,
    Catalogue,
    CourseSource,
    LessonSource,
    lesson_content_hash,
    read_catalogue,
)
from courseware.errors import ContentInvalid
from courseware.models import Course, KnowledgePoint, Lesson, SyllabusModule
from training.extensions import db


@dataclass
class SyncReport:
    """What a sync did, counted per kind of record."""

    created: dict[str, int] = field(default_factory=lambda: {"module": 0, "knowledge_point": 0, "course": 0,
                                                               "lesson": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"module": 0, "knowledge_point": 0, "course": 0,
                                                               "lesson": 0})
    unchanged_lessons: int = 0
    kept: list[str] = field(default_factory=list)  # lesson files not applied: edited in the app
    archived: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or bool(self.archived)


def sync_courseware(root: Path = CONTENT_ROOT, *, force: bool = False, dry_run: bool = False) -> SyncReport:
    """Validate the whole tree, then apply it in one transaction (or roll back for ``dry_run``).

    Raises ContentInvalid, with every error's path and line, before touching the database.
    """
    catalogue, errors = read_catalogue(root)
    if errors:
        raise ContentInvalid(f"{len(errors)} 处错误，未做任何更改", details=errors)
    report = SyncReport()
    try:
        kps = _sync_syllabus(catalogue, report)
        _sync_courses(catalogue, kps, report, force)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _assign(obj, values: dict) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _sync_syllabus(catalogue: Catalogue, report: SyncReport) -> dict[str, KnowledgePoint]:
    modules = {m.code: m for m in db.session.scalars(select(SyllabusModule))}
    kps = {k.code: k for k in db.session.scalars(select(KnowledgePoint))}
    for position, source in enumerate(catalogue.modules, start=1):
        module = modules.get(source.code)
        values = {"title": source.title, "summary": source.summary, "position": position, "tiers": source.tiers,
                  "competencies": source.competencies}
        if module is None:
            module = modules[source.code] = SyllabusModule(code=source.code, **values)
            db.session.add(module)
            report.created["module"] += 1
        elif _assign(module, values):
            report.updated["module"] += 1
        db.session.flush()
        for kp_position, kp_source in enumerate(source.knowledge_points, start=1):
            kp = kps.get(kp_source["code"])
            kp_values = {"title": kp_source["title"], "competency": kp_source["competency"],
                         "position": kp_position, "module_id": module.id}
            if kp is None:
                kps[kp_source["code"]] = KnowledgePoint(code=kp_source["code"], **kp_values)
                db.session.add(kps[kp_source["code"]])
                report.created["knowledge_point"] += 1
            elif _assign(kp, kp_values):
                report.updated["knowledge_point"] += 1
    db.session.flush()
    return kps


def _sync_courses(catalogue: Catalogue, kps: dict[str, KnowledgePoint], report: SyncReport, force: bool) -> None:
    modules = {m.code: m for m in db.session.scalars(select(SyllabusModule))}
    courses = {c.code: c for c in db.session.scalars(select(Course))}
    seen_courses = set()
    for position, source in enumerate(catalogue.courses, start=1):
        course = _sync_course(source, courses.get(source.code), modules[source.module_code].id, position, report)
        seen_courses.add(course.id)
        _sync_lessons(course, source, kps, report, force)
    for course in courses.values():
        if course.id not in seen_courses and course.published:
            course.published = False
            report.archived.append(course.code)


def _sync_course(source: CourseSource, course: Course | None, module_id: int, position: int,
                 report: SyncReport) -> Course:
    values = {"title": source.title, "summary": source.summary, "description_html": source.description_html,
              "kind": source.kind, "tiers": source.tiers, "credit_hours": source.credit_hours,
              "module_id": module_id, "source_path": source.path, "published": True,
              "total_minutes": sum(lesson.minutes for lesson in source.lessons), "lesson_count": len(source.lessons)}
    if course is None:
        course = Course(code=source.code, content_hash=source.source_hash, **values)
        db.session.add(course)
        db.session.flush()
        report.created["course"] += 1
    elif _assign(course, {**values, "content_hash": source.source_hash}):
        report.updated["course"] += 1
    return course


def _sync_lessons(course: Course, source: CourseSource, kps: dict[str, KnowledgePoint], report: SyncReport,
                  force: bool) -> None:
    existing = {lesson.slug: lesson
                for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    for lesson_source in source.lessons:
        lesson = existing.pop(lesson_source.slug, None)
        if lesson is None:
            lesson = Lesson(course_id=course.id, slug=lesson_source.slug)
            db.session.add(lesson)
            _apply_lesson(lesson, lesson_source, kps)
            report.created["lesson"] += 1
        elif lesson.source_hash == lesson_source.source_hash and lesson.published:
            report.unchanged_lessons += 1
            if lesson.position != lesson_source.position:
                lesson.position = lesson_source.position
        elif lesson.edited_in_app and not force:
            report.kept.append(lesson_source.path)
        else:
            _apply_lesson(lesson, lesson_source, kps)
            report.updated["lesson"] += 1
    for lesson in existing.values():
        if lesson.published:
            lesson.published = False
            report.archived.append(lesson.source_path)


def _apply_lesson(lesson: Lesson, source: LessonSource, kps: dict[str, KnowledgePoint]) -> None:
    lesson.position, lesson.title, lesson.minutes = source.position, source.title, source.minutes
    lesson.body_md, lesson.body_html, lesson.toc_html = source.body_md, source.body_html, source.toc_html
    lesson.search_text, lesson.source_path, lesson.source_hash = source.search_text, source.path, source.source_hash
    lesson.content_hash = lesson_content_hash(source.title, source.minutes, source.knowledge_points, source.body_md)
    lesson.knowledge_points = [kps[code] for code in source.knowledge_points]
    lesson.published, lesson.edited_in_app, lesson.edited_by_id, lesson.edited_at = True, False, None, None
