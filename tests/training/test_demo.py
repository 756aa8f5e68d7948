"""Demo data: idempotent, and each demo account logs in and sees its own home page."""

from __future__ import annotations

import pytest

from training.extensions import db
from training.org.demo import DEMO_PASSWORD, load_demo_organisation
from training.org.models import Department, User


@pytest.fixture
def demo(app_ctx):
    counts = load_demo_organisation()
    db.session.commit()
    return counts


def test_demo_load_is_idempotent(app_ctx, demo):
    assert demo["departments"] >= 30 and demo["users"] >= 300
    again = load_demo_organisation()
    db.session.commit()
    assert again == {"departments": 0, "users": 0}


def test_demo_shape(app_ctx, demo):
    cities = db.session.scalars(db.select(Department).where(Department.kind == "city")).all()
    assert len(cities) == 3
    hr = db.session.scalar(db.select(User).where(User.employee_no == "hr"))
    leader = db.session.scalar(db.select(User).where(User.employee_no == "leader"))
    learner = db.session.scalar(db.select(User).where(User.employee_no == "learner"))
    city = db.session.scalar(db.select(Department).where(Department.code == "QC"))
    assert [(g.role, g.department_id) for g in hr.grants] == [("hr", city.id)]
    assert [(g.role, g.department_id) for g in leader.grants] == [("leader", city.id)]
    assert learner.department.path.startswith(city.path) and learner.department.kind == "division"


@pytest.mark.parametrize(("account", "marker"), [
    ("admin", "系统管理"), ("hr", "组织人事工作台"), ("leader", "下属单位"),
    ("learner", "我的学习"), ("examiner", "我的学习"), ("reviewer", "我的学习"),
])
def test_each_demo_account_logs_in_and_sees_home(client, demo, account, marker):
    response = client.post("/login", data={"employee_no": account, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and marker in home.text
