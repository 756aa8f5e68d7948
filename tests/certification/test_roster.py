"""The HR roster service: scope, every filter, sort, pagination, row contents, streaming for exports, and a
fixed number of statements per page whatever its size."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from courseware.models import LessonProgress
from question_bank.exams.models import Attempt
from tests import factories
from training.certification.models import ProgramAssignment, YearlyHours
from training.certification.services import roster
from training.certification.services.roster import RosterFilter, compliance_rows, roster_page, roster_rows
from training.core.errors import NotFound
from training.extensions import db

NOW = datetime(2026, 6, 15, 4, 0)


@dataclass
class World:
    """A small organisation's roster: people of 清川 (QC…), 云岭 (Y…) and the province (P…), two programmes."""

    people: dict
    program_a: object
    program_b: object


def assign(user, program, status, *, percent=0, expires_in_days=None, due_in_days=None):
    db.session.add(ProgramAssignment(
        user_id=user.id, program_id=program.id, status=status, percent=percent,
        expires_at=NOW + timedelta(days=expires_in_days) if expires_in_days is not None else None,
        due_at=NOW + timedelta(days=due_in_days) if due_in_days is not None else None))


def hours(user, value, year=NOW.year):
    db.session.add(YearlyHours(user_id=user.id, year=year, hours=Decimal(str(value)), courses=1))


def build_world(org) -> World:
    """QC1 (一级科员, 95 学时, A certified expiring in 30 days, B in progress), QC2 (四级调研员: target 110, 100 学时,
    A overdue), QC3 (no 学时, A certified for 200 days), QC4 in the city itself (30 学时, B expired), QC5 inactive;
    Y1, Y2 in 云岭 and P1 in the province."""
    make = factories.make_user
    people = {
        "QC1": make(org.qc_division, employee_no="QC0001", name="张三", rank="一级科员"),
        "QC2": make(org.qc_bureau, employee_no="QC0002", name="李四", rank="四级调研员"),
        "QC3": make(org.qc_division, employee_no="QC0003", name="王五", rank="一级科员"),
        "QC4": make(org.qc, employee_no="QC0004", name="赵六", rank="二级科员"),
        "QC5": make(org.qc_division, employee_no="QC0005", name="钱七", rank="一级科员"),
        "Y1": make(org.yl_division, employee_no="Y0001", name="云一", rank="一级科员"),
        "Y2": make(org.yl_bureau, employee_no="Y0002", name="云二", rank="一级科员"),
        "P1": make(org.province, employee_no="P0001", name="省一", rank="一级科员"),
    }
    people["QC5"].is_active = False
    program_a = factories.make_program("P-A", name="初级认证")
    program_b = factories.make_program("P-B", name="中级认证")
    assign(people["QC1"], program_a, "expiring", percent=100, expires_in_days=30)
    assign(people["QC1"], program_b, "in_progress", percent=40, due_in_days=60)
    assign(people["QC2"], program_a, "overdue", percent=20, due_in_days=-5)
    assign(people["QC3"], program_a, "certified", percent=100, expires_in_days=200)
    assign(people["QC4"], program_b, "expired", percent=100, expires_in_days=-10)
    assign(people["Y1"], program_a, "overdue", percent=0, due_in_days=-5)
    assign(people["P1"], program_a, "certified", percent=100, expires_in_days=20)
    hours(people["QC1"], 95)
    hours(people["QC2"], 100)
    hours(people["QC4"], 30)
    hours(people["QC4"], 120, year=NOW.year - 1)
    hours(people["Y1"], 10)
    people["QC4"].last_login_at = NOW - timedelta(days=3)
    people["QC1"].last_login_at = NOW - timedelta(days=1)
    db.session.commit()
    return World(people, program_a, program_b)


@pytest.fixture
def world(org, hr_officer) -> World:
    return build_world(org)


def numbers(page) -> list[str]:
    return [row.employee_no for row in (page.rows if hasattr(page, "rows") else page)]


def test_hr_officer_sees_active_people_of_their_city_only(world, hr_officer, admin):
    page = roster_page(hr_officer, RosterFilter(sort="employee_no"), now=NOW)
    assert numbers(page) == ["H0001", "QC0001", "QC0002", "QC0003", "QC0004"]
    assert page.total == 5
    everyone = roster_page(admin, RosterFilter(sort="employee_no"), now=NOW)
    assert {"Y0001", "Y0002", "P0001", "A0001"} <= set(numbers(everyone))
    assert "QC0005" not in numbers(everyone)


@pytest.mark.parametrize("department", ["yl", "yl_bureau", "yl_division", "province"])
def test_a_department_outside_the_scope_is_not_found(world, org, hr_officer, department):
    with pytest.raises(NotFound):
        roster_page(hr_officer, RosterFilter(department_id=getattr(org, department).id), now=NOW)


