"""Mastery per module and competency: 100 × Σ score / Σ points over graded items in the window; the version's
competency overrides its knowledge point's; the person profile (no suppression for one person)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests import factories
from tests.reports.test_figures import NOW, World, add_attempt, add_people, make_exam, make_versions
from training.reports.services.figures import person_profile, subtree_figures


@pytest.fixture
def versions(org):
    """(version, module, competency) by a short name: M1.1 学习, M3.1 依法行政, M3.2 公共服务, M7.1 应急,
    M7.1 with the competency 创新能力 on the version, and a version without a knowledge point (沟通协调)."""
    rows = make_versions()
    return {"m1": rows[0], "m3_law": rows[2], "m3_service": rows[3], "m7": rows[4], "m7_innovation": rows[6],
            "no_kp": rows[7]}


def _by_code(masteries):
    return {m.code: (m.mastery, m.responses, m.band) for m in masteries}


def _items(versions, *spec):
    """[(name, score, points)] → attempt items."""
    return [(*versions[name], score, points) for name, score, points in spec]


def test_module_and_competency_mastery_of_a_group(org, versions):
    world = World()
    people = add_people(world, org.yl_bureau, 5, random.Random(1))
    inactive = add_people(world, org.yl_bureau, 1, random.Random(1), active=False, prefix="OLD")[0]
    formal, mock = make_exam("formal", org.province), make_exam("mock", org.province)
    add_attempt(world, people[0].id, formal, NOW - timedelta(days=2),
                _items(versions, ("m1", 2, 2), ("m3_law", 1, 2), ("m7_innovation", 0, 3)))
    add_attempt(world, people[1].id, mock, NOW - timedelta(days=40),
                _items(versions, ("m1", 1, 2), ("m3_service", 3, 4), ("no_kp", 1, 1), ("m7", 2, 2)))
    # ungraded, out of the window, or an inactive person's: none of them counts
    add_attempt(world, people[2].id, formal, NOW - timedelta(days=1), _items(versions, ("m1", 0, 2)), graded=False)
    add_attempt(world, people[3].id, formal, NOW - timedelta(days=400), _items(versions, ("m1", 0, 2)))
    add_attempt(world, inactive.id, formal, NOW - timedelta(days=1), _items(versions, ("m1", 0, 2)))

    figures = subtree_figures([org.yl.id], now=NOW)[org.yl.id]
    modules = _by_code(figures.modules)
    assert modules["M1"] == (pytest.approx(75.0), 2, "good")  # (2 + 1) / (2 + 2)
    assert modules["M3"] == (pytest.approx(4 / 6 * 100), 2, "pass")  # (1 + 3) / (2 + 4)
    assert modules["M7"] == (pytest.approx(40.0), 2, "below")  # (0 + 2) / (3 + 2)
    competencies = _by_code(figures.competencies)
    assert competencies["学习能力"] == (pytest.approx(75.0), 2, "good")
    assert competencies["依法行政能力"] == (pytest.approx(50.0), 1, "below")
    assert competencies["公共服务能力"] == (pytest.approx(75.0), 1, "good")
    assert competencies["创新能力"] == (pytest.approx(0.0), 1, "below")  # the version's own competency
    assert competencies["应对突发事件能力"] == (pytest.approx(100.0), 1, "excellent")
    assert competencies["沟通协调能力"] == (pytest.approx(100.0), 1, "excellent")  # no knowledge point: no module
    assert sum(m.responses for m in figures.modules) == 6 and sum(m.responses for m in figures.competencies) == 7
    # the mock exam counts for mastery, not for exam participation
    assert figures.exam_participants == 1


def test_a_persons_profile_is_not_suppressed(org, versions, leader):
    world = World()
    person = add_people(world, org.qc_division, 1, random.Random(1))[0]
    exam = make_exam("formal", org.province)
    add_attempt(world, person.id, exam, NOW - timedelta(days=10), _items(versions, ("m1", 1, 2), ("m3_law", 2, 2)))
    add_attempt(world, person.id, exam, NOW - timedelta(days=5), _items(versions, ("m1", 2, 2)))
    profile = person_profile(leader, person.employee_no, now=NOW)
    assert (profile.employee_no, profile.department.code, profile.months) == (person.employee_no, "QC-RS-01", 12)
    assert _by_code(profile.modules) == {"M1": (pytest.approx(75.0), 2, "good"), "M3": (100.0, 1, "excellent"),
                                         "M7": (None, 0, None)}
    assert _by_code(profile.competencies)["学习能力"] == (pytest.approx(75.0), 2, "good")
    assert _by_code(profile.competencies)["依法行政能力"] == (100.0, 1, "excellent")
    assert subtree_figures([org.qc_division.id], now=NOW)[org.qc_division.id].suppressed


@pytest.mark.parametrize(("score", "band"), [(1.19, "below"), (1.2, "pass"), (1.5, "good"), (1.8, "excellent")])
def test_bands_follow_the_mastery(org, versions, admin, score, band):
    world = World()
    person = add_people(world, org.qc_division, 1, random.Random(1))[0]
    add_attempt(world, person.id, make_exam("formal", org.province), NOW - timedelta(days=1),
                _items(versions, ("m1", score, 2)))
    assert _by_code(person_profile(admin, person.employee_no, now=NOW).modules)["M1"][2] == band


def test_the_leader_of_the_persons_city_reads_the_profile(org, versions):
    world = World()
    person = add_people(world, org.yl_division, 1, random.Random(1))[0]
    yl_leader = factories.make_user(org.yl, employee_no="D0002", roles=[("leader", org.yl)])
    assert person_profile(yl_leader, person.employee_no, now=NOW).name == person.name
