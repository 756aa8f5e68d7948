"""A person logs in as each demo account in a real browser and lands on their own home page."""

from __future__ import annotations

import pytest

from training.org.demo import DEMO_PASSWORD

HOME_MARKERS = {
    "admin": "系统管理", "hr": "组织人事工作台", "leader": "下属单位",
    "learner": "我的学习", "examiner": "我的学习", "reviewer": "我的学习",
}


def login(page, base_url, account):
    page.goto(f"{base_url}/login")
    page.get_by_label("账号（工号）").fill(account)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("account", list(HOME_MARKERS))
def test_demo_account_sees_its_home_page(page, live_server, demo_data, account):
    login(page, live_server, account)
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text().startswith("您好")
    assert HOME_MARKERS[account] in page.content()
    # the navigation matches the role
    nav = page.locator("nav.main-nav").inner_text()
    assert ("人员管理" in nav) == (account in ("admin", "hr"))
    assert ("审计日志" in nav) == (account == "admin")


def test_wrong_password_and_language_switch(page, live_server, demo_data):
    page.goto(f"{live_server}/login")
    page.get_by_label("账号（工号）").fill("learner")
    page.get_by_label("密码").fill("wrong-password-123")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.locator(".flash-error").wait_for()
    assert "账号或密码错误" in page.locator(".flash-error").inner_text()
    with page.expect_navigation():
        page.select_option("#lang-select", "en")  # app.js submits the form on change
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Log in to E-Gov Academy" in page.content()
