"""An HR officer assigns a programme to a department in a real browser; a learner of that department signs in
and finds it on the home page with its progress and next step — and a learner of another city does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from training.certification.models import ProgramAssignment
from training.core.clock import utcnow
from training.extensions import db

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

PASSWORD = "assign-browser-password"


@pytest.fixture
def setup(app_ctx, org):
    course = factories.make_course("M1-01")
    program = factories.make_program("EGOV-L1", courses=[course], name="电子政务应用能力（初级）")
    hr = factories.make_user(org.qc_bureau, employee_no="H0100", name="王人事", roles=[("hr", org.qc)],
                             password=PASSWORD)
    learner = factories.make_user(org.qc_division, employee_no="L0100", name="李学员", password=PASSWORD)
    outsider = factories.make_user(org.yl_division, employee_no="L0200", name="赵学员", password=PASSWORD)
    return program, course, hr, learner, outsider


def log_in(page, base, employee_no):
    page.goto(f"{base}/login")
    page.get_by_label("账号（工号）").fill(employee_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def log_out(page):
    page.get_by_role("button", name="退出").click()


def test_hr_assigns_a_programme_and_the_learner_sees_it_at_home(page, live_server, setup, org, browser_errors):
    program, course, hr, learner, _outsider = setup
    due = (utcnow() + timedelta(days=60)).date()
    log_in(page, live_server, "H0100")
    page.get_by_role("link", name="分配学习任务").click()
    page.get_by_label("认证项目").select_option(str(program.id))
    page.get_by_label("部门（含下级）").select_option(str(org.qc_bureau.id))
    page.get_by_label("完成期限").fill(due.isoformat())
    page.get_by_role("button", name="分配", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("2")  # the officer and the learner work in that bureau
    db.session.expire_all()
    assigned = set(db.session.scalars(select(ProgramAssignment.user_id).filter_by(program_id=program.id)))
    assert assigned == {hr.id, learner.id}
    log_out(page)

    log_in(page, live_server, "L0100")
    card = page.locator("[data-program='EGOV-L1']")
    expect(card).to_contain_text("电子政务应用能力（初级）")
    expect(card).to_contain_text("未开始")
    expect(card).to_contain_text(f"完成课程《{course.title}》")
    expect(card.locator("progress")).to_have_attribute("value", "0")
    card.get_by_role("link", name="电子政务应用能力（初级）").click()
    expect(page.locator("h1")).to_contain_text("我的认证")
    log_out(page)

    log_in(page, live_server, "L0200")  # another city: not assigned
    expect(page.locator("[data-program='EGOV-L1']")).to_have_count(0)
    assert browser_errors == []
