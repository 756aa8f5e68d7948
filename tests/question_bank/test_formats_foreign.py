"""GIFT and Moodle XML readers: every mapping rule on small inline files, then the real Moodle files of the
conformance folder (skipped cleanly when that folder is absent)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from question_bank.formats import ParsedQuestion
from question_bank.formats.gift import parse_gift
from question_bank.formats.moodle_xml import parse_moodle_xml
from question_bank.types import DEFAULT_POINTS, get_question_type

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "moodle"
needs_conformance = pytest.mark.skipif(not CONFORMANCE.is_dir(), reason=f"{CONFORMANCE} is not present")

ESSAY = "简答题（essay）没有参考答案，无法导入"
MATCHING = "配对题（matching）无法表示，已跳过"


def gift(text: str) -> list[ParsedQuestion]:
    return parse_gift(text.encode("utf-8"))


def one(text: str) -> ParsedQuestion:
    """The single question of a GIFT text; it must have a draft."""
    results = gift(text)
    assert len(results) == 1, results
    assert results[0].draft is not None, results[0]
    return results[0]


def assert_valid(results: list[ParsedQuestion]) -> None:
    for parsed in results:
        if parsed.draft is not None:
            d = parsed.draft
            assert get_question_type(d.type).validate(d.stem_md, d.options, d.key, d.extra) == [], parsed


# --- GIFT: structure -------------------------------------------------------------------------------------------


def test_comments_and_blank_lines_separate_questions_with_line_refs():
    results = gift("// heading\n// more\n\nFirst?{T}\n\n\n// a comment right above\nSecond\nline?{F}\n")
    assert [r.ref for r in results] == ["第 4 行", "第 8 行"]
    assert [r.draft.key for r in results] == [True, False]
    assert results[1].draft.stem_md == "Second\nline?"


def test_a_comment_only_file_has_no_questions():
    assert gift("// nothing\n// here\n\n") == []


def test_category_tags_following_questions():
    results = gift("Untagged{T}\n\n$CATEGORY: $course$/法规/数据安全\n\nA{T}\n\nB{F}\n\n$CATEGORY: 其他\n\nC{T}")
    assert [r.tags for r in results] == [[], ["法规", "数据安全"], ["法规", "数据安全"], ["其他"]]
    assert len(results) == 4  # category lines are not questions


def test_category_path_drops_moodle_root_and_keeps_escaped_slashes():
    (parsed,) = gift("$CATEGORY: $course$/top/输入//输出/细则\n\nQ{T}")
    assert parsed.tags == ["输入/输出", "细则"]


def test_category_on_the_line_above_a_question_in_the_same_paragraph():
    (parsed,) = gift("$CATEGORY: a/b\nQ{T}")
    assert parsed.tags == ["a", "b"]
    assert parsed.ref == "第 2 行"


def test_name_goes_into_ref_and_name():
    parsed = one("\n::Kanji Origins::Japanese characters came from? {=China}")
    assert parsed.name == "Kanji Origins"
    assert parsed.ref == "第 2 行“Kanji Origins”"
    assert parsed.draft.stem_md == "Japanese characters came from? ____"


def test_imported_defaults():
    draft = one("Q?{~a =b}").draft
    assert (draft.difficulty, draft.knowledge_point, draft.competency) == (3, None, "")
    assert draft.points == DEFAULT_POINTS["single"]


def test_gb18030_and_utf8_bom_are_decoded():
    assert parse_gift("中国的首都是？{=北京}".encode("gb18030"))[0].draft.key == [["北京"]]
    assert parse_gift("\ufeff天安门在北京。{T}".encode())[0].draft.stem_md == "天安门在北京。"


# --- GIFT: formats and escapes ---------------------------------------------------------------------------------


def test_html_stem_is_sanitized():
    draft = one("[html]<p>Hi <b>there</b><script>alert(1)</script><img src=x onerror=alert(1)></p>{T}").draft
    assert "<script" not in draft.stem_md and "alert" not in draft.stem_md and "onerror" not in draft.stem_md
    assert draft.stem_md.startswith("<p>Hi <b>there</b>")
    assert '<img src="x">' in draft.stem_md


def test_html_without_a_format_prefix_is_sanitized_too():
    draft = one(r"Pick <script>steal()</script><img src=x onerror=alert(1)>one{=a ~<img src\=y onerror\=alert(2)>b}").draft
    assert "script" not in draft.stem_md and "steal" not in draft.stem_md and "onerror" not in draft.stem_md
    assert draft.options == ["a", '<img src="y">b']


@pytest.mark.parametrize("prefix", ["[markdown]", "[plain]", "[moodle]", "[MARKDOWN]"])
def test_other_format_prefixes_are_removed_and_text_kept(prefix):
    assert one(f"{prefix}Who is **here**?{{T}}").draft.stem_md == "Who is **here**?"


def test_escaped_control_characters_are_literal():
    draft = one(r"Is 1\=1 a \{set\} \: \~ \# \\ ?{T}").draft
    assert draft.stem_md == "Is 1=1 a {set} : ~ # \\ ?"


def test_escapes_inside_answers_and_newline_escape():
    draft = one(r"Which equals 5?\nPick one. {~ \= 2 + 2 = \= 2 + 3 ~ \~ \# \{\} }").draft
    assert draft.stem_md == "Which equals 5?\nPick one."
    assert draft.options == ["= 2 + 2", "= 2 + 3", "~ # {}"]
    assert draft.key == "B"


def test_escaped_colons_do_not_end_a_name():
    parsed = one(r"::a\:b::Q?{T}")
    assert parsed.name == "a:b"


# --- GIFT: choice ----------------------------------------------------------------------------------------------


def test_single_choice_with_per_answer_feedback_dropped():
    draft = one("Who's buried?{~Grant#no ~Jefferson#no =no one#Very good!}").draft
    assert (draft.type, draft.options, draft.key) == ("single", ["Grant", "Jefferson", "no one"], "C")
    assert draft.explanation_md == ""


def test_general_feedback_becomes_the_explanation():
    draft = one("Q?{~a =b#right ####Because **b**.}").draft
    assert draft.explanation_md == "Because **b**."
    assert draft.options == ["a", "b"]


def test_missing_word_puts_a_blank_where_the_block_was():
    draft = one("Grant is {~buried =entombed ~living} in Grant's tomb.").draft
    assert draft.stem_md == "Grant is ____ in Grant's tomb."
    assert draft.key == "B"


def test_multiline_missing_word():
    draft = one("Thanksgiving is on the {\n    ~second\n    ~third\n    =fourth\n} Thursday of November.").draft
    assert draft.stem_md == "Thanksgiving is on the ____ Thursday of November."
    assert (draft.type, draft.key) == ("single", "C")


def test_block_at_the_end_leaves_the_text_before_it():
    assert one("Which country? {\n~India\n=China}").draft.stem_md == "Which country?"


def test_positive_weights_make_a_multiple_choice():
    draft = one("Who? {~No one ~%50%Grant ~%50%Grant's wife ~Grant's father}").draft
    assert (draft.type, draft.key) == ("multiple", "BC")
    assert draft.points == DEFAULT_POINTS["multiple"]
    assert draft.explanation_md == ""


def test_negative_weights_are_wrong_options():
    draft = one("Who? {~%-50%No one ~%50%Grant ~%50%Grant's wife ~%-50%Grant's father}").draft
    assert (draft.type, draft.key) == ("multiple", "BC")


def test_full_credit_with_partial_credit_is_single_with_a_note():
    # As in Moodle: one full-credit option makes a single-choice question; partial credit is noted, not scored.
    draft = one("Difficult.{~wrong ~%50%half =full}").draft
    assert (draft.type, draft.key) == ("single", "C")
    assert "B（50%）" in draft.explanation_md and "不计分" in draft.explanation_md


def test_choice_without_a_right_answer_is_an_error():
    parsed = gift("Q?{~a ~b}")[0]
    assert parsed.draft is None and parsed.errors == ["选择题没有正确选项"]


def test_choice_with_too_many_options_is_an_error():
    parsed = gift("Q?{=a ~b ~c ~d ~e ~f ~g}")[0]
    assert parsed.draft is None and "最多 6 个选项" in parsed.errors[0]


def test_choice_with_an_empty_option_is_an_error():
    parsed = gift("Q?{=a ~#only feedback}")[0]
    assert parsed.draft is None and any("非空选项" in error for error in parsed.errors)


# --- GIFT: true/false -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("block", "key"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False),
                                            ("true", True), ("FALSE#No one is buried there.", False)])
def test_true_false(block, key):
    draft = one(f"Grant is buried in Grant's tomb.{{{block}}}").draft
    assert (draft.type, draft.key, draft.options) == ("true_false", key, [])
    assert draft.stem_md == "Grant is buried in Grant's tomb."
    assert draft.points == DEFAULT_POINTS["true_false"]


# --- GIFT: short answer and numbers -> fill_blank ---------------------------------------------------------------


def test_short_answer_becomes_fill_blank_with_an_appended_blank():
    draft = one("Who's buried in Grant's tomb?{=no one =nobody}").draft
    assert (draft.type, draft.key) == ("fill_blank", [["no one", "nobody"]])
    assert draft.stem_md == "Who's buried in Grant's tomb? ____"
    assert draft.points == DEFAULT_POINTS["fill_blank"]


def test_short_answer_missing_word_gets_one_blank_only():
    draft = one("Two plus two equals {=four =4}.").draft
    assert draft.stem_md == "Two plus two equals ____."
    assert draft.key == [["four", "4"]]


def test_partial_credit_answers_are_not_accepted_but_noted():
    draft = one("Jesus was from {=Nazareth#Yes =%75%Nazereth#typo =%25%Bethlehem}.").draft
    assert draft.key == [["Nazareth"]]
    assert draft.explanation_md == "原题另有部分得分答案：Nazereth（75%）、Bethlehem（25%），导入后不计分"


def test_short_answer_without_a_full_credit_answer_is_an_error():
    parsed = gift("Q?{=%50%maybe}")[0]
    assert parsed.draft is None and parsed.errors == ["填空题没有满分（100%）答案"]


def test_numerical_exact():
    draft = one("When was Grant born? {#1822}").draft
    assert (draft.type, draft.stem_md, draft.key, draft.explanation_md) == (
        "fill_blank", "When was Grant born? ____", [["1822"]], "")


def test_numerical_with_tolerance_is_noted():
    draft = one("When was Grant born?{#1822:1}").draft
    assert draft.key == [["1822"]]
    assert draft.explanation_md == "原题允许误差 ±1，导入后按精确值评分"


def test_numerical_range_uses_its_middle():
    draft = one("Pi to 3 places? {#3.141..3.142}.").draft
    assert draft.stem_md == "Pi to 3 places? ____."
    assert draft.key == [["3.1415"]]
    assert "范围 3.141..3.142" in draft.explanation_md and "3.1415" in draft.explanation_md


def test_numerical_multiline_answers():
    draft = one("When was Grant born? {#\n    =1822:0  #Correct!\n    =%50%1822:2  #close\n}").draft
    assert draft.key == [["1822"]]
    assert draft.explanation_md == "原题另有部分得分答案：1822（误差 ±2，50%），导入后不计分"


def test_numerical_with_general_feedback_and_negative_value():
    draft = one("Coldest? {#-89.2:0.1####Vostok station.}").draft
    assert draft.key == [["-89.2"]]
    assert draft.explanation_md == "Vostok station.\n\n原题允许误差 ±0.1，导入后按精确值评分"


@pytest.mark.parametrize("block", ["#abc", "#nan", "#1..x", "#=1822:x"])
def test_numerical_that_is_not_a_number_is_an_error(block):
    parsed = gift(f"Q?{{{block}}}")[0]
    assert parsed.draft is None and "不是数字" in parsed.errors[0]


# --- GIFT: skipped and broken ----------------------------------------------------------------------------------


def test_essay_is_skipped_for_lack_of_a_reference_answer():
    parsed = gift("::E::Write about Grant.{}")[0]
    assert (parsed.draft, parsed.skip_reason, parsed.errors) == (None, ESSAY, [])
    assert parsed.ref == "第 1 行“E”"


def test_matching_is_skipped():
    parsed = gift("Match. {\n=Canada -> Ottawa\n=Italy -> Rome\n}")[0]
    assert (parsed.draft, parsed.skip_reason) == (None, MATCHING)


def test_text_without_an_answer_block_is_a_description_and_skipped():
    parsed = gift("Just some words.")[0]
    assert parsed.draft is None and "description" in parsed.skip_reason


@pytest.mark.parametrize("text", ["Q? {=a", "Q? =a}", "Q? }=a{", "Q? {=a} and {=b}", "Q? {foo}",
                                  "::unterminated name Q?{T}", "::only a name::", "{=a}"])
def test_broken_questions_give_chinese_errors_not_exceptions(text):
    (parsed,) = gift(text)
    assert parsed.draft is None and parsed.skip_reason is None
    assert parsed.errors and all(any("\u4e00" <= char <= "\u9fff" for char in error) for error in parsed.errors)


def test_a_broken_question_does_not_stop_the_next_one():
    results = gift("Broken {=a\n\nFine?{T}")
    assert results[0].errors and "花括号" in results[0].errors[0]
    assert results[1].draft.key is True and results[1].ref == "第 3 行"


# --- Moodle XML ------------------------------------------------------------------------------------------------


def quiz(*questions: str) -> bytes:
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<quiz>" + "".join(questions) + "</quiz>").encode()


def question(kind: str, body: str, name: str = "Q", text: str = "<p>Stem?</p>") -> str:
    return (f'<question type="{kind}"><name><text>{name}</text></name><questiontext format="html">'
            f"<text><![CDATA[{text}]]></text></questiontext>{body}</question>")


def answer(fraction: str, text: str, extra: str = "") -> str:
    return f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>{extra}</answer>'


def category(path: str) -> str:
    return f'<question type="category"><category><text>{path}</text></category></question>'


@pytest.mark.parametrize("content", [b"<quiz><question", b"not xml at all", b""])
def test_malformed_xml_is_one_file_error(content):
    (parsed,) = parse_moodle_xml(content)
    assert parsed.ref == "文件" and parsed.draft is None
    assert parsed.errors[0].startswith("XML 格式错误：")


def test_entities_are_refused():
    content = b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY big "xxxxxxxx">]><quiz>&big;</quiz>'
    (parsed,) = parse_moodle_xml(content)
    assert parsed.ref == "文件" and parsed.errors[0].startswith("XML 格式错误：")


def test_a_root_other_than_quiz_is_a_file_error():
    (parsed,) = parse_moodle_xml(b"<questions/>")
    assert parsed.ref == "文件" and "quiz" in parsed.errors[0]


def test_a_file_declared_in_gbk_is_read():
    content = quiz(question("truefalse", answer("100", "true"), "中文题", "天安门在北京？")).decode()
    content = content.replace("encoding='UTF-8'", "encoding='GBK'").encode("gbk")
    (parsed,) = parse_moodle_xml(content)
    assert parsed.ref == "“中文题”（第 1 题）" and parsed.draft.stem_md == "天安门在北京？"


def test_a_fraction_that_is_not_a_number_is_an_error():
    parsed = parse_moodle_xml(quiz(question("truefalse", answer("all", "true"))))[0]
    assert parsed.draft is None and "不是数字" in parsed.errors[0]


def test_categories_tag_questions_and_are_not_counted():
    tf = answer("100", "false") + answer("0", "true")
    results = parse_moodle_xml(quiz(category("$course$/Iota"), question("truefalse", tf, "A"),
                                    category("$course$/Iota/Kappa"), question("truefalse", tf, "B"),
                                    category("$system$/top/Sys"), question("truefalse", tf, "C"),
                                    category("$module$/Mod"), question("truefalse", tf, "D")))
    assert [r.tags for r in results] == [["Iota"], ["Iota", "Kappa"], ["Sys"], ["Mod"]]
    assert [r.ref for r in results] == ["“A”（第 1 题）", "“B”（第 2 题）", "“C”（第 3 题）", "“D”（第 4 题）"]
    assert [r.name for r in results] == ["A", "B", "C", "D"]
    assert all(r.draft.key is False for r in results)


def test_multichoice_single():
    body = ("<single>true</single>" + answer("0", "<p>India</p>") + answer("100", "<p>China</p>")
            + answer("50", "Korea") + "<generalfeedback format='html'><text>&lt;p&gt;Kanji&lt;/p&gt;</text>"
            + "</generalfeedback><defaultgrade>2.5000000</defaultgrade>")
    (parsed,) = parse_moodle_xml(quiz(question("multichoice", body)))
    draft = parsed.draft
    assert (draft.type, draft.options, draft.key) == ("single", ["India", "China", "Korea"], "B")
    assert draft.stem_md == "<p>Stem?</p>"
    assert draft.explanation_md == "<p>Kanji</p>\n\n原题另有部分得分选项：C（50%），导入后不计分"
    assert draft.points == Decimal("2.5")


def test_multichoice_multiple_uses_positive_fractions():
    body = ("<single>false</single>" + answer("-50", "No one") + answer("50", "Grant")
            + answer("50", "Grant's wife") + answer("-50", "Grant's father"))
    draft = parse_moodle_xml(quiz(question("multichoice", body)))[0].draft
    assert (draft.type, draft.key) == ("multiple", "BC")


def test_multichoice_single_without_a_full_credit_option_is_an_error():
    body = "<single>true</single>" + answer("50", "a") + answer("0", "b")
    parsed = parse_moodle_xml(quiz(question("multichoice", body)))[0]
    assert parsed.draft is None and "满分" in parsed.errors[0]


def test_truefalse_and_default_points():
    body = answer("0", "true") + answer("100", "false") + "<defaultgrade>0</defaultgrade>"
    draft = parse_moodle_xml(quiz(question("truefalse", body)))[0].draft
    assert (draft.type, draft.key, draft.points) == ("true_false", False, DEFAULT_POINTS["true_false"])


def test_shortanswer_becomes_fill_blank():
    body = answer("100", "no one") + answer("100", "nobody") + answer("50", "Grant")
    draft = parse_moodle_xml(quiz(question("shortanswer", body, text="<p>Who is buried?</p>")))[0].draft
    assert (draft.type, draft.key) == ("fill_blank", [["no one", "nobody"]])
    assert draft.stem_md == "<p>Who is buried? ____</p>"
    assert draft.explanation_md == "原题另有部分得分答案：Grant（50%），导入后不计分"


def test_numerical_becomes_fill_blank_with_tolerance_noted():
    body = answer("100", "1822", "<tolerance>1</tolerance>") + answer("0", "*")
    draft = parse_moodle_xml(quiz(question("numerical", body, text="Born in ____?")))[0].draft
    assert (draft.type, draft.stem_md, draft.key) == ("fill_blank", "Born in ____?", [["1822"]])
    assert draft.explanation_md == "原题允许误差 ±1，导入后按精确值评分"


def test_essay_with_grader_information_becomes_short_answer():
    body = "<graderinfo format='html'><text>&lt;p&gt;Three &amp;amp; four&lt;/p&gt;</text></graderinfo>"
    draft = parse_moodle_xml(quiz(question("essay", body)))[0].draft
    assert (draft.type, draft.key) == ("short_answer", "Three & four")
    assert draft.points == DEFAULT_POINTS["short_answer"]


def test_essay_without_grader_information_is_skipped():
    body = "<graderinfo format='html'><text></text></graderinfo><defaultgrade>1</defaultgrade>"
    parsed = parse_moodle_xml(quiz(question("essay", body, "Kappa")))[0]
    assert (parsed.draft, parsed.skip_reason, parsed.ref) == (None, ESSAY, "“Kappa”（第 1 题）")


@pytest.mark.parametrize(("kind", "reason"), [
    ("matching", MATCHING),
    ("cloze", "完形填空（cloze）无法表示，已跳过"),
    ("ddwtos", "拖放填词题（ddwtos）无法表示，已跳过"),
    ("calculated", "计算题（calculated）无法表示，已跳过"),
    ("description", "说明文字（description）无法表示，已跳过"),
    ("random", "随机抽题（random）无法表示，已跳过"),
    ("wordle", "题型 wordle 无法表示，已跳过"),
])
def test_other_types_are_skipped_with_their_name(kind, reason):
    parsed = parse_moodle_xml(quiz(question(kind, "")))[0]
    assert (parsed.draft, parsed.skip_reason, parsed.errors) == (None, reason, [])


def test_xml_stem_html_is_sanitized():
    text = "<p>Safe?<script>alert(1)</script><img src='x' onerror='alert(1)'></p>"
    draft = parse_moodle_xml(quiz(question("truefalse", answer("100", "true"), text=text)))[0].draft
    assert "script" not in draft.stem_md and "onerror" not in draft.stem_md and "alert" not in draft.stem_md
    assert draft.stem_md.startswith("<p>Safe?")


# --- conformance: the real Moodle files -------------------------------------------------------------------------


@needs_conformance
def test_gift_examples_conformance():
    results = parse_gift((CONFORMANCE / "gift_examples.txt").read_bytes())
    drafts = [r.draft for r in results if r.draft is not None]
    assert len(results) == 43 and len(drafts) == 40
    assert [error for r in results for error in r.errors] == []
    assert Counter(r.skip_reason for r in results if r.skip_reason) == Counter({MATCHING: 3})
    assert Counter(d.type for d in drafts) == Counter(single=16, multiple=2, true_false=5, fill_blank=17)
    assert_valid(results)
    by_line = {r.ref.split("行")[0] + "行": r for r in results}
    assert by_line["第 12 行"].draft.stem_md == "Grant is buried in Grant's tomb."
    assert (by_line["第 12 行"].draft.type, by_line["第 12 行"].draft.key) == ("true_false", False)
    thanksgiving = by_line["第 29 行"].draft
    assert (thanksgiving.type, thanksgiving.key) == ("single", "C")
    assert "____" in thanksgiving.stem_md and thanksgiving.options == ["second", "third", "fourth"]
    assert [r.ref for r in results if r.skip_reason] == ["第 55 行", "第 61 行", "第 177 行"]
    assert by_line["第 90 行"].ref == "第 90 行“Kanji Origins”"
    assert by_line["第 90 行"].draft.key == [["China"]]
    assert by_line["第 148 行"].draft.options == ["~", "=", "#", "{", "}", "\\"]
    assert by_line["第 148 行"].draft.key == "F"
    assert by_line["第 76 行"].draft.key == [["1822"]] and "50%" in by_line["第 76 行"].draft.explanation_md
    assert by_line["第 130 行"].draft.key == "BC" and by_line["第 136 行"].draft.key == "BC"
    assert (by_line["第 115 行"].draft.type, by_line["第 115 行"].draft.key) == ("single", "C")
    assert (by_line["第 117 行"].draft.type, by_line["第 117 行"].draft.key) == ("single", "D")
    assert by_line["第 85 行"].draft.stem_md == "What's 2 plus 2? ____"


@needs_conformance
def test_moodle_xml_conformance():
    results = parse_moodle_xml((CONFORMANCE / "nested_categories_with_questions.xml").read_bytes())
    drafts = [r.draft for r in results if r.draft is not None]
    assert len(results) == 5 and len(drafts) == 4
    assert [error for r in results for error in r.errors] == []
    assert Counter(r.skip_reason for r in results if r.skip_reason) == Counter({ESSAY: 1})
    assert Counter(d.type for d in drafts) == Counter(true_false=4)
    assert_valid(results)
    assert [(r.ref, r.tags) for r in results] == [
        ("“Iota Question”（第 1 题）", ["Iota"]),
        ("“Kappa Essay Question”（第 2 题）", ["Iota", "Kappa"]),
        ("“Kappa Question”（第 3 题）", ["Iota", "Kappa"]),
        ("“Lambda Question”（第 4 题）", ["Iota", "Kappa", "Lambda"]),
        ("“Mu Question”（第 5 题）", ["Iota", "Mu"]),
    ]
    assert all(d.key is True and d.points == Decimal("1") for d in drafts)
    assert drafts[0].stem_md == "<p>Testing Iota Question</p>"
