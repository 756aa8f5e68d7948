"""Importing question files (Excel template, GIFT, Aiken, Moodle XML): every file is previewed first — per
question errors in Chinese with its line, row or name, counts by type, skipped foreign types with the reason,
near-duplicates — and committed all or nothing. Imported questions start as drafts. Re-importing a file
creates nothing new: a question whose content is already in the bank is not added again."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy import select

from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.errors import QuestionInvalid
from question_bank.formats import ParsedQuestion
from question_bank.formats.aiken import decode, parse_aiken
from question_bank.formats.excel import read_excel
from question_bank.formats.gift import parse_gift
from question_bank.formats.moodle_xml import parse_moodle_xml
from question_bank.models import RETIRED, Question, QuestionVersion
from question_bank.permissions import can_author_questions
from question_bank.services.authoring import add_question, validate_draft
from question_bank.services.duplicates import find_similar
from training.core.audit import record_audit
from training.core.errors import PermissionDenied
from training.extensions import db
from training.org.models import User

FORMATS = ("excel", "gift", "aiken", "moodle")


@dataclass
class ImportReport:
    """The preview (or the result) of an import. ``total = importable + len(skipped) + len(errors)``."""

    format: str
    total: int = 0
    importable: int = 0
    imported: int = 0
    already_present: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"format": self.format, "total": self.total, "importable": self.importable, "imported": self.imported,
                "already_present": self.already_present, "by_type": self.by_type, "skipped": self.skipped,
                "errors": self.errors, "duplicates": self.duplicates}


def detect_format(filename: str, content: bytes) -> str:
    """By extension, then by content for plain text (``ANSWER:`` lines are Aiken, braces GIFT)."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm") or content[:2] == b"PK":
        return "excel"
    if suffix == ".xml" or content.lstrip()[:5] in (b"<?xml", b"<quiz"):
        return "moodle"
    text = decode(content[:20000])
    return "aiken" if "ANSWER:" in text.upper() and "{" not in text else "gift"


def parse_file(fmt: str, content: bytes) -> list[ParsedQuestion]:
    """Read a file in ``fmt`` (no database writes)."""
    if fmt == "excel":
        return read_excel(content, _knowledge_point_lookup())
    readers = {"gift": parse_gift, "aiken": parse_aiken, "moodle": parse_moodle_xml}
    if fmt not in readers:
        raise QuestionInvalid(_("不支持的格式"))
    return readers[fmt](content)


def _knowledge_point_lookup() -> dict[str, tuple[str, str, str]]:
    rows = db.session.execute(select(KnowledgePoint.code, KnowledgePoint.title, SyllabusModule.code,
                                     KnowledgePoint.competency).join(SyllabusModule))
    lookup = {}
    for code, title, module, competency in rows:
        lookup[code] = lookup[title] = (code, module, competency)
    return lookup


def _plan(actor: User, content: bytes, fmt: str, default_knowledge_point: str | None):
    if not can_author_questions(actor):
        raise PermissionDenied(_("无权导入试题"))
    parsed = parse_file(fmt, content)
    known = {kp.code: kp for kp in db.session.scalars(select(KnowledgePoint))}
    report = ImportReport(fmt, total=len(parsed))
    ready = []
    for item in parsed:
        if item.skip_reason:
            report.skipped.append({"ref": item.ref, "reason": item.skip_reason})
            continue
        if item.draft is not None and not item.draft.knowledge_point and default_knowledge_point:
            item.draft.knowledge_point = default_knowledge_point
        problems = item.errors or validate_draft(item.draft, known)
        if problems:
            report.errors.append({"ref": item.ref, "message": "；".join(problems)})
        else:
            ready.append(item)
    report.importable = len(ready)
    report.by_type = dict(Counter(item.draft.type for item in ready))
    return report, ready, known


def _already_present(ready: list[ParsedQuestion]) -> set[str]:
    hashes = {item.draft.content_hash() for item in ready}
    found = db.session.scalars(select(QuestionVersion.content_hash).join(Question)
                               .where(QuestionVersion.content_hash.in_(hashes), Question.status != RETIRED))
    return set(found)


def _preview(actor: User, content: bytes, fmt: str, default_knowledge_point: str | None):
    report, ready, known = _plan(actor, content, fmt, default_knowledge_point)
    present = _already_present(ready)
    new, seen = [], set(present)
    for item in ready:
        digest = item.draft.content_hash()
        if digest in seen:
            report.already_present += 1
        else:
            seen.add(digest)
            new.append(item)
    report.duplicates = [{"ref": hit.ref, "question_id": hit.question_id, "code": hit.code, "stem": hit.stem,
                          "similarity": hit.similarity}
                         for hit in find_similar([(item.ref, item.draft.stem_md) for item in new])]
    return report, new, known


def preview_import(actor: User, content: bytes, fmt: str, default_knowledge_point: str | None = None) -> ImportReport:
    """Validate and report without writing anything."""
    return _preview(actor, content, fmt, default_knowledge_point)[0]


def commit_import(actor: User, content: bytes, fmt: str, filename: str = "",
                  default_knowledge_point: str | None = None) -> ImportReport:
    """Import every new question as a draft in one transaction; refuses a file with any error."""
    report, new, known = _preview(actor, content, fmt, default_knowledge_point)
    if report.errors:
        raise QuestionInvalid(_("文件有 %(n)d 处错误，未导入任何试题", n=len(report.errors)), details=report)
    digest = hashlib.sha256(content).hexdigest()[:16]
    try:
        for item in new:
            add_question(actor.id, item.draft, source=fmt, source_ref=f"{digest}:{item.ref}"[:255], tags=item.tags,
                         knowledge_points=known)
        report.imported = len(new)
        record_audit(actor.id, "question.import", "question_bank", None, filename=filename, format=fmt,
                     imported=report.imported, skipped=len(report.skipped), already_present=report.already_present)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
