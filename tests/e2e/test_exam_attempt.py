"""A candidate sits an exam in a real browser on a flaky network: answers made offline are queued on the device
and synced when the network comes back, survive a reload, and the server's countdown survives it too; a second
device takes the attempt over and the first one stops saving until it takes it back; handing in asks first, and
time up hands in once the queued answers are saved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from question_bank.exams.models import Attempt, AttemptItem
from tests.factories import make_bank, make_exam, make_user
from training.extensions import db

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

PASSWORD = "exam-browser-password"
# make_exam's default rows, in order (no shuffling): 1–3 single, 4–5 multiple, 6–7 true/false, 8 fill in the blank


@pytest.fixture
def exam_setup(app_ctx, org):
    make_bank()
    candidate = make_user(org.qc_division, employee_no="X0001", name="孙考生", password=PASSWORD)
    exam = make_exam(org.qc_division, shuffle_questions=False, shuffle_options=False, duration_minutes=30)
    return exam, candidate


@pytest.fixture
def browser_errors(page):
    """Uncaught errors and console errors of the page (failed requests are expected here: offline, 409)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    return errors


def log_in(page, base):
    page.goto(f"{base}/login")
    page.get_by_label("账号（工号）").fill("X0001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def start_attempt(page, base, exam_id) -> int:
    """Log in, open the start page, start the exam; returns the attempt id once its questions are shown."""
    log_in(page, base)
    page.goto(f"{base}/exams/{exam_id}")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_url(re.compile(r"/exams/attempts/\d+$"))
    wait_loaded(page)
    return int(page.url.rsplit("/", 1)[1])


def wait_loaded(page):
    page.locator(".q").first.wait_for(state="attached")
    wait_state(page, "已保存")


def wait_state(page, text: str):
    """Wait for the save state (polled by Playwright, not by a predicate: the page's CSP forbids eval)."""
    expect(page.locator("[data-save-state]")).to_have_text(text, timeout=15000)


def question(page, n: int):
    return page.locator(f".q[data-position='{n}']")


def countdown_seconds(page) -> int:
    minutes, seconds = page.locator("[data-timer]").inner_text().split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def started_earlier(attempt_id: int, seconds: int) -> None:
    """Move the attempt back in time, as if it had been started ``seconds`` earlier."""
    attempt = db.session.get(Attempt, attempt_id)
    attempt.started_at -= timedelta(seconds=seconds)
    attempt.deadline_at -= timedelta(seconds=seconds)
    db.session.commit()


def stored_responses(attempt_id: int) -> dict[int, object]:
    db.session.expire_all()
    return {item.position: item.response for item in db.session.scalars(
        db.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}


def test_offline_answers_sync_and_survive_a_reload(page, live_server, exam_setup, browser_errors):
    exam, _candidate = exam_setup
    attempt_id = start_attempt(page, live_server, exam.id)
    assert page.get_by_role("timer").is_visible()
    assert countdown_seconds(page) > 29 * 60
    started_earlier(attempt_id, 10 * 60)  # the countdown is the server's: reopening the page shows what is left
    page.reload()
    wait_loaded(page)
    assert 19 * 60 < countdown_seconds(page) <= 20 * 60
    # one question at a time by default; 下一题 moves on, 整卷浏览 shows them all
    assert question(page, 1).is_visible() and not question(page, 2).is_visible()
    page.get_by_role("button", name="下一题").click()
    assert question(page, 2).is_visible() and not question(page, 1).is_visible()
    page.get_by_role("button", name="整卷浏览").click()
    assert question(page, 8).is_visible()

    question(page, 1).locator("input[value='A']").check()
    question(page, 6).get_by_label("正确").check()
    wait_state(page, "已保存")
    assert stored_responses(attempt_id)[1] == "A"

    page.context.set_offline(True)
    for letter in "ABC":
        question(page, 4).locator(f"input[value='{letter}']").check()
    question(page, 8).get_by_label("第 1 空").fill("一网通办")
    question(page, 2).locator("input[value='B']").check()
    wait_state(page, "离线，3 条待同步")
    assert stored_responses(attempt_id)[2] is None
    assert "is-answered" in page.locator(".palette-item").nth(7).get_attribute("class")

    page.context.set_offline(False)
    wait_state(page, "已保存")
    responses = stored_responses(attempt_id)
    assert (responses[1], responses[2], responses[4], responses[6], responses[8]) == ("A", "B", "ABC", True,
                                                                                      ["一网通办"])

    before = countdown_seconds(page)
    page.reload()
    wait_loaded(page)
    after = countdown_seconds(page)
    assert 0 <= before - after <= 5 and after < 20 * 60  # the server's clock survived, it did not restart
    assert question(page, 1).locator("input[value='A']").is_checked()
    assert question(page, 2).locator("input[value='B']").is_checked()
    assert [question(page, 4).locator(f"input[value='{x}']").is_checked() for x in "ABCD"] == [True] * 3 + [False]
    assert question(page, 6).get_by_label("正确").is_checked()
    assert question(page, 8).get_by_label("第 1 空").input_value() == "一网通办"
    assert not question(page, 3).locator("input:checked").count()
    assert page.evaluate(f"JSON.parse(localStorage.getItem('egov-exam-{attempt_id}')).pending") == {}
    assert browser_errors == []


def test_an_unsynced_answer_survives_a_reload_and_is_sent(page, live_server, exam_setup, browser_errors):
    exam, _candidate = exam_setup
    attempt_id = start_attempt(page, live_server, exam.id)
    blocked = {"on": True}

    def saves(route):
        if blocked["on"]:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/attempts/*/items/*", saves)
    page.get_by_role("button", name="整卷浏览").click()
    question(page, 3).locator("input[value='C']").check()
    question(page, 7).get_by_label("错误").check()
    question(page, 7).get_by_role("button", name="标记").click()
    wait_state(page, "离线，2 条待同步")

    page.reload()  # saves still fail: the answers come back from this device's queue
    page.locator(".q").first.wait_for(state="attached")
    wait_state(page, "离线，2 条待同步")
    assert question(page, 3).locator("input[value='C']").is_checked()
    assert question(page, 7).get_by_label("错误").is_checked()
    assert question(page, 7).get_by_role("button", name="标记").get_attribute("aria-pressed") == "true"
    assert "is-flagged" in page.locator(".palette-item").nth(6).get_attribute("class")
    assert stored_responses(attempt_id)[3] is None

    blocked["on"] = False
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_state(page, "已保存")
    responses = stored_responses(attempt_id)
    assert (responses[3], responses[7]) == ("C", False)
    assert db.session.scalar(db.select(AttemptItem.flagged).where(AttemptItem.attempt_id == attempt_id,
                                                                  AttemptItem.position == 7)) is True
    assert browser_errors == []


def test_a_second_device_takes_the_attempt_over(page, live_server, exam_setup, playwright_browser, browser_errors):
    exam, _candidate = exam_setup
    attempt_id = start_attempt(page, live_server, exam.id)
    question(page, 1).locator("input[value='D']").check()
    wait_state(page, "已保存")

    # the same person on a phone (same login: a new login would end the first session)
    phone = playwright_browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 800})
    try:
        phone.add_cookies(page.context.cookies())
        other = phone.new_page()
        other.set_default_timeout(10000)
        other.goto(f"{live_server}/exams/attempts/{attempt_id}")
        wait_loaded(other)
        assert other.locator("input[value='D']").first.is_checked()
        assert other.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a narrow screen

        page.get_by_role("button", name="下一题").click()
        question(page, 2).locator("input[value='A']").check()
        banner = page.locator("[data-taken-over]")
        banner.wait_for(state="visible")
        assert "另一台设备" in banner.inner_text()
        assert question(page, 2).locator("input[value='B']").is_disabled()
        assert stored_responses(attempt_id)[2] is None

        page.get_by_role("button", name="在本设备继续作答").click()
        banner.wait_for(state="hidden")
        wait_state(page, "已保存")  # the answer refused by the server was kept and is sent now
        assert stored_responses(attempt_id)[2] == "A"
        other.get_by_role("button", name="下一题").click()
        question(other, 2).locator("input[value='C']").check()
        other.locator("[data-taken-over]").wait_for(state="visible")
    finally:
        phone.close()
    assert browser_errors == []


def test_submitting_asks_first_and_time_up_hands_in(page, live_server, exam_setup, browser_errors):
    exam, _candidate = exam_setup
    attempt_id = start_attempt(page, live_server, exam.id)
    question(page, 1).locator("input[value='A']").check()
    wait_state(page, "已保存")
    page.get_by_role("button", name="交卷").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("还有 7 题未作答")
    expect(dialog).to_contain_text("所有答案均已保存")
    dialog.get_by_role("button", name="返回作答").click()
    expect(dialog).to_be_hidden()

    # the deadline comes while the last answer waits offline: it is sent within the grace, then handed in
    started_earlier(attempt_id, 30 * 60 - 8)
    page.reload()
    wait_loaded(page)
    page.context.set_offline(True)
    question(page, 1).locator("input[value='B']").check()
    notice = page.locator("[data-notice]")
    expect(notice).to_contain_text("时间到，正在交卷…", timeout=15000)
    expect(notice).to_contain_text("正在重试交卷")  # offline: the candidate is told, and it keeps trying
    assert page.locator("[data-timer]").inner_text() == "00:00"
    page.context.set_offline(False)
    page.wait_for_url(f"{live_server}/exams/attempts/{attempt_id}/result")
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status != "in_progress" and stored_responses(attempt_id)[1] == "B"
    assert browser_errors == []
