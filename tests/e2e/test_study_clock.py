"""A learner opens a lesson in a real browser: the clock runs while the page is visible and the learner active,
and stops when the tab is hidden or the learner goes idle."""

from __future__ import annotations

import pytest

from courseware.models import LessonProgress
from tests.factories import make_course, make_user
from training.extensions import db

PASSWORD = "browser-test-password"
HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW = """() => {
  Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def fast_clock(app):
    saved = {key: app.config[key] for key in ("STUDY_HEARTBEAT_SECONDS", "STUDY_IDLE_SECONDS")}
    app.config.update(STUDY_HEARTBEAT_SECONDS=6, STUDY_IDLE_SECONDS=300)
    yield app.config
    app.config.update(saved)


@pytest.fixture
def study_setup(app_ctx, org):
    course = make_course("M1-01", minutes=(30,))
    learner = make_user(org.qc_division, employee_no="S0001", name="钱学习", password=PASSWORD)
    return course.lessons[0], learner


def stored_seconds(user_id: int, lesson_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(LessonProgress.seconds).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)) or 0


def open_lesson(page, base, lesson_id):
    page.goto(f"{base}/login")
    page.get_by_label("账号（工号）").fill("S0001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/lessons/{lesson_id}")
    page.mouse.move(200, 300)


def clock_text(page) -> str:
    return page.locator("[data-clock]").inner_text().split(" / ")[0]


def test_clock_runs_while_active_and_stops_when_hidden(page, live_server, study_setup, fast_clock):
    lesson, learner = study_setup
    open_lesson(page, live_server, lesson.id)
    page.wait_for_function("document.querySelector('[data-status]').textContent === '计时中'")
    for _ in range(9):  # keep the learner active past one beat interval
        page.mouse.move(220, 320)
        page.wait_for_timeout(1000)
        page.mouse.move(200, 300)
    assert stored_seconds(learner.id, lesson.id) >= 5
    running = clock_text(page)
    page.wait_for_timeout(1500)
    assert clock_text(page) != running  # the display ticks while counting

    page.evaluate(HIDE)
    page.wait_for_function("document.querySelector('[data-status]').textContent.includes('页面不在前台')")
    page.wait_for_timeout(700)
    frozen_display, frozen_seconds = clock_text(page), stored_seconds(learner.id, lesson.id)
    page.wait_for_timeout(8000)  # longer than a beat interval
    assert clock_text(page) == frozen_display
    assert stored_seconds(learner.id, lesson.id) == frozen_seconds

    page.evaluate(SHOW)
    page.mouse.move(240, 340)
    page.wait_for_function("document.querySelector('[data-status]').textContent === '计时中'")


def test_idle_learner_is_asked_and_the_clock_pauses(page, live_server, study_setup, fast_clock):
    fast_clock["STUDY_IDLE_SECONDS"] = 3
    lesson, _learner = study_setup
    open_lesson(page, live_server, lesson.id)
    page.wait_for_function("document.querySelector('[data-status]').textContent === '计时中'")
    prompt = page.get_by_role("alertdialog")
    prompt.wait_for(state="visible", timeout=8000)  # no input for 3 s
    assert "还在学习吗？" in prompt.inner_text()
    assert "长时间无操作" in page.locator("[data-status]").inner_text()
    page.get_by_role("button", name="继续学习").click()
    page.wait_for_function("document.querySelector('[data-status]').textContent === '计时中'")
