"""Practice by syllabus module or knowledge point (题库练习): what can be practised, which question comes next
(the ones the learner has not answered for the longest time first), and the learner's practice totals.

Only approved, automatically graded questions are offered: a short answer needs a person to grade it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from courseware.models import KnowledgePoint, SyllabusModule
from courseware.services.catalogue import syllabus_modules
from question_bank.models import APPROVED, Question, QuestionVersion
from question_bank.practice.models import PracticeAnswer
from question_bank.types import QUESTION_TYPES
from training.core.errors import NotFound
from training.extensions import db

SHORT_ANSWER = "short_answer"
#: the question types practice offers (graded at once), in the bank's order
PRACTICE_TYPES = tuple(name for name, kind in QUESTION_TYPES.items() if kind.auto_graded)


def practice_types() -> dict[str, object]:
    """The types practice offers with their (lazily translated) labels."""
    return {name: QUESTION_TYPES[name].label for name in PRACTICE_TYPES}


@dataclass(frozen=True)
class Scope:
    """What a practice session draws from: a module, or one of its knowledge points, optionally one type.
    Neither module nor knowledge point: the whole approved bank."""

    module: SyllabusModule | None = None
    knowledge_point: KnowledgePoint | None = None
    type: str | None = None

    def args(self) -> dict[str, str]:
        """The scope as query-string arguments (for links to the next question)."""
        args = {}
        if self.knowledge_point is not None:
            args["kp"] = self.knowledge_point.code
        elif self.module is not None:
            args["module"] = self.module.code
        if self.type:
            args["type"] = self.type
        return args

    @property
    def label(self) -> str:
        if self.knowledge_point is not None:
            return f"{self.knowledge_point.code} {self.knowledge_point.title}"
        if self.module is not None:
            return f"{self.module.code} {self.module.title}"
        return _("全部模块")


def resolve_scope(module_code: str | None = None, kp_code: str | None = None, type_name: str | None = None) -> Scope:
    """The scope named by codes from a query string (404 for an unknown module, knowledge point or type)."""
    if type_name and type_name not in PRACTICE_TYPES:
        raise NotFound(_("不支持练习这种题型"))
    if kp_code:
        kp = db.session.scalar(select(KnowledgePoint).where(KnowledgePoint.code == kp_code))
        if kp is None:
            raise NotFound(_("知识点不存在"))
        return Scope(kp.module, kp, type_name or None)
    if module_code:
        module = db.session.scalar(select(SyllabusModule).where(SyllabusModule.code == module_code))
        if module is None:
            raise NotFound(_("模块不存在"))
        return Scope(module, None, type_name or None)
    return Scope(None, None, type_name or None)


def practice_filter(scope: Scope) -> list:
    """WHERE clauses on ``Question`` for the questions a scope offers."""
    clauses = [Question.status == APPROVED, Question.type.in_(PRACTICE_TYPES)]
    if scope.knowledge_point is not None:
        clauses.append(Question.knowledge_point_id == scope.knowledge_point.id)
    elif scope.module is not None:
        clauses.append(Question.module_id == scope.module.id)
    if scope.type:
        clauses.append(Question.type == scope.type)
    return clauses


@dataclass
class ModuleEntry:
    """A syllabus module on the practice page with its knowledge points and question counts."""

    module: SyllabusModule
    count: int = 0
    points: list[tuple[KnowledgePoint, int]] = field(default_factory=list)


def practice_catalogue() -> list[ModuleEntry]:
    """Every syllabus module with its knowledge points and how many approved, automatically graded questions
    each offers (the syllabus in two queries, the counts in one grouped query)."""
    counts = {(module_id, kp_id): n for module_id, kp_id, n in db.session.execute(
        select(Question.module_id, Question.knowledge_point_id, func.count()).where(*practice_filter(Scope()))
        .group_by(Question.module_id, Question.knowledge_point_id))}
    entries = []
    for module in syllabus_modules():
        entry = ModuleEntry(module, sum(n for (module_id, _kp), n in counts.items() if module_id == module.id))
        entry.points = [(kp, counts.get((module.id, kp.id), 0)) for kp in module.knowledge_points]
        entries.append(entry)
    return entries


def next_practice_version(user_id: int, scope: Scope) -> QuestionVersion | None:
    """The current version of the approved question in ``scope`` the learner answered longest ago (never
    answered first, at random among equals); None when the scope has no question."""
    last = (select(PracticeAnswer.question_id, func.max(PracticeAnswer.answered_at).label("at"))
            .where(PracticeAnswer.user_id == user_id).group_by(PracticeAnswer.question_id).subquery())
    return db.session.scalar(
        select(QuestionVersion)
        .join(Question, (Question.id == QuestionVersion.question_id)
              & (QuestionVersion.number == Question.current_version))
        .outerjoin(last, last.c.question_id == Question.id)
        .where(*practice_filter(scope))
        .order_by(last.c.at.is_not(None), last.c.at, func.random()).limit(1))


@dataclass(frozen=True)
class Totals:
    """The learner's practice record: answers given (practice and the book) and how many were right."""

    answered: int
    correct: int

    @property
    def accuracy(self) -> int:
        """Percentage of right answers, rounded."""
        return round(100 * self.correct / self.answered) if self.answered else 0


def practice_totals(user_id: int) -> Totals:
    """Answers and right answers of the learner in practice and the book (one query)."""
    answered, correct = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((PracticeAnswer.correct.is_(True), 1), else_=0)), 0))
        .where(PracticeAnswer.user_id == user_id)).one()
    return Totals(answered, correct)
