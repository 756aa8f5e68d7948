"""Officials' e-mail address (for notification e-mail): entered on the user form, checked, audited when changed."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import login_as
from training.core.audit import AuditEvent
from training.extensions import db
from training.org.models import User


def form(org, **values) -> dict:
    return {"employee_no": "Q5001", "name": "钱晓东", "rank": "一级科员", "department_id": org.qc_division.id,
            "position": "", **values}


def test_email_is_saved_and_its_change_audited(client, hr_officer, org):
    login_as(client, hr_officer)
    client.post("/admin/users/new", data=form(org, email="qian@qc.example.gov.cn"))
    user = db.session.scalars(select(User).filter_by(employee_no="Q5001")).one()
    assert user.email == "qian@qc.example.gov.cn"
    client.post(f"/admin/users/{user.id}", data=form(org, email="xd.qian@qc.example.gov.cn"))
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "xd.qian@qc.example.gov.cn"
    event = db.session.scalars(select(AuditEvent).filter_by(action="user.update")).one()
    assert event.detail["changes"]["email"] == ["qian@qc.example.gov.cn", "xd.qian@qc.example.gov.cn"]


def test_malformed_email_is_refused(client, hr_officer, org):
    login_as(client, hr_officer)
    page = client.post("/admin/users/new", data=form(org, email="not-an-address")).get_data(as_text=True)
    assert "请输入有效的电子邮箱地址" in page
    assert db.session.scalar(select(User).filter_by(employee_no="Q5001")) is None
