"""Importing: the Excel template (10 good + 3 bad rows), Aiken, duplicates, idempotency, CLI and API."""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from courseware.services.sync import sync_courseware
from question_bank.errors import QuestionInvalid
from question_bank.formats.aiken import parse_aiken
from question_bank.formats.excel import HEADERS, draft_row, read_excel, write_excel
from question_bank.formats.gift import parse_gift
from question_bank.formats.moodle_xml import parse_moodle_xml
from question_bank.formats.writers import draft_to_gift, draft_to_moodle, moodle_document
from question_bank.models import Question, QuestionNgram
from question_bank.services.authoring import QuestionDraft
from question_bank.services.importing import commit_import, preview_import
from tests.conftest import login_as
from training.core.audit import AuditEvent
from training.extensions import db

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "moodle"

GOOD = [
    {"题型": "单选", "题干": "金税工程启动于哪一年？", "选项A": "1993", "选项B": "1994", "选项C": "1998", "选项D": "2001",
     "答案": "B", "解析": "金税工程于1994年启动。", "难度": "易", "分值": 2, "知识点": "M2.2", "模块": "M2"},
    {"题型": "多选", "题干": "下列属于电子政务应用模式的有？", "选项A": "G2G", "选项B": "G2B", "选项C": "B2C", "选项D": "G2C",
     "答案": "A,B,D", "解析": "B2C 属于电子商务。", "难度": 2, "知识点": "M1.2"},
    {"题型": "判断", "题干": "《行政许可法》自2004年7月1日起施行。", "答案": "对", "解析": "正确。", "难度": "中", "知识点": "M3.3"},
    {"题型": "填空", "题干": "____年，____工程启动。", "答案": "1994｜金税工程/金税", "解析": "金税工程。", "知识点": "M2.2"},
    {"题型": "简答", "题干": "简述并联审批的前提条件。", "答案": "有法可依、信息共享、标准统一、责任清楚。",
     "关键词": "法律依据，信息共享，标准统一", "解析": "见 M4 课程。", "难度": 4, "分值": 10, "知识点": "M4.4"},
    {"题型": "单选题", "题干": "政府信息公开条例施行的日期是？", "选项A": "2007年4月5日", "选项B": "2008年5月1日",
     "答案": "B", "解析": "2008年5月1日起施行。", "知识点": "《政府信息公开条例》"},
    {"题型": "判断题", "题干": "电子政务的重点在“电子”而不在“政务”。", "答案": "×", "解析": "重在政务。", "知识点": "M1.3"},
    {"题型": "多选", "题干": "3M 策略包括哪些方面？", "选项A": "介质", "选项B": "管理", "选项C": "迁移", "选项D": "营销",
     "答案": "ABC", "解析": "媒体、管理、迁移。", "知识点": "M7.3", "能力维度": "应对突发事件能力"},
    {"题型": "单选", "题干": "绩效评估中“产出”之后的层次是？", "选项A": "结果", "选项B": "投入", "答案": "A", "解析": "产出、结果、影响。",
     "知识点": "M8.4", "难度": 5},
    {"题型": "填空", "题干": "政府信息公开以公开为原则，以____为例外。", "答案": "不公开", "解析": "条例原则。", "知识点": "M5.1"},
]
BAD = [
    {"题型": "单选", "题干": "缺少正确选项字母的题", "选项A": "甲", "选项B": "乙", "答案": "E", "知识点": "M1.1"},
    {"题型": "问答", "题干": "未知题型的题", "答案": "随便"},
    {"题型": "判断", "题干": "答案写错的判断题", "答案": "可能", "知识点": "M1.1"},
]


def workbook(rows) -> bytes:
    return write_excel(rows)


@pytest.fixture
def syllabus(app_ctx, org):
    sync_courseware()


def test_ten_good_and_three_bad_rows(syllabus, examiner):
    content = workbook(GOOD[:5] + BAD[:1] + GOOD[5:8] + BAD[1:] + GOOD[8:])
    report = preview_import(examiner, content, "excel")
    assert (report.total, report.importable, len(report.errors)) == (13, 10, 3)
    assert [error["ref"] for error in report.errors] == ["第 7 行", "第 11 行", "第 12 行"]
    assert "答案应为选项字母" in report.errors[0]["message"] and "题型“问答”" in report.errors[1]["message"]
    assert report.total == report.importable + len(report.skipped) + len(report.errors)
    with pytest.raises(QuestionInvalid):
        commit_import(examiner, content, "excel")
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0

    fixed = [dict(BAD[0], 答案="A"), dict(BAD[1], 题型="简答"), dict(BAD[2], 答案="错误")]
    content = workbook(GOOD[:5] + fixed[:1] + GOOD[5:8] + fixed[1:] + GOOD[8:])
    result = commit_import(examiner, content, "excel", "bank.xlsx")
    assert result.imported == 13
    assert result.by_type == {"single": 4, "multiple": 2, "true_false": 3, "fill_blank": 2, "short_answer": 2}
    statuses = set(db.session.scalars(db.select(Question.status)))
    assert statuses == {"draft"}
    again = commit_import(examiner, content, "excel", "bank.xlsx")
    assert (again.imported, again.already_present) == (0, 13)
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 13
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "question.import"))
    assert event.detail["imported"] == 13 and event.actor_id == examiner.id


