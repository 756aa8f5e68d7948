"""Reading the shipped courseware files (``courseware/content``) into validated, renderable records.

Nothing here touches the database: :func:`read_catalogue` returns either a complete catalogue or every error
found, each with its file path and line, so that a sync can refuse a bad tree as a whole.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import markdown

from courseware.models import KIND_LABELS_ZH, TIERS
from training.core.markdown import render_markdown_with_toc, to_plain_text

CONTENT_ROOT = Path(__file__).resolve().parent / "content"
COMPETENCIES = ("政治鉴别能力", "依法行政能力", "公共服务能力", "调查研究能力", "学习能力", "沟通协调能力",
                "创新能力", "应对突发事件能力", "心理调适能力")
_META_LINE = re.compile(r"^ {0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_LESSON_FILE = re.compile(r"^(?P<position>\d{2})-(?P<name>[a-z0-9-]+)\.md$")
_COURSE_CODE = re.compile(r"^M[1-9]-\d{2}$")


@dataclass(frozen=True)
class SourceError:
    """A problem in a content file; ``line`` is 1-based (0 when it concerns the whole file)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class LessonSource:
    path: str
    slug: str
    position: int
    title: str
    minutes: int
    knowledge_points: list[str]
    body_md: str
    body_html: str
    toc_html: str
    search_text: str
    source_hash: str


@dataclass
class CourseSource:
    path: str
    module_code: str
    code: str
    title: str
    kind: str
    tiers: list[str]
    summary: str
    description_html: str
    credit_hours: Decimal | None
    source_hash: str
    lessons: list[LessonSource] = field(default_factory=list)


@dataclass
class ModuleSource:
    code: str
    title: str
    summary: str
    tiers: list[str]
    competencies: list[str]
    knowledge_points: list[dict]


@dataclass
class Catalogue:
    modules: list[ModuleSource]
    courses: list[CourseSource]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lesson_content_hash(title: str, minutes: int, knowledge_points: list[str], body_md: str) -> str:
    """Hash of what a lesson shows; an in-app edit changes it, a sync compares files by ``source_hash``."""
    return sha256("\x1f".join([title, str(minutes), ",".join(sorted(knowledge_points)), body_md]))


def split_metadata(text: str, path: str) -> tuple[dict[str, tuple[str, int]], str, list[SourceError]]:
    """Split the ``meta``-extension header from the body: ``{key: (value, line)}``, body, errors.

    Values come from Python-Markdown's ``meta`` extension itself; this scan adds the line numbers and rejects
    header lines the extension would silently treat as the start of the body.
    """
    lines = text.split("\n")
    found: dict[str, tuple[str, int]] = {}
    errors: list[SourceError] = []
    index = 0
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        match = _META_LINE.match(line)
        if match:
            found[match["key"].lower()] = ("", index + 1)
        elif not (line.startswith("    ") and found):
            errors.append(SourceError(path, index + 1, "元数据格式错误：每行应为“键: 值”，并以空行结束"))
            break
        index += 1
    converter = markdown.Markdown(extensions=["meta"])
    converter.convert("\n".join(lines[:index]) + "\n\n")
    meta = getattr(converter, "Meta", {})
    values = {key: (" ".join(part.strip() for part in meta.get(key, [])).strip(), line)
              for key, (_, line) in found.items()}
    return values, "\n".join(lines[index + 1:]), errors


def _require(meta: dict, keys: tuple[str, ...], path: str, errors: list[SourceError]) -> bool:
    missing = [key for key in keys if not meta.get(key, ("", 0))[0]]
    for key in missing:
        errors.append(SourceError(path, 1, f"缺少元数据“{key}”"))
    return not missing


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、]", value) if part.strip()]


def read_syllabus(root: Path, errors: list[SourceError]) -> list[ModuleSource]:
    path = root / "syllabus.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(error))) else 0
        errors.append(SourceError("syllabus.toml", line, f"无法读取大纲：{error}"))
        return []
    modules = []
    for number, module in enumerate(data.get("module", []), start=1):
        kps = module.get("knowledge_points", [])
        for kp in kps:
            if kp.get("competency") not in COMPETENCIES:
                errors.append(SourceError("syllabus.toml", 0,
                                          f"知识点 {kp.get('code')} 的能力维度不是九项通用能力之一"))
        if not module.get("code") or not module.get("title") or not kps:
            errors.append(SourceError("syllabus.toml", 0, f"第 {number} 个模块缺少 code、title 或知识点"))
            continue
        modules.append(ModuleSource(module["code"], module["title"], module.get("summary", ""),
                                    list(module.get("tiers", [])), list(module.get("competencies", [])), kps))
    return modules


