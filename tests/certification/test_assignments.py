"""Assignment rules: subtree, rank and selected people; rule-based (later joiners and transfers get it); the
earlier deadline wins; single courses; scope; withdrawal keeps progress."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from courseware.models import Enrollment
from tests import factories
from training.certification.models import Notification, ProgramAssignment
from training.certification.services import assignments
from training.core.audit import AuditEvent
from training.core.clock import frozen_clock
from training.core.errors import NotFound, ValidationFailed
from training.extensions import db
from training.org.services.users import UserData, create_user, update_user

DUE = datetime(2099, 6, 30)


def assigned(program) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(factories.User.employee_no).join(
        ProgramAssignment, ProgramAssignment.user_id == factories.User.id).where(
        ProgramAssignment.program_id == program.id)))


@pytest.fixture
def program(courses, cert_exam):
    return factories.make_program(courses=[courses[0]], exam=cert_exam)


@pytest.fixture
def people(org):
    return {
        "bureau": factories.make_user(org.qc_bureau, employee_no="Q0001", rank="一级主任科员"),
        "division": factories.make_user(org.qc_division, employee_no="Q0002", rank="一级科员"),
        "other_city": factories.make_user(org.yl_bureau, employee_no="Y0001", rank="一级科员"),
    }


def test_department_rule_reaches_the_subtree_and_later_joiners(program, people, hr_officer, org, admin):
    rule, added = assignments.create_rule(hr_officer, department_id=org.qc_bureau.id, program_id=program.id,
                                          due_at=DUE, note="年度必修")
    # the officer works in the bureau too: H0001 is one of its people
    assert added == 3 and assigned(program) == {"H0001", "Q0001", "Q0002"}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "assigned")) == 3
    audit = db.session.scalars(select(AuditEvent).filter_by(action="assignment.create")).one()
    assert audit.actor_id == hr_officer.id and audit.detail["assigned"] == 3
    # a new official placed in the subtree later is assigned by the rule (user_placed)
    newcomer, _password = create_user(hr_officer, UserData(employee_no="Q0003", name="新同事",
                                                           department=org.qc_division, rank="一级科员"))
    assert "Q0003" in assigned(program)
    row = db.session.scalars(select(ProgramAssignment).filter_by(user_id=newcomer.id)).one()
    assert row.rule_id == rule.id and row.due_at == DUE and row.computed_at is not None
    # a transfer into the subtree too (needs scope over both departments: an admin moves them)
    mover = people["other_city"]
    update_user(admin, mover, UserData(employee_no=mover.employee_no, name=mover.name,
                                       department=org.qc_division, rank=mover.rank))
    assert "Y0001" in assigned(program)


def test_rank_rule_and_people_rule(program, people, hr_officer, org):
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id, rank="一级主任科员")
    assert assigned(program) == {"Q0001"}
    _rule, added = assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id,
                                           target="people", employee_nos=["Q0002", " Q0001 "])
    assert added == 1 and assigned(program) == {"Q0001", "Q0002"}


@pytest.mark.parametrize("employee_nos", [["Y0001"], ["Q0002", "NOPE"]])
def test_people_rule_refuses_unknown_or_out_of_scope_people(program, people, hr_officer, org, employee_nos):
    with pytest.raises(ValidationFailed):
        assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id, target="people",
                                employee_nos=employee_nos)
    assert assigned(program) == set()


@pytest.mark.parametrize("department", ["yl", "yl_bureau", "province"])
def test_hr_cannot_assign_outside_their_city(program, people, hr_officer, org, department):
    with pytest.raises(NotFound):
        assignments.create_rule(hr_officer, department_id=getattr(org, department).id, program_id=program.id)
    assert assigned(program) == set()


def test_earlier_deadline_wins(program, people, hr_officer, org):
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id, due_at=DUE)
    assignments.create_rule(hr_officer, department_id=org.qc_division.id, program_id=program.id,
                            due_at=datetime(2098, 1, 1))
    dues = dict(db.session.execute(select(factories.User.employee_no, ProgramAssignment.due_at).join(
        ProgramAssignment, ProgramAssignment.user_id == factories.User.id)).all())
    assert dues == {"H0001": DUE, "Q0001": DUE, "Q0002": datetime(2098, 1, 1)}


def test_single_course_assignment_enrols_with_a_deadline(courses, people, hr_officer, org):
    course = courses[1]
    _rule, added = assignments.create_rule(hr_officer, department_id=org.qc_division.id, course_id=course.id,
                                           due_at=DUE)
    enrolment = db.session.scalars(select(Enrollment).filter_by(course_id=course.id)).one()
    assert added == 1 and (enrolment.user_id, enrolment.source, enrolment.due_at) == (
        people["division"].id, "assigned", DUE)


def test_ended_rule_assigns_nobody_new_but_keeps_progress(program, people, hr_officer, org):
    rule, _added = assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id)
    assignments.end_rule(hr_officer, rule.id)
    factories.make_user(org.qc_division, employee_no="Q0009")
    assignments.apply_rules_to_user(db.session.scalar(select(factories.User.id).filter_by(employee_no="Q0009")))
    assert assigned(program) == {"H0001", "Q0001", "Q0002"}
    other = factories.make_user(org.yl_bureau, employee_no="H0098", roles=[("hr", org.yl)])
    with pytest.raises(NotFound):
        assignments.end_rule(other, rule.id)


def test_rules_in_scope_are_the_officers_own(program, people, hr_officer, org):
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id)
    other = factories.make_user(org.yl_bureau, employee_no="H0098", roles=[("hr", org.yl)])
    assignments.create_rule(other, department_id=org.yl.id, program_id=program.id)
    mine = assignments.rules_in_scope(hr_officer)
    assert [(rule.department.code, n) for rule, n in mine] == [("QC", 3)]


def test_newcomers_after_the_deadline_get_time_of_their_own(program, people, hr_officer, org):
    start = datetime(2026, 1, 5, 9, 0)
    with frozen_clock(start):
        rule, _added = assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id,
                                               due_at=start + timedelta(days=60))
    with frozen_clock(start + timedelta(days=100)):
        newcomer, _password = create_user(hr_officer, UserData(employee_no="Q0007", name="后来者",
                                                               department=org.qc_division, rank="一级科员"))
        row = db.session.scalars(select(ProgramAssignment).filter_by(user_id=newcomer.id)).one()
        assert row.rule_id == rule.id and row.due_at == start + timedelta(days=160) and row.status == "not_started"


def test_a_promotion_brings_the_rank_rule(program, people, hr_officer, org):
    assignments.create_rule(hr_officer, department_id=org.qc.id, program_id=program.id, rank="四级主任科员")
    person = people["division"]
    assert "Q0002" not in assigned(program)
    update_user(hr_officer, person, UserData(employee_no=person.employee_no, name=person.name,
                                             department=person.department, rank="四级主任科员"))
    assert "Q0002" in assigned(program)
