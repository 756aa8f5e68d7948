"""The Excel template examiners keep their banks in (DOMAIN.md §4): read, write, and the downloadable template
with a 说明 sheet and drop-down lists."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from courseware.content_files import COMPETENCIES
from question_bank.formats import ParsedQuestion
from question_bank.services.authoring import QuestionDraft
from question_bank.types import DEFAULT_POINTS, LETTERS, TYPE_BY_CHINESE, get_question_type

OPTION_COLUMNS = tuple(f"选项{letter}" for letter in LETTERS)
HEADERS = ("题型", "题干", *OPTION_COLUMNS, "答案", "解析", "难度", "分值", "知识点", "模块", "能力维度", "关键词")
REQUIRED = ("题型", "题干", "答案")
DIFFICULTY_WORDS = {"很易": 1, "易": 2, "较易": 2, "中": 3, "中等": 3, "较难": 4, "难": 4, "很难": 5}
TYPE_NAMES = {"single": "单选", "multiple": "多选", "true_false": "判断", "fill_blank": "填空", "short_answer": "简答"}
TRUE_WORDS, FALSE_WORDS = {"正确", "对", "√", "T", "TRUE", "是"}, {"错误", "错", "×", "F", "FALSE", "否"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_excel(content: bytes, knowledge_points: dict[str, tuple[str, str, str]]) -> list[ParsedQuestion]:
    """Rows of the first sheet → questions. ``knowledge_points`` maps code and title → (code, module, competency)."""
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError, TypeError):
        return [ParsedQuestion("文件", errors=["无法读取文件：请上传 .xlsx 格式的 Excel 文件"])]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(value) for value in next(rows, ())]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [ParsedQuestion("第 1 行", errors=[f"缺少列：{'、'.join(missing)}"])]
    index = {name: header.index(name) for name in HEADERS if name in header}
    results = []
    for number, values in enumerate(rows, start=2):
        cells = [_text(value) for value in values]
        if any(cells):
            row = {name: cells[i] if i < len(cells) else "" for name, i in index.items()}
            results.append(_row(row, f"第 {number} 行", knowledge_points))
    return results


def _row(row: dict[str, str], ref: str, knowledge_points: dict[str, tuple[str, str, str]]) -> ParsedQuestion:
    errors: list[str] = []
    kind = TYPE_BY_CHINESE.get(row.get("题型", ""), row.get("题型", ""))
    if kind not in TYPE_NAMES:
        return ParsedQuestion(ref, errors=[f"题型“{row.get('题型', '')}”应为 单选/多选/判断/填空/简答"])
    options = [row.get(name, "") for name in OPTION_COLUMNS]
    while options and not options[-1]:
        options.pop()
    key = key_from_text(kind, row.get("答案", ""), errors)
    kp = knowledge_points.get(row.get("知识点", "")) if row.get("知识点") else None
    if row.get("知识点") and kp is None:
        errors.append(f"知识点“{row['知识点']}”不在大纲中")
    if kp and row.get("模块") and row["模块"] != kp[1]:
        errors.append(f"知识点 {kp[0]} 不属于模块 {row['模块']}")
    difficulty = _difficulty(row.get("难度", ""), errors)
    points = _points(row.get("分值", ""), kind, errors)
    competency = row.get("能力维度", "") or (kp[2] if kp else "")
    if competency and competency not in COMPETENCIES:
        errors.append(f"能力维度“{competency}”不是九项通用能力之一")
    keywords = [word for word in re.split(r"[,，、;；\s]+", row.get("关键词", "")) if word]
    draft = QuestionDraft(type=kind, stem_md=row.get("题干", ""), key=key,
                          options=options if kind in ("single", "multiple") else [],
                          extra={"keywords": keywords} if kind == "short_answer" else {},
                          explanation_md=row.get("解析", ""), difficulty=difficulty,
                          knowledge_point=kp[0] if kp else None, competency=competency, points=points)
    if not errors:
        errors = get_question_type(kind).validate(draft.stem_md, draft.options, draft.key, draft.extra)
    return ParsedQuestion(ref, errors=errors) if errors else ParsedQuestion(ref, draft=draft)


def key_from_text(kind: str, text: str, errors: list[str]):
    """The key of a ``kind`` question from its text form (the template's 答案 column and the editor)."""
    if kind in ("single", "multiple"):
        return "".join(sorted(set(re.sub(r"[\s,，、;；]", "", text).upper())))
    if kind == "true_false":
        word = text.upper()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        errors.append(f"判断题答案“{text}”应为 正确/错误（对/错、√/×）")
        return None
    if kind == "fill_blank":
        return [[answer.strip() for answer in blank.split("/") if answer.strip()]
                for blank in re.split(r"[｜|]", text)]
    return text


def _difficulty(text: str, errors: list[str]) -> int:
    if not text:
        return 3
    if text in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[text]
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    errors.append(f"难度“{text}”应为 易/中/难 或 1–5")
    return 3


def _points(text: str, kind: str, errors: list[str]) -> Decimal:
    if not text:
        return DEFAULT_POINTS[kind]
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("0")
    if value <= 0:
        errors.append(f"分值“{text}”应为大于 0 的数字")
        return DEFAULT_POINTS[kind]
    return value


def write_excel(rows: list[dict], *, template: bool = False) -> bytes:
    """A workbook in the template's layout; ``rows`` are dicts keyed by HEADERS. With ``template`` the
    instructions sheet and drop-down lists are added."""
    book = Workbook()
    sheet = book.active
    sheet.title = "试题"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append([row.get(name, "") for name in HEADERS])
    if template:
        _validations(sheet)
        _instructions(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _validations(sheet) -> None:
    lists = {"A": "单选,多选,判断,填空,简答", "L": "易,中,难,1,2,3,4,5", "O": ",".join(f"M{n}" for n in range(1, 10)),
             "P": ",".join(COMPETENCIES)}
    for column, values in lists.items():
        check = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
        sheet.add_data_validation(check)
        check.add(f"{column}2:{column}5000")


def _instructions(book: Workbook) -> None:
    sheet = book.create_sheet("说明")
    sheet.column_dimensions["A"].width = 110
    for line in (
        "试题导入说明", "1. 每行一道题；第 1 行为表头，请勿修改。题型、题干、答案为必填。",
        "2. 题型：单选、多选、判断、填空、简答。选项A–F 只用于单选和多选，未用的选项留空。",
        "3. 答案：单选填字母如 B；多选填 ABD 或 A,B,D；判断填 正确/错误（也可 对/错、√/×）；"
        "填空题的空在题干中写作 ____（四个下划线），多个空的答案用“｜”分隔，同一空的多个可接受答案用“/”分隔；"
        "简答题填参考答案，评分关键词写在“关键词”列（逗号分隔）。",
        "4. 难度：易/中/难 或 1–5；分值为空时按题型默认（单选 2、多选 3、判断 1、填空 2、简答 10）。",
        "5. 知识点填编码（如 M3.2）或名称；模块可选，填写时须与知识点一致；"
        "能力维度为九项通用能力之一，为空时取知识点的能力维度。",
        "6. 上传后先预览：逐行显示错误、题型统计和疑似重复题；全部正确才能导入，导入要么全部成功，要么全部不生效。"
        "导入的试题为草稿，须提交审核；重复导入同一文件不会新增试题。",
    ):
        sheet.append((line,))
    sheet["A1"].font = Font(bold=True, size=14)


def draft_row(draft: QuestionDraft, module: str = "") -> dict:
    """A draft as a template row (the inverse of reading)."""
    row = {"题型": TYPE_NAMES[draft.type], "题干": draft.stem_md, "解析": draft.explanation_md,
           "难度": draft.difficulty, "分值": float(draft.points), "知识点": draft.knowledge_point or "",
           "模块": module, "能力维度": draft.competency}
    for letter, option in zip(LETTERS, draft.options, strict=False):
        row[f"选项{letter}"] = option
    if draft.type == "true_false":
        row["答案"] = "正确" if draft.key else "错误"
    elif draft.type == "fill_blank":
        row["答案"] = "｜".join("/".join(blank) for blank in draft.key)
    else:
        row["答案"] = draft.key
    if draft.type == "short_answer":
        row["关键词"] = "，".join(draft.extra.get("keywords", []))
    return row
