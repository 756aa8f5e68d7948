"""The shipped courseware: enough of it, well-formed, covering the syllabus, and our own words."""

from __future__ import annotations

import re

import pytest

from courseware.content_files import read_catalogue
from tests.originality import SEEDS, copied_runs

CATALOGUE, ERRORS = read_catalogue()
LESSONS = [lesson for course in CATALOGUE.courses for lesson in course.lessons]


def test_tree_is_valid():
    assert ERRORS == []


def test_enough_courses_and_lessons():
    assert len(CATALOGUE.courses) >= 9 and len(LESSONS) >= 40
    assert {course.module_code for course in CATALOGUE.courses} == {f"M{n}" for n in range(1, 10)}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.path)
def test_lesson_is_substantial_and_ends_with_a_review(lesson):
    assert len(re.findall(r"[\u4e00-\u9fff]", lesson.body_md)) >= 800
    headings = re.findall(r"^##\s+(.+)$", lesson.body_md, flags=re.M)
    assert headings[-1].strip() == "要点回顾"
    assert lesson.knowledge_points


def test_every_knowledge_point_is_taught():
    taught = {kp for lesson in LESSONS for kp in lesson.knowledge_points}
    defined = {kp["code"] for module in CATALOGUE.modules for kp in module.knowledge_points}
    assert defined - taught == set()


def test_process_comparison_and_figures_are_tabulated():
    text = "\n".join(lesson.body_md for lesson in LESSONS)
    assert "并联" in text and "串行" in text and "| " in text
    for fact in ("789", "406", "2004", "0.4700", "72", "2008"):
        assert fact in text


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present in this checkout")
def test_no_sentence_is_copied_from_the_seeds():
    copied = {lesson.path: runs[:3] for lesson in LESSONS if (runs := copied_runs(lesson.body_md))}
    assert copied == {}
