"""Demo courseware: the shipped content plus realistic study progress for the demo officials (some courses
complete, some halfway, some not started). Deterministic; officials who already have enrolments are left alone."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from courseware.hours import course_credit, current_rule
from courseware.models import KIND_REQUIRED, Course, Enrollment, LessonProgress
from courseware.services.sync import SyncReport, sync_courseware
from training.core.clock import utcnow
from training.extensions import db
from training.org.constants import SENIOR_RANKS
from training.org.models import User

# The demo learner's own story: one course done, one halfway, one assigned and due soon, one elective.
LEARNER_PLAN = {"M1-01": "complete", "M3-01": "halfway", "M4-01": "assigned", "M3-02": "elective"}


def load_demo_courseware() -> tuple[SyncReport, int]:
    """Sync the shipped content, then add progress for officials without any. Returns the sync report and how
    many officials received progress. Commits."""
    report = sync_courseware()
    courses = list(db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.code)))
    lessons = {course.id: [(lesson.id, lesson.minutes) for lesson in course.lessons if lesson.published]
               for course in courses}
    enrolled = set(db.session.scalars(select(Enrollment.user_id).distinct()))
    users = [u for u in db.session.scalars(select(User).order_by(User.id)) if u.id not in enrolled]
    rng, now, rule = random.Random(2026), utcnow(), current_rule()
    enrollment_rows, progress_rows = [], []
    for user in users:
        plan = _plan_for(user, courses, rng)
        for course in courses:
            state = plan.get(course.code)
            if state:
                _add_course(user.id, course, lessons[course.id], state, rng, now, rule, enrollment_rows, progress_rows)
    _learner_due_soon(enrollment_rows, users, courses, now)
    if enrollment_rows:
        db.session.execute(insert(Enrollment), enrollment_rows)
    if progress_rows:
        db.session.execute(insert(LessonProgress), progress_rows)
    db.session.commit()
    return report, len(users)


def _learner_due_soon(rows: list[dict], users: list[User], courses: list[Course], now: datetime) -> None:
    """The demo learner's assigned course falls due in two weeks, so the home page shows a deadline."""
    learner = next((u.id for u in users if u.employee_no == "learner"), None)
    course = next((c.id for c in courses if c.code == "M4-01"), None)
    for row in rows:
        if row["user_id"] == learner and row["course_id"] == course:
            row["due_at"] = now + timedelta(days=14)


def _tier_of(user: User) -> str:
    if user.rank in SENIOR_RANKS:
        return "领导干部"
    return "技术人员" if "电子政务" in user.department.name or "数据" in user.department.name else "一般干部"


def _plan_for(user: User, courses: list[Course], rng: random.Random) -> dict[str, str]:
    if user.employee_no == "learner":
        return dict(LEARNER_PLAN)
    tier = _tier_of(user)
    plan = {}
    for course in courses:
        if course.kind == KIND_REQUIRED and tier in course.tiers:
            plan[course.code] = rng.choices(["complete", "halfway", "assigned"], weights=[45, 30, 25])[0]
        elif rng.random() < 0.12:
            plan[course.code] = rng.choice(["complete", "halfway", "elective"])
    return plan


def _add_course(user_id: int, course: Course, lessons: list[tuple[int, int]], state: str, rng: random.Random,
                now: datetime, rule, enrollment_rows: list, progress_rows: list) -> None:
    year_start = datetime(now.year, 1, 1)
    start = year_start + timedelta(days=rng.randint(0, max(1, (now - year_start).days - 20)))
    assigned = course.kind == KIND_REQUIRED and state != "elective"
    row = {"user_id": user_id, "course_id": course.id, "source": "assigned" if assigned else "self",
           "enrolled_at": start, "due_at": now + timedelta(days=rng.randint(10, 120)) if assigned else None,
           "completed_at": None, "hours_credited": 0}
    done = len(lessons) if state == "complete" else rng.randint(1, len(lessons) - 1) if state == "halfway" else 0
    moment = start
    for index, (lesson_id, minutes) in enumerate(lessons):
        if index < done:
            moment = min(now - timedelta(hours=1), moment + timedelta(days=rng.randint(0, 6), minutes=minutes + 5))
            progress_rows.append({"user_id": user_id, "lesson_id": lesson_id,
                                  "seconds": minutes * 60 + rng.randint(0, 600),
                                  "reached_end": True, "started_at": moment - timedelta(minutes=minutes),
                                  "last_beat_at": moment, "completed_at": moment})
        elif index == done and state == "halfway":
            seconds = rng.randint(5, minutes - 5) * 60
            progress_rows.append({"user_id": user_id, "lesson_id": lesson_id, "seconds": seconds, "reached_end": False,
                                  "started_at": moment, "last_beat_at": moment + timedelta(seconds=seconds),
                                  "completed_at": None})
    if state == "complete":
        row["completed_at"] = moment
        row["hours_credited"] = course_credit(course.credit_hours, [m for _, m in lessons], rule)
        row["due_at"] = None if not assigned else row["due_at"]
    enrollment_rows.append(row)
