"""HR reminders: who is behind schedule (overdue, expired, or not certified and due within 14 days) in the
officer's scope only, and reminders to them — once per person per programme per (local) day, audited, refused
as a whole when any row lies outside the officer's scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import login_as
from tests.factories import make_program, make_user
from training.certification.constants import NotificationKind, Status
from training.certification.models import Notification, ProgramAssignment
from training.certification.services.reminders import behind_schedule, send_reminders
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.core.errors import NotFound, PermissionDenied, ValidationFailed
from training.extensions import db

NOW = datetime(2026, 3, 10, 2, 0)  # 10:00 in Beijing


def assign(user, program, status: str, due_in_days: int | None, percent: int = 0) -> ProgramAssignment:
    row = ProgramAssignment(user_id=user.id, program_id=program.id, status=status, percent=percent,
                            due_at=NOW + timedelta(days=due_in_days) if due_in_days is not None else None,
                            assigned_at=NOW - timedelta(days=30))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def program(app_ctx):
    return make_program("P-BASIC", name="电子政务应用能力（初级）")


@pytest.fixture
def officers(org, hr_officer):
    """HR officers of 清川 (``qc``) and 云岭 (``yl``)."""
    return {"qc": hr_officer,
            "yl": make_user(org.yl_bureau, employee_no="H0002", name="云人事", roles=[("hr", org.yl)])}


@pytest.fixture
def people(org, program):
    """In each city: one overdue, one expired, one due in 10 days, and three who are not behind."""
    rows = {}
    for city, division in (("qc", org.qc_division), ("yl", org.yl_division)):
        prefix = city.upper()

        def person(n, name, _division=division, _prefix=prefix):
            return make_user(_division, employee_no=f"{_prefix}{n:03d}", name=name)

        rows[city] = {
            "overdue": assign(person(1, f"{prefix}逾期"), program, Status.OVERDUE, -5, 40),
            "expired": assign(person(2, f"{prefix}过期"), program, Status.EXPIRED, None, 0),
            "due_soon": assign(person(3, f"{prefix}将到"), program, Status.IN_PROGRESS, 10, 60),
            "later": assign(person(4, f"{prefix}从容"), program, Status.IN_PROGRESS, 30, 20),
            "certified": assign(person(5, f"{prefix}已证"), program, Status.CERTIFIED, 5, 100),
            "no_due": assign(person(6, f"{prefix}无期"), program, Status.NOT_STARTED, None, 0),
        }
    return rows


def notifications() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def reminder_audits() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reminder.send")))


@pytest.mark.parametrize(("city", "foreign"), [("qc", "yl"), ("yl", "qc")])
def test_behind_schedule_lists_only_the_officers_city(officers, people, city, foreign):
    with frozen_clock(NOW):
        listing = behind_schedule(officers[city])
    listed = {row.assignment_id for row in listing.items}
    assert listed == {people[city][key].id for key in ("overdue", "expired", "due_soon")}
    assert listing.total == 3
    assert not listed & {row.id for row in people[foreign].values()}
    first = listing.items[0]  # earliest due first
    assert first.assignment_id == people[city]["overdue"].id and first.status == Status.OVERDUE
    assert first.percent == 40 and first.program == "电子政务应用能力（初级）" and first.name == f"{city.upper()}逾期"


def test_admin_sees_both_cities_paginated_and_filtered(admin, people, program, org):
    with frozen_clock(NOW):
        everyone = behind_schedule(admin, per_page=4)
        second = behind_schedule(admin, page=2, per_page=4)
        in_yl = behind_schedule(admin, department_id=org.yl_division.id)
        other = behind_schedule(admin, program_id=program.id + 1)
    assert everyone.total == 6 and everyone.pages == 2 and len(everyone.items) == 4 and len(second.items) == 2
    assert {r.assignment_id for r in everyone.items + second.items} == {
        people[c][k].id for c in ("qc", "yl") for k in ("overdue", "expired", "due_soon")}
    assert {r.employee_no[:2] for r in in_yl.items} == {"YL"} and in_yl.total == 3
    assert other.total == 0


@pytest.mark.parametrize(("city", "foreign"), [("qc", "yl"), ("yl", "qc")])
def test_a_foreign_department_filter_is_not_found(officers, people, org, city, foreign):
    with pytest.raises(NotFound):
        behind_schedule(officers[city], department_id=getattr(org, foreign).id)


def test_reminders_land_once_a_day_and_are_audited(officers, people):
    hr = officers["qc"]
    ids = [people["qc"]["overdue"].id, people["qc"]["due_soon"].id]
    with frozen_clock(NOW):
        assert send_reminders(hr, ids, "  请本周五前完成剩余课程。 ") == 2
        assert send_reminders(hr, ids, "再次提醒") == 0  # the same day: not again
    rows = notifications()
    assert len(rows) == 2 and {n.kind for n in rows} == {NotificationKind.REMINDER}
    assert {n.user_id for n in rows} == {people["qc"]["overdue"].user_id, people["qc"]["due_soon"].user_id}
    assert rows[0].body == "请本周五前完成剩余课程。" and rows[0].title == "学习提醒：《电子政务应用能力（初级）》"
    assert rows[0].dedupe_key == f"reminder:{ids[0]}:2026-03-10" and rows[0].link == "/my/programs"
    audits = reminder_audits()
    assert [(a.actor_id, a.detail["count"], a.detail["requested"]) for a in audits] == [(hr.id, 2, 2), (hr.id, 0, 2)]
    # 17:00 UTC is already the next day in Beijing: a new reminder day
    with frozen_clock(NOW + timedelta(hours=15)):
        assert send_reminders(hr, ids[:1], "明天截止") == 1
    assert len(notifications()) == 3


@pytest.mark.parametrize(("city", "foreign"), [("qc", "yl"), ("yl", "qc")])
def test_a_foreign_row_refuses_the_whole_request(officers, people, city, foreign):
    ids = [people[city]["overdue"].id, people[foreign]["overdue"].id]
    with frozen_clock(NOW), pytest.raises(PermissionDenied):
        send_reminders(officers[city], ids, "提醒")
    db.session.rollback()
    assert notifications() == [] and reminder_audits() == []


def test_learners_and_empty_requests_are_refused(learner, people):
    with pytest.raises(PermissionDenied):
        send_reminders(learner, [people["qc"]["overdue"].id], "提醒")
    with pytest.raises(ValidationFailed):
        send_reminders(learner, [], "提醒")
    db.session.rollback()
    assert notifications() == []


def test_a_message_is_required(officers, people):
    with pytest.raises(ValidationFailed):
        send_reminders(officers["qc"], [people["qc"]["overdue"].id], "   ")
    with pytest.raises(ValidationFailed):
        send_reminders(officers["qc"], [people["qc"]["overdue"].id], "长" * 1001)


# ---- the page ----------------------------------------------------------------------------------------

def test_the_page_needs_the_hr_workspace(client, learner, app_ctx):
    response = client.get("/hr/reminders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(client, learner)
    assert client.get("/hr/reminders").status_code == 403
    assert client.post("/hr/reminders", data={"assignment_ids": "1", "message": "x"}).status_code == 403


@pytest.mark.parametrize(("city", "foreign"), [("qc", "yl"), ("yl", "qc")])
def test_the_page_lists_and_reminds_in_scope_only(client, officers, people, city, foreign):
    login_as(client, officers[city])
    with frozen_clock(NOW):
        page = client.get("/hr/reminders").text
    assert f"{city.upper()}逾期" in page and f"{city.upper()}将到" in page and f"{city.upper()}从容" not in page
    assert f"{foreign.upper()}逾期" not in page
    mine = people[city]["overdue"]
    with frozen_clock(NOW):
        response = client.post("/hr/reminders", data={"assignment_ids": [str(mine.id)], "message": "请尽快完成"})
    assert response.status_code == 302
    assert [(n.user_id, n.body) for n in notifications()] == [(mine.user_id, "请尽快完成")]
    with frozen_clock(NOW):
        refused = client.post("/hr/reminders", follow_redirects=True, data={
            "assignment_ids": [str(people[city]["due_soon"].id), str(people[foreign]["overdue"].id)],
            "message": "越权提醒"})
    assert "不在您的管理范围内" in refused.text
    assert len(notifications()) == 1 and len(reminder_audits()) == 1


def test_the_page_filters_by_department_and_refuses_a_foreign_one(client, officers, people, org):
    login_as(client, officers["qc"])
    with frozen_clock(NOW):
        assert client.get(f"/hr/reminders?department_id={org.yl_division.id}").status_code == 404
        page = client.get(f"/hr/reminders?department_id={org.qc_division.id}").text
    assert "QC逾期" in page
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_sending_with_nothing_ticked_keeps_the_message(client, officers, people):
    login_as(client, officers["qc"])
    with frozen_clock(NOW):
        response = client.post("/hr/reminders", data={"message": "我写的提醒"})
    assert response.status_code == 200
    assert "请选择要提醒的人员" in response.text and "我写的提醒" in response.text
    assert notifications() == [] and reminder_audits() == []