def read_course(directory: Path, root: Path, known_kps: set[str], errors: list[SourceError]) -> CourseSource | None:
    rel = str((directory / "course.md").relative_to(root))
    try:
        text = (directory / "course.md").read_text(encoding="utf-8")
    except OSError:
        errors.append(SourceError(rel, 0, "缺少课程文件 course.md"))
        return None
    meta, body, header_errors = split_metadata(text, rel)
    errors.extend(header_errors)
    before = len(errors)
    if not _require(meta, ("code", "title", "kind", "tiers", "summary"), rel, errors):
        return None
    code, line = meta["code"]
    if not _COURSE_CODE.match(code) or code.split("-")[0] != directory.parent.name:
        errors.append(SourceError(rel, line, f"课程编码“{code}”应为“{directory.parent.name}-两位序号”"))
    kind, line = meta["kind"]
    if kind not in KIND_LABELS_ZH:
        errors.append(SourceError(rel, line, f"kind 应为“必修”或“选修”，而不是“{kind}”"))
    tiers, line = _split_list(meta["tiers"][0]), meta["tiers"][1]
    if not tiers or any(tier not in TIERS for tier in tiers):
        errors.append(SourceError(rel, line, f"tiers 只能取 {'、'.join(TIERS)}"))
    credit = None
    if "credit_hours" in meta:
        try:
            credit = Decimal(meta["credit_hours"][0])
        except InvalidOperation:
            errors.append(SourceError(rel, meta["credit_hours"][1], "credit_hours 应为数字"))
    course = CourseSource(rel, directory.parent.name, code, meta["title"][0], KIND_LABELS_ZH.get(kind, ""), tiers,
                          meta["summary"][0], render_markdown_with_toc(body)[0], credit, sha256(text))
    for lesson_path in sorted(directory.glob("*.md")):
        if lesson_path.name != "course.md":
            lesson = read_lesson(lesson_path, root, known_kps, errors)
            if lesson is not None:
                course.lessons.append(lesson)
    if not course.lessons:
        errors.append(SourceError(rel, 0, "课程没有任何课时文件"))
    return course if len(errors) == before else None


def read_lesson(path: Path, root: Path, known_kps: set[str], errors: list[SourceError]) -> LessonSource | None:
    rel = str(path.relative_to(root))
    name = _LESSON_FILE.match(path.name)
    if not name:
        errors.append(SourceError(rel, 0, "课时文件名应为“两位序号-英文或拼音.md”，如 01-definition.md"))
        return None
    text = path.read_text(encoding="utf-8")
    meta, body, header_errors = split_metadata(text, rel)
    errors.extend(header_errors)
    if header_errors or not _require(meta, ("title", "minutes", "knowledge_points"), rel, errors):
        return None
    minutes_text, minutes_line = meta["minutes"]
    if not minutes_text.isdigit() or not 5 <= int(minutes_text) <= 180:
        errors.append(SourceError(rel, minutes_line, f"minutes 应为 5–180 之间的整数，而不是“{minutes_text}”"))
        return None
    kps, kp_line = _split_list(meta["knowledge_points"][0]), meta["knowledge_points"][1]
    unknown = [kp for kp in kps if kp not in known_kps]
    if unknown or not kps:
        errors.append(SourceError(rel, kp_line, f"未知的知识点：{'、'.join(unknown) or '（空）'}"))
        return None
    html, toc = render_markdown_with_toc(body)
    title = meta["title"][0]
    return LessonSource(rel, path.stem, int(name["position"]), title, int(minutes_text), kps, body.strip() + "\n",
                        html, toc, title + "\n" + to_plain_text(html), sha256(text))


def read_catalogue(root: Path = CONTENT_ROOT) -> tuple[Catalogue, list[SourceError]]:
    """Read and validate the whole content tree; the catalogue is only usable when no errors are returned."""
    errors: list[SourceError] = []
    modules = read_syllabus(root, errors)
    known_kps = {kp["code"] for module in modules for kp in module.knowledge_points}
    module_codes = {module.code for module in modules}
    courses = []
    for module_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if module_dir.name not in module_codes:
            errors.append(SourceError(module_dir.name, 0, "目录名不是大纲中的模块编码"))
            continue
        for course_dir in sorted(p for p in module_dir.iterdir() if p.is_dir()):
            course = read_course(course_dir, root, known_kps, errors)
            if course is not None:
                courses.append(course)
    codes = [course.code for course in courses]
    for code in {c for c in codes if codes.count(c) > 1}:
        errors.append(SourceError(code, 0, f"课程编码 {code} 重复"))
    return Catalogue(modules, courses), errors
