"""Browsing: the syllabus, the course catalogue with the viewer's progress, courses, lessons, enrolment."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from courseware.models import (
    Course,
    Enrollment,
    KnowledgePoint,
    Lesson,
    LessonProgress,
    SyllabusModule,
)
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.core.sql import insert_ignoring_conflicts
from training.extensions import db


@dataclass(frozen=True)
class CourseCard:
    """A course in the catalogue with the viewer's standing on it."""

    course: Course
    completed_lessons: int
    enrolled: bool
    completed: bool

    @property
    def percent(self) -> int:
        return 0 if not self.course.lesson_count else round(100 * self.completed_lessons / self.course.lesson_count)


def syllabus_modules() -> list[SyllabusModule]:
    """All modules with their knowledge points, in syllabus order (two queries)."""
    return list(db.session.scalars(select(SyllabusModule).options(selectinload(SyllabusModule.knowledge_points))
                                   .order_by(SyllabusModule.position)))


def _completed_per_course(user_id: int):
    return (select(Lesson.course_id, func.count(LessonProgress.id).label("done"))
            .join(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id,
                                       LessonProgress.completed_at.is_not(None)))
            .where(Lesson.published.is_(True)).group_by(Lesson.course_id).subquery())


def course_cards(user_id: int, *, module: str | None = None, tier: str | None = None, kind: str | None = None,
                 enrolled_only: bool = False) -> list[CourseCard]:
    """Published courses matching the filters, each with the viewer's completed lessons (one query)."""
    done = _completed_per_course(user_id)
    query = (select(Course, func.coalesce(done.c.done, 0), Enrollment.id, Enrollment.completed_at)
             .join(Course.module)
             .outerjoin(done, done.c.course_id == Course.id)
             .outerjoin(Enrollment, and_(Enrollment.course_id == Course.id, Enrollment.user_id == user_id))
             .where(Course.published.is_(True)).order_by(SyllabusModule.position, Course.code))
    if module:
        query = query.where(SyllabusModule.code == module)
    if kind:
        query = query.where(Course.kind == kind)
    if enrolled_only:
        query = query.where(Enrollment.id.is_not(None))
    cards = [CourseCard(course, n, enrollment_id is not None, completed_at is not None)
             for course, n, enrollment_id, completed_at in db.session.execute(query)]
    # tiers are a short JSON list: filtered here, over the handful of published courses
    return [card for card in cards if not tier or tier in card.course.tiers]


def get_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not course.published:
        raise NotFound(_("课程不存在"))
    return course


def course_lessons_with_progress(course: Course, user_id: int) -> list[tuple[Lesson, int, bool]]:
    """The course's published lessons with the viewer's seconds and completion (one query)."""
    rows = db.session.execute(
        select(Lesson, func.coalesce(LessonProgress.seconds, 0), LessonProgress.completed_at)
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.course_id == course.id, Lesson.published.is_(True)).order_by(Lesson.position)).all()
    return [(lesson, seconds, completed_at is not None) for lesson, seconds, completed_at in rows]


def enrollment_for(user_id: int, course_id: int) -> Enrollment | None:
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id))


def enroll(user_id: int, course: Course) -> Enrollment:
    """Self-enrol in a course (electives, or a required course before HR assigns it); idempotent."""
    db.session.execute(insert_ignoring_conflicts(
        Enrollment.__table__, {"user_id": user_id, "course_id": course.id, "source": "self", "enrolled_at": utcnow(),
                               "hours_credited": 0}, ["user_id", "course_id"]))
    db.session.commit()
    return enrollment_for(user_id, course.id)


def get_lesson(lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not lesson.published or not lesson.course.published:
        raise NotFound(_("课时不存在"))
    return lesson


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The previous and next published lessons of the same course."""
    base = select(Lesson).where(Lesson.course_id == lesson.course_id, Lesson.published.is_(True))
    previous = db.session.scalar(base.where(Lesson.position < lesson.position)
                                 .order_by(Lesson.position.desc()).limit(1))
    following = db.session.scalar(base.where(Lesson.position > lesson.position).order_by(Lesson.position).limit(1))
    return previous, following


def courses_for_knowledge_point(code: str) -> list[tuple[Lesson, Course]]:
    """Lessons (with their course) that cover a knowledge point."""
    return list(db.session.execute(
        select(Lesson, Course).join(Lesson.knowledge_points).join(Lesson.course)
        .where(KnowledgePoint.code == code, Lesson.published.is_(True), Course.published.is_(True))
        .order_by(Course.code, Lesson.position)).all())