def test_sub_department_filter_takes_the_subtree(world, org, hr_officer, admin):
    page = roster_page(hr_officer, RosterFilter(department_id=org.qc_bureau.id, sort="employee_no"), now=NOW)
    assert numbers(page) == ["H0001", "QC0001", "QC0002", "QC0003"]
    division = roster_page(hr_officer, RosterFilter(department_id=org.qc_division.id), now=NOW)
    assert sorted(numbers(division)) == ["QC0001", "QC0003"]
    assert numbers(roster_page(admin, RosterFilter(department_id=org.yl.id, sort="name"), now=NOW)) == \
        ["Y0001", "Y0002"]


@pytest.mark.parametrize(("flt", "expected"), [
    (RosterFilter(rank="四级调研员"), ["QC0002"]),
    (RosterFilter(status="overdue"), ["QC0002"]),
    (RosterFilter(overdue=True), ["QC0002"]),
    (RosterFilter(status="in_progress"), ["QC0001"]),
    (RosterFilter(status="expired"), ["QC0004"]),
    (RosterFilter(expiring_within_days=60), ["QC0001"]),
    (RosterFilter(expiring_within_days=365), ["QC0001", "QC0003"]),
    (RosterFilter(expiring_within_days=10), []),
    (RosterFilter(below_target=True), ["H0001", "QC0002", "QC0003", "QC0004"]),
    (RosterFilter(q="QC000"), ["QC0001", "QC0002", "QC0003", "QC0004"]),
    (RosterFilter(q="王"), ["H0001", "QC0003"]),
    (RosterFilter(q="五"), []),  # a prefix, not a substring
    (RosterFilter(q="%"), []),  # LIKE wildcards are literal
    (RosterFilter(status="nonsense"), ["H0001", "QC0001", "QC0002", "QC0003", "QC0004"]),  # ignored
], ids=lambda value: repr(value)[:60])
def test_filters(world, hr_officer, flt, expected):
    assert sorted(numbers(roster_page(hr_officer, flt, now=NOW))) == expected


def test_programme_filter_alone_and_with_a_status(world, hr_officer):
    program_a, program_b = world.program_a.id, world.program_b.id
    assert sorted(numbers(roster_page(hr_officer, RosterFilter(program_id=program_a), now=NOW))) == \
        ["QC0001", "QC0002", "QC0003"]
    assert numbers(roster_page(hr_officer, RosterFilter(program_id=program_b, status="in_progress"), now=NOW)) == \
        ["QC0001"]
    # both conditions must hold in the same programme: QC1 is in progress in B, not in A
    assert numbers(roster_page(hr_officer, RosterFilter(program_id=program_a, status="in_progress"), now=NOW)) == []


@pytest.mark.parametrize(("sort", "expected"), [
    ("employee_no", ["H0001", "QC0001", "QC0002", "QC0003", "QC0004"]),
    ("hours", ["H0001", "QC0003", "QC0004", "QC0001", "QC0002"]),
    ("-hours", ["QC0002", "QC0001", "QC0004", "H0001", "QC0003"]),
    ("last_login", ["QC0001", "QC0004", "H0001", "QC0002", "QC0003"]),
    ("department", ["QC0004", "H0001", "QC0002", "QC0001", "QC0003"]),
])
def test_sort(world, hr_officer, sort, expected):
    assert numbers(roster_page(hr_officer, RosterFilter(sort=sort), now=NOW)) == expected


def test_sort_by_name_follows_the_database_order_of_names(world, hr_officer):
    rows = roster_page(hr_officer, RosterFilter(sort="name"), now=NOW).rows
    assert [row.name for row in rows] == sorted(row.name for row in rows)


def test_pagination(world, hr_officer):
    first = roster_page(hr_officer, RosterFilter(sort="employee_no", per_page=2), now=NOW)
    third = roster_page(hr_officer, RosterFilter(sort="employee_no", per_page=2, page=3), now=NOW)
    assert (first.total, first.pages, numbers(first)) == (5, 3, ["H0001", "QC0001"])
    assert numbers(third) == ["QC0004"]
    beyond = roster_page(hr_officer, RosterFilter(sort="employee_no", per_page=2, page=99), now=NOW)
    assert (beyond.page, numbers(beyond)) == (3, ["QC0004"])
    assert roster_page(hr_officer, RosterFilter(per_page=10_000), now=NOW).per_page == roster.MAX_PER_PAGE