def test_excel_details_are_mapped(syllabus, examiner):
    commit_import(examiner, workbook(GOOD[3:6]), "excel")
    versions = {q.type: q.versions[0] for q in db.session.scalars(db.select(Question))}
    assert versions["fill_blank"].key == [["1994"], ["金税工程", "金税"]]
    assert versions["short_answer"].extra == {"keywords": ["法律依据", "信息共享", "标准统一"]}
    assert versions["short_answer"].points == Decimal("10") and versions["short_answer"].difficulty == 4
    single = versions["single"]
    assert single.competency == "依法行政能力" and single.points == Decimal("2")  # from the knowledge point's title


def test_template_has_instructions_and_lists(syllabus, examiner):
    book = load_workbook(io.BytesIO(write_excel([], template=True)))
    assert book.sheetnames == ["试题", "说明"]
    assert tuple(cell.value for cell in book["试题"][1]) == HEADERS
    assert len(book["试题"].data_validations.dataValidation) == 4


def test_near_duplicates_are_flagged(syllabus, examiner):
    commit_import(examiner, workbook(GOOD[:1]), "excel")
    similar = dict(GOOD[0], 题干="（单选）金税工程启动于哪一年？", 解析="1994年。")
    other = dict(GOOD[2])
    report = preview_import(examiner, workbook([similar, other]), "excel")
    assert [(d["ref"], round(d["similarity"], 1) >= 0.7) for d in report.duplicates] == [("第 2 行", True)]


def test_aiken(syllabus, examiner):
    parsed = parse_aiken("《行政许可法》自何时起施行？\nA. 2003年8月\nB) 2004年7月1日\nANSWER: B\n\n坏题\nA. 甲\nANSWER: C\n".encode())
    assert parsed[0].draft.key == "B" and parsed[0].draft.options == ["2003年8月", "2004年7月1日"]
    assert parsed[1].errors and parsed[1].ref == "第 6 行"


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present in this checkout")
def test_aiken_conformance(syllabus, examiner):
    content = (CONFORMANCE / "questions.aiken.txt").read_bytes()
    report = preview_import(examiner, content, "aiken")
    assert (report.total, report.importable, report.skipped, report.errors) == (2, 2, [], [])
    commit_import(examiner, content, "aiken")
    stems = set(db.session.scalars(db.select(Question.stem_text)))
    assert any("<html" not in stem and "Moodle's abilities" in stem for stem in stems)


def test_api_and_permissions(client, syllabus, examiner, learner):
    login_as(client, learner)
    assert client.get("/api/v1/questions").status_code == 403
    assert client.post("/api/v1/questions/import", data={"file": (io.BytesIO(workbook(GOOD)), "q.xlsx")},
                       content_type="multipart/form-data").status_code == 403
    login_as(client, examiner)
    preview = client.post("/api/v1/questions/import", data={"file": (io.BytesIO(workbook(GOOD + BAD[:1])), "q.xlsx")},
                          content_type="multipart/form-data").json
    assert preview["total"] == 11 and preview["importable"] == 10 and preview["errors"][0]["ref"] == "第 12 行"
    assert set(preview) >= {"total", "importable", "imported", "by_type", "skipped", "errors", "duplicates"}
    done = client.post("/api/v1/questions/import", data={"file": (io.BytesIO(workbook(GOOD)), "q.xlsx"),
                                                         "dry_run": "false"}, content_type="multipart/form-data")
    assert done.status_code == 201 and done.json["imported"] == 10
    listing = client.get("/api/v1/questions", query_string={"module": "M2", "type": "single"}).json
    assert listing["total"] == 1 and listing["questions"][0]["knowledge_point"] == "M2.2"
    assert client.get("/api/v1/questions", query_string={"q": "许可法"}).json["total"] == 1


