"""The study clock cannot be idled: fast beats, two lessons at once, beats after the cap, idle beats and long
gaps credit nothing extra; completion and 学时 follow the rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from courseware.hours import HoursRule, save_rule
from courseware.models import Enrollment, LessonProgress
from courseware.services.study import record_heartbeat
from tests.conftest import login_as
from tests.factories import make_course
from training.core.caches import clear_process_caches
from training.core.clock import frozen_clock, utcnow
from training.core.signals import course_completed
from training.extensions import db
from training.org.services.accounts import logout_everywhere


@pytest.fixture
def course(app_ctx, org):
    return make_course("M1-01", minutes=(10, 20))


@pytest.fixture
def lessons(course):
    return course.lessons


class Clock:
    """Beats at chosen offsets (seconds) from a fixed start."""

    def __init__(self, user_id: int):
        self.user_id, self.start = user_id, utcnow()

    def beat(self, at: float, lesson, **kwargs):
        with frozen_clock(self.start + timedelta(seconds=at)):
            return record_heartbeat(self.user_id, lesson.id, **kwargs)


def seconds_on(user, lesson) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(LessonProgress.seconds).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)) or 0


def test_first_beat_starts_the_clock_and_later_beats_credit_elapsed_time(learner, lessons):
    clock = Clock(learner.id)
    first = clock.beat(0, lessons[0])
    assert (first.credited, first.state) == (0, "started")
    assert clock.beat(30, lessons[0]).credited == 30
    assert clock.beat(60, lessons[0]).credited == 30
    assert seconds_on(learner, lessons[0]) == 60


def test_no_beat_credits_more_than_40_seconds(learner, lessons):
    clock = Clock(learner.id)
    clock.beat(0, lessons[0])
    assert clock.beat(55, lessons[0]).credited == 40


def test_a_long_gap_only_restarts_the_clock(learner, lessons):
    clock = Clock(learner.id)
    clock.beat(0, lessons[0])
    resumed = clock.beat(300, lessons[0])  # five minutes without beats: tab hidden, idle or closed
    assert (resumed.credited, resumed.state) == (0, "started")
    assert clock.beat(330, lessons[0]).credited == 30


def test_fast_beats_never_credit_more_than_elapsed_time(learner, lessons):
    clock = Clock(learner.id)
    total = sum(clock.beat(t, lessons[0]).credited for t in range(0, 121))  # a beat every second for 2 min
    assert total <= 120
    assert seconds_on(learner, lessons[0]) == total


def test_fractions_of_seconds_are_not_lost(learner, lessons):
    clock = Clock(learner.id)
    total = sum(clock.beat(t * 30.5, lessons[0]).credited for t in range(0, 11))
    assert total == 305


def test_two_lessons_at_once_credit_nothing(learner, lessons):
    clock = Clock(learner.id)
    credited = [clock.beat(t, lessons[t // 15 % 2]).credited for t in range(0, 300, 15)]  # two tabs, alternating
    assert sum(credited) == 0
    assert seconds_on(learner, lessons[0]) == seconds_on(learner, lessons[1]) == 0


def test_switching_lessons_moves_the_one_clock(learner, lessons):
    clock = Clock(learner.id)
    clock.beat(0, lessons[0])
    clock.beat(30, lessons[0])
    moved = clock.beat(40, lessons[1])
    assert (moved.credited, moved.state) == (0, "switched")
    assert clock.beat(70, lessons[1]).credited == 30
    assert seconds_on(learner, lessons[0]) == 30 and seconds_on(learner, lessons[1]) == 30


def test_idle_beats_credit_nothing_and_stop_the_clock(learner, lessons):
    clock = Clock(learner.id)
    clock.beat(0, lessons[0])
    paused = clock.beat(30, lessons[0], active=False)
    assert (paused.credited, paused.state) == (0, "paused")
    assert clock.beat(45, lessons[0], active=False).credited == 0
    back = clock.beat(50, lessons[0])
    assert (back.credited, back.state) == (0, "started")  # the idle time is not credited on return
    assert seconds_on(learner, lessons[0]) == 0


def test_beats_after_the_cap_credit_nothing(learner, lessons):
    clock = Clock(learner.id)  # lesson 0: 10 minutes, cap 20 minutes
    for t in range(0, 1500, 30):
        clock.beat(t, lessons[0])
    assert seconds_on(learner, lessons[0]) == 1200
    late = clock.beat(1500, lessons[0])
    assert (late.credited, late.seconds, late.state) == (0, 1200, "capped")


def test_lesson_completes_only_with_time_and_end_of_page(learner, lessons):
    clock = Clock(learner.id)
    for t in range(0, 631, 30):
        result = clock.beat(t, lessons[0])
    assert result.seconds >= 600 and not result.completed  # time is reached but the end of the page was not
    done = clock.beat(660, lessons[0], reached_end=True)
    assert done.completed
    early = Clock(learner.id)
    reached = early.beat(5000, lessons[1], reached_end=True)
    assert reached.reached_end and not reached.completed  # scrolled to the end at once: not enough time


def test_course_completion_credits_hours_by_rule_and_signals(learner, lessons, course):
    received = []
    course_completed.connect(lambda sender, **kw: received.append(kw), weak=False)
    clock = Clock(learner.id)
    t = 0
    for lesson in lessons:
        for _ in range(lesson.minutes * 2 + 1):
            result = clock.beat(t, lesson, reached_end=True)
            t += 30
        t += 100  # the next lesson starts the clock again
    assert result.course_completed
    enrollment = db.session.scalar(db.select(Enrollment).where(Enrollment.user_id == learner.id))
    # 10 min → 0.25 学时 (≤ 15), 20 min → 0.5 学时 (15–30)
    assert enrollment.completed_at is not None and enrollment.hours_credited == Decimal("0.75")
    assert {"user_id": learner.id, "course_id": course.id} in received
    course_completed.receivers.clear()


def test_declared_credit_wins_and_the_rule_is_configurable(app_ctx, org, learner, admin):
    declared = make_course("M2-01", minutes=(10,), credit_hours=Decimal("2"))
    ruled = make_course("M3-01", minutes=(10,))
    save_rule(admin.id, HoursRule(long_minutes=30, long_hours=1, short_minutes=5, medium_hours=0.75, short_hours=0.1))
    db.session.commit()
    for index, item in enumerate((declared, ruled)):
        clock = Clock(learner.id)
        base = index * 10_000
        for step in range(22):
            clock.beat(base + step * 30, item.lessons[0], reached_end=True)
    hours = dict(db.session.execute(db.select(Enrollment.course_id, Enrollment.hours_credited)
                                    .where(Enrollment.user_id == learner.id)).all())
    assert hours == {declared.id: Decimal("2.00"), ruled.id: Decimal("0.75")}


def test_starting_a_lesson_self_enrols(learner, lessons, course):
    Clock(learner.id).beat(0, lessons[0])
    enrollment = db.session.scalar(db.select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.course_id == course.id and enrollment.source == "self"


def test_heartbeat_api(client, learner, lessons):
    assert client.post(f"/api/v1/lessons/{lessons[0].id}/heartbeat", json={}).status_code == 401
    login_as(client, learner)
    response = client.post(f"/api/v1/lessons/{lessons[0].id}/heartbeat", json={"active": True})
    assert response.status_code == 200
    assert response.json == {"credited": 0, "seconds": 0, "required_seconds": 600, "cap_seconds": 1200,
                             "reached_end": False, "completed": False, "course_completed": False, "state": "started"}
    assert client.post("/api/v1/lessons/999999/heartbeat", json={}).status_code == 404


def test_heartbeat_with_a_cookie_needs_the_csrf_header(raw_client, learner, lessons):
    login_as(raw_client, learner)
    response = raw_client.post(f"/api/v1/lessons/{lessons[0].id}/heartbeat", json={"active": True})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"


def test_heartbeat_identity_follows_logout_everywhere(client, learner, lessons):
    login_as(client, learner)
    assert client.post(f"/api/v1/lessons/{lessons[0].id}/heartbeat", json={}).status_code == 200
    logout_everywhere(learner)
    clear_process_caches()  # other processes forget within IDENTITY_CACHE_SECONDS
    assert client.post(f"/api/v1/lessons/{lessons[0].id}/heartbeat", json={}).status_code == 401