def test_row_contents(world, org, hr_officer, cert_exam, courses):
    person = world.people["QC1"]
    lesson_id = courses[0].lessons[0].id
    db.session.add(LessonProgress(user_id=person.id, lesson_id=lesson_id, seconds=60,
                                  last_beat_at=NOW - timedelta(hours=5)))
    db.session.add(Attempt(exam_id=cert_exam.id, user_id=person.id, started_at=NOW - timedelta(hours=2),
                           deadline_at=NOW, status="graded"))
    db.session.commit()
    row = next(r for r in roster_page(hr_officer, RosterFilter(), now=NOW).rows if r.employee_no == "QC0001")
    assert (row.name, row.rank, row.department) == ("张三", "一级科员", "公务员管理科")
    assert row.department_path == ("东江省人民政府", "清川市人民政府", "清川市人社局", "公务员管理科")
    assert (row.hours, row.target, row.shortfall) == (95.0, 90.0, 0.0)
    assert [(s.program, s.status, s.percent) for s in row.programs] == [("初级认证", "expiring", 100),
                                                                        ("中级认证", "in_progress", 40)]
    assert row.programs[0].expires_at == NOW + timedelta(days=30) and row.programs[0].held
    assert row.last_activity == NOW - timedelta(hours=2)  # the attempt, later than the login and the beat
    senior = next(r for r in roster_page(hr_officer, RosterFilter(), now=NOW).rows if r.employee_no == "QC0002")
    assert (senior.target, senior.shortfall) == (110.0, 10.0)
    quiet = next(r for r in roster_page(hr_officer, RosterFilter(), now=NOW).rows if r.employee_no == "QC0003")
    assert (quiet.hours, quiet.last_activity, quiet.programs[0].status) == (0.0, None, "certified")


def test_target_follows_the_configured_targets(world, hr_officer, admin):
    from courseware.hours import HoursTargets, default_targets, save_targets

    save_targets(admin.id, HoursTargets({**default_targets().per_rank, "一级科员": 0.0}))
    db.session.commit()
    page = roster_page(hr_officer, RosterFilter(below_target=True), now=NOW)
    assert sorted(numbers(page)) == ["QC0002", "QC0004"]  # 一级科员 need nothing now; 二级科员 still 90
    everyone = roster_page(hr_officer, RosterFilter(), now=NOW).rows
    assert {row.employee_no: row.target for row in everyone}["QC0003"] == 0.0


def test_streamed_rows_equal_the_pages_in_chunks(world, hr_officer, monkeypatch):
    monkeypatch.setattr(roster, "CHUNK", 2)
    flt = RosterFilter(sort="-hours")
    assert numbers(list(roster_rows(hr_officer, flt, now=NOW))) == numbers(roster_page(hr_officer, flt, now=NOW))


def test_compliance_rows_are_everyone_below_target_in_the_year(world, org, hr_officer):
    assert numbers(list(compliance_rows(hr_officer, NOW.year, now=NOW))) == ["QC0004", "H0001", "QC0002",
                                                                             "QC0003"]
    last_year = numbers(list(compliance_rows(hr_officer, NOW.year - 1, now=NOW)))
    assert "QC0004" not in last_year and "QC0001" in last_year  # 120 last year; nothing on record for QC1
    assert numbers(list(compliance_rows(hr_officer, NOW.year, org.qc_division.id, now=NOW))) == ["QC0003"]
    with pytest.raises(NotFound):
        list(compliance_rows(hr_officer, NOW.year, org.yl.id, now=NOW))


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def crowd(org, size: int, programs, lesson_id: int, exam_id: int) -> None:
    """``size`` officials in 清川's division, each in every programme, with 学时, a beat and an attempt."""
    for n in range(size):
        person = factories.make_user(org.qc_division, employee_no=f"C{n:04d}", name=f"人员{n}")
        for program in programs:
            assign(person, program, "in_progress", percent=n % 100)
        hours(person, n)
        db.session.add(LessonProgress(user_id=person.id, lesson_id=lesson_id, last_beat_at=NOW))
        db.session.add(Attempt(exam_id=exam_id, user_id=person.id, started_at=NOW, deadline_at=NOW))
    db.session.commit()


@pytest.mark.parametrize("sort", ["department", "-hours"])
def test_a_page_costs_the_same_few_statements_for_10_or_50_rows(org, hr_officer, cert_exam, courses, sort):
    programs = [factories.make_program(f"P-{n}") for n in range(3)]
    crowd(org, 50, programs, courses[0].lessons[0].id, cert_exam.id)
    flt = RosterFilter(per_page=5, sort=sort, department_id=org.qc_division.id)
    roster_page(hr_officer, flt, now=NOW)  # loads what a request has loaded already: the user's grants
    counts = {}
    for size in (10, 50):
        with counted_statements() as statements:
            page = roster_page(hr_officer, replace(flt, per_page=size), now=NOW)
        assert len(page.rows) == size and all(len(row.programs) == 3 for row in page.rows)
        counts[size] = len(statements)
    assert counts[10] == counts[50] <= 7


def test_department_options_stay_in_scope_and_shallow(world, org, hr_officer, admin):
    assert [id_ for id_, _label in roster.department_options(hr_officer)] == [org.qc.id, org.qc_bureau.id,
                                                                               org.qc_division.id]
    labels = dict(roster.department_options(admin))
    assert org.yl_bureau.id in labels and org.yl_division.id not in labels  # two levels below the root
    assert labels[org.yl_bureau.id] == "\u3000\u3000云岭市人社局"
    assert org.yl_division.id in dict(roster.department_options(admin, org.yl_division.id))  # the selected one
    assert org.yl.id not in dict(roster.department_options(hr_officer, org.yl.id))