def test_cli_import_and_export(app, syllabus, examiner, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(workbook(GOOD))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["questions", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "可导入 10" in dry.output and db.session.scalar(db.select(db.func.count(Question.id))) == 0
    assert runner.invoke(args=["questions", "import", str(path)]).exit_code == 0
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(args=["questions", "export", str(out)])
    assert exported.exit_code == 0 and "已导出 10" in exported.output
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 11


def _knowledge_points():
    return {"M1.1": ("M1.1", "M1", "学习能力"), "M3.2": ("M3.2", "M3", "依法行政能力")}


text = st.text(alphabet=st.characters(whitelist_categories=("Lo", "Nd", "Lu", "Ll"), max_codepoint=0x9fff), min_size=1,
               max_size=12)


@st.composite
def drafts(draw):
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "fill_blank", "short_answer"]))
    options, key, extra, stem = [], None, {}, draw(text)
    if kind in ("single", "multiple"):
        options = draw(st.lists(text, min_size=2, max_size=6, unique=True))
        letters = "ABCDEF"[:len(options)]
        chosen = draw(st.lists(st.sampled_from(letters), min_size=1 if kind == "single" else 2,
                               max_size=1 if kind == "single" else len(letters), unique=True))
        key = "".join(sorted(chosen))
    elif kind == "true_false":
        key = draw(st.booleans())
    elif kind == "fill_blank":
        key = draw(st.lists(st.lists(text, min_size=1, max_size=3, unique=True), min_size=1, max_size=3))
        stem = "____".join([stem] + [draw(text) for _ in key[1:]]) + "____"
    else:
        key, extra = draw(text), {"keywords": draw(st.lists(text, max_size=4, unique=True))}
    return QuestionDraft(type=kind, stem_md=stem, key=key, options=options, extra=extra,
                         explanation_md=draw(text), difficulty=draw(st.integers(1, 5)),
                         knowledge_point=draw(st.sampled_from(["M1.1", "M3.2"])),
                         competency=draw(st.sampled_from(["学习能力", "依法行政能力"])),
                         points=Decimal(draw(st.integers(1, 20))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(drafts(), min_size=1, max_size=8))
def test_excel_round_trip_reproduces_every_question(app_ctx, originals):
    rows = [draft_row(draft) for draft in originals]
    parsed = read_excel(write_excel(rows), _knowledge_points())
    assert [item.errors for item in parsed] == [[] for _ in originals]
    assert [item.draft for item in parsed] == originals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(drafts(), min_size=1, max_size=6))
def test_moodle_xml_round_trip_reproduces_every_question_it_can_hold(app_ctx, originals):
    held = [draft for draft in originals if draft.type != "fill_blank" or len(draft.key) == 1]
    document = moodle_document([draft_to_moodle(f"Q{i}", draft) for i, draft in enumerate(held)])
    parsed = parse_moodle_xml(document.encode("utf-8"))
    assert [item.errors for item in parsed] == [[] for _ in held]
    assert [item.draft for item in parsed] == held


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(drafts(), min_size=1, max_size=6))
def test_gift_round_trip_keeps_what_gift_holds(app_ctx, originals):
    held = [draft for draft in originals if draft.type in ("single", "multiple", "true_false")
            or (draft.type == "fill_blank" and len(draft.key) == 1)]
    parsed = parse_gift("\n\n".join(draft_to_gift(f"Q{i}", draft) for i, draft in enumerate(held)).encode("utf-8"))
    assert [item.errors for item in parsed] == [[] for _ in held]
    for item, original in zip(parsed, held, strict=True):
        got = item.draft
        # GIFT cannot tell "x____" from "x ____" when the blank ends the stem; both mean the same question.
        assert (got.type, got.stem_md.replace(" ____", "____"), got.options, got.key, got.explanation_md) == (
            original.type, original.stem_md.replace(" ____", "____"), original.options, original.key,
            original.explanation_md)


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present in this checkout")
@pytest.mark.parametrize(("name", "imported", "already", "skipped"), [
    ("gift_examples.txt", 27, 13, {"配对题（matching）无法表示，已跳过": 3}),
    ("nested_categories_with_questions.xml", 4, 0, {"简答题（essay）没有参考答案，无法导入": 1}),
])
def test_moodle_conformance_files_import(syllabus, examiner, name, imported, already, skipped):
    content = (CONFORMANCE / name).read_bytes()
    fmt = "gift" if name.endswith(".txt") else "moodle"
    report = commit_import(examiner, content, fmt, name, default_knowledge_point="M9.3")
    assert (report.imported, report.already_present, report.errors) == (imported, already, [])
    assert Counter(item["reason"] for item in report.skipped) == Counter(skipped)
    assert report.total == report.importable + len(report.skipped) + len(report.errors)
    again = commit_import(examiner, content, fmt, name, default_knowledge_point="M9.3")
    assert again.imported == 0


def test_reindex_rebuilds_the_similarity_index(app, syllabus, examiner):
    commit_import(examiner, workbook(GOOD), "excel")
    before = sorted(db.session.execute(db.select(QuestionNgram.question_id, QuestionNgram.ngram)).all())
    db.session.execute(db.delete(QuestionNgram))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["questions", "reindex"])
    assert result.exit_code == 0 and "10 道" in result.output
    assert sorted(db.session.execute(db.select(QuestionNgram.question_id, QuestionNgram.ngram)).all()) == before
