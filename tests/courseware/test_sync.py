"""`flask courseware sync`: loads the shipped tree, is idempotent and atomic, keeps ids, respects in-app edits."""

from __future__ import annotations

import shutil

import pytest

from courseware.content_files import CONTENT_ROOT
from courseware.errors import ContentInvalid
from courseware.models import Course, KnowledgePoint, Lesson, SyllabusModule
from courseware.services.editing import update_lesson
from courseware.services.sync import sync_courseware
from training.extensions import db


@pytest.fixture
def tree(tmp_path):
    """A private copy of the shipped content to break or change."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    return root


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def lesson_ids() -> dict[str, int]:
    return dict(db.session.execute(db.select(Lesson.source_path, Lesson.id)).all())


def test_fresh_sync_loads_the_catalogue(app_ctx):
    report = sync_courseware()
    assert count(SyllabusModule) == 9 and count(KnowledgePoint) >= 36
    assert count(Course) >= 9 and count(Lesson) >= 40
    assert report.created["course"] == count(Course) and report.created["lesson"] == count(Lesson)
    modules_with_courses = db.session.scalars(db.select(SyllabusModule.code).join(Course).distinct()).all()
    assert sorted(modules_with_courses) == [f"M{n}" for n in range(1, 10)]


def test_second_sync_changes_nothing(app_ctx):
    sync_courseware()
    before = lesson_ids()
    hashes = dict(db.session.execute(db.select(Lesson.id, Lesson.content_hash)).all())
    report = sync_courseware()
    assert not report.changed and report.unchanged_lessons == len(before) and report.kept == []
    assert lesson_ids() == before
    assert dict(db.session.execute(db.select(Lesson.id, Lesson.content_hash)).all()) == hashes


def test_broken_metadata_is_reported_with_path_and_line_and_nothing_applied(app_ctx, tree):
    sync_courseware(tree)
    changed = tree / "M1" / "gailun" / "01-definition-origin.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("## 要点回顾", "## 新增一节\n\n新内容。\n\n## 要点回顾"),
                       encoding="utf-8")
    broken = tree / "M2" / "licheng" / "02-jinshui-jinguan.md"
    lines = broken.read_text(encoding="utf-8").split("\n")
    minutes_line = next(i for i, line in enumerate(lines) if line.startswith("minutes:"))
    lines[minutes_line] = "minutes: 半小时"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        sync_courseware(tree)
    messages = [str(problem) for problem in caught.value.details]
    assert messages == [f"M2/licheng/02-jinshui-jinguan.md:{minutes_line + 1}: minutes 应为 5–180 之间的整数，而不是“半小时”"]
    lesson = db.session.scalar(db.select(Lesson).where(Lesson.source_path == "M1/gailun/01-definition-origin.md"))
    assert "新增一节" not in lesson.body_md  # the valid change was not applied either


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda text: text.replace("knowledge_points: M1.1", "knowledge_points: M1.1, M99.9"), "未知的知识点：M99.9"),
    (lambda text: "\n".join(line for line in text.split("\n") if not line.startswith("title:")), "缺少元数据“title”"),
    (lambda text: text.replace("minutes:", "这一行不是元数据\nminutes:", 1), "元数据格式错误"),
])
def test_other_metadata_errors(app_ctx, tree, edit, expected):
    path = tree / "M1" / "gailun" / "01-definition-origin.md"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        sync_courseware(tree)
    assert any(expected in str(problem) and "M1/gailun/01-definition-origin.md" in str(problem)
               for problem in caught.value.details)
    assert count(Course) == 0


def test_changed_file_updates_in_place_and_removed_file_is_archived(app_ctx, tree):
    sync_courseware(tree)
    before = lesson_ids()
    path = tree / "M1" / "gailun" / "01-definition-origin.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    (tree / "M1" / "gailun" / "05-zhengwu-infrastructure.md").unlink()
    report = sync_courseware(tree)
    assert report.updated["lesson"] == 1
    assert report.archived == ["M1/gailun/05-zhengwu-infrastructure.md"]
    assert lesson_ids() == before  # ids stable, nothing deleted
    archived = db.session.get(Lesson, before["M1/gailun/05-zhengwu-infrastructure.md"])
    assert archived.published is False


def test_an_edit_in_the_app_is_kept_unless_forced(app_ctx, tree, examiner):
    sync_courseware(tree)
    lesson = db.session.scalar(db.select(Lesson).where(Lesson.source_path == "M1/gailun/01-definition-origin.md"))
    update_lesson(examiner, lesson, title="网页上改过的标题", minutes=31, body_md="## 改写\n\n网页编辑的正文。")
    path = tree / "M1" / "gailun" / "01-definition-origin.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n文件里的新内容。\n", encoding="utf-8")
    report = sync_courseware(tree)
    assert report.kept == ["M1/gailun/01-definition-origin.md"]
    db.session.refresh(lesson)
    assert lesson.title == "网页上改过的标题" and lesson.edited_in_app
    sync_courseware(tree, force=True)
    db.session.refresh(lesson)
    assert lesson.title != "网页上改过的标题" and "文件里的新内容" in lesson.body_md and not lesson.edited_in_app


def test_cli_sync_twice_and_broken(app, app_ctx, tree):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courseware", "sync"])
    assert first.exit_code == 0 and "课时 46" in first.output
    again = runner.invoke(args=["courseware", "sync"])
    assert again.exit_code == 0 and "没有变化" in again.output
    broken = tree / "M3" / "zhineng-zhuanbian" / "course.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("kind: 必修", "kind: 可选"), encoding="utf-8")
    failed = runner.invoke(args=["courseware", "sync", "--content-dir", str(tree)])
    assert failed.exit_code != 0 and "M3/zhineng-zhuanbian/course.md:3" in failed.output
