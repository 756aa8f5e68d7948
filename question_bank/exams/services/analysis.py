"""Item analysis (试题分析): how each question version behaved in an exam, and across every exam.

Definitions (population figures throughout; ``analysis_sql.py`` holds the SQL, which aggregates everything in
the database and returns a few dozen sums per question version):

**Per exam.** The population is the exam's GRADED attempts (``status = "graded"``), N of them. For an
attempt, X is its total (``attempts.score``); for one of its items, x is the item score
(``attempt_items.score``, missing = 0) and p the item maximum (``attempt_items.points``); R = X − x is the
rest score. For a question version, over the n attempts that contain it:

- facility = Σx / Σp (the mean score as a share of the maximum);
- discrimination (corrected point-biserial) = Pearson correlation of x with R; None when n < 2 or either
  variance is 0;
- discriminative efficiency (Moodle's) = cov(x, R) / covmax, where covmax is the covariance of x and R after
  sorting both columns independently ascending and pairing them by rank; None when covmax ≤ 0;
- distractor analysis (single, multiple, true/false): per option (its original letter; "true"/"false") how
  many responses chose it overall, in the upper 27 % and in the lower 27 % of the exam's graded attempts,
  whether it is a key, and how many chose no option ("blank"). The groups: attempts ranked by total, ties by
  attempt id (ascending: among equal totals the higher id ranks higher), g = max(1, round(0.27·N)) with
  halves rounded up; lower = the first g, upper = the last g. A choice response "chooses" every letter A–F in
  it (case-insensitive, a JSON string or list, as ``ChoiceType.normalise_response`` reads it); a true/false
  response chooses "true"/"false" when it is that JSON boolean or a spelling ``TrueFalse`` accepts
  (``analysis_sql.TRUE_TEXTS``); blank = no option chosen. Letters are looked for in the stored JSON text,
  where characters beyond ASCII are ``\\u``-escaped: a choice response is letters (what the exam client
  sends), other text in one may count letters of its escapes.
- Cronbach's alpha = k/(k−1) · (1 − V_items / var(X)) with k = items per attempt (Σn / N) and
  V_items = Σ over versions of (Σx² − (Σx)²/n) divided by N — the pooled within-version variance, which for a
  fixed paper is exactly Σ var_i, and stays meaningful for random papers; None when var(X) = 0 or k < 2.
  SEM = sd(X) · sqrt(1 − alpha).

**Per question version across exams.** The same item figures over every graded attempt containing the
version, with scores as fractions so that exams of different length mix: x' = x/p,
R' = (X − x)/(max − p) (0 when the attempt has nothing besides the item) with max = ``attempts.max_score``;
facility = mean(x'); the 27 % groups are ranked within the version's attempts by X/max (ties by attempt id),
g = max(1, round(0.27·n)).

**Flags** (only for at least ``FLAG_MIN_RESPONSES`` responses): ``negative_discrimination`` (d < 0),
``weak_discrimination`` (0 ≤ d < 0.2), ``too_easy`` (facility > 0.95), ``too_hard`` (facility < 0.15).

Results of an exam are cached per process for at most ``CACHE_SECONDS``, and recomputed at once when the
exam's count of graded attempts or their latest grading time changes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select, text

from question_bank.exams.models import EXAM_ARCHIVED, GRADED, Attempt, Exam
from question_bank.exams.services import analysis_sql as q
from question_bank.exams.services.exams import get_managed_exam
from question_bank.models import Question, QuestionVersion
from question_bank.types import LETTERS
from training.core.caches import register_process_cache
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_clause

CHOICE_TYPES = ("single", "multiple", "true_false")
FLAG_MIN_RESPONSES = 10
WEAK_DISCRIMINATION, TOO_EASY, TOO_HARD = 0.2, 0.95, 0.15
FLAG_LABELS = {"negative_discrimination": _l("区分度为负"), "weak_discrimination": _l("区分度偏低"),
               "too_easy": _l("过于容易"), "too_hard": _l("过难")}
CACHE_SECONDS = 60.0
_EPS = 1e-12  # relative: a variance this small next to the mean square is rounding, not spread


@dataclass(frozen=True)
class Counts:
    """Responses choosing an option (or none): overall, in the upper 27 % and in the lower 27 %."""

    count: int
    upper: int
    lower: int


@dataclass(frozen=True)
class OptionCount(Counts):
    option: str = ""
    key: bool = False


@dataclass(frozen=True)
class ItemStats:
    """The figures of one question version (None where undefined)."""

    question_id: int
    code: str
    version: int
    question_version_id: int
    type: str
    responses: int
    facility: float | None
    discrimination: float | None
    efficiency: float | None
    options: list[OptionCount] | None
    blank: Counts | None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExamAnalysis:
    """An exam's summary figures and its items."""

    exam_id: int
    attempts: int
    mean: float | None
    sd: float | None
    alpha: float | None
    sem: float | None
    items_per_attempt: float | None
    group_size: int
    items: list[ItemStats]


def group_size(count: int) -> int:
    """Attempts in each 27 % group: max(1, round(0.27·count)), halves rounded up (integer arithmetic)."""
    return max(1, (27 * count + 50) // 100)


def _variance(sum_squares: float, total: float, n: int) -> float:
    """Population variance from sums; 0 when it is only rounding."""
    mean_square = sum_squares / n
    value = mean_square - (total / n) ** 2
    return value if value > _EPS * max(1.0, abs(mean_square)) else 0.0


def item_figures(n: int, sp: float, sx: float, sxx: float, sr: float, srr: float, sxr: float,
                 sorted_xr: float | None) -> tuple[float | None, float | None, float | None]:
    """(facility, discrimination, efficiency) from the per-version sums."""
    if n == 0:
        return None, None, None
    facility = sx / sp if sp else None
    mx, mr = sx / n, sr / n
    covariance = sxr / n - mx * mr
    var_x, var_r = _variance(sxx, sx, n), _variance(srr, sr, n)
    discrimination = covariance / math.sqrt(var_x * var_r) if n >= 2 and var_x > 0 and var_r > 0 else None
    efficiency = None
    if sorted_xr is not None:
        covmax = sorted_xr / n - mx * mr
        if covmax > _EPS * max(1.0, abs(sorted_xr / n)):
            efficiency = covariance / covmax
    return facility, discrimination, efficiency


def flags_for(responses: int, facility: float | None, discrimination: float | None) -> list[str]:
    """The version's flags (none below ``FLAG_MIN_RESPONSES`` responses)."""
    if responses < FLAG_MIN_RESPONSES:
        return []
    flags = []
    if discrimination is not None:
        if discrimination < 0:
            flags.append("negative_discrimination")
        elif discrimination < WEAK_DISCRIMINATION:
            flags.append("weak_discrimination")
    if facility is not None and facility > TOO_EASY:
        flags.append("too_easy")
    if facility is not None and facility < TOO_HARD:
        flags.append("too_hard")
    return flags


def _dialect() -> q.Dialect:
    return q.Dialect(db.session.get_bind().dialect.name)


def _tune_transaction(dialect: q.Dialect) -> None:
    """PostgreSQL, for this read-only transaction only: no JIT (compiling the plan costs more than it saves
    here) and enough memory to hash and sort a million responses without spilling to disk."""
    if dialect.postgres:
        for setting in q.POSTGRES_SETTINGS:
            db.session.execute(text(f"SET LOCAL {setting}"))


def _version_meta(version_ids: Iterable[int]) -> dict[int, Any]:
    """id → (question_id, code, number, type, options, key) of the given versions."""
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.question_id, Question.code, QuestionVersion.number,
               QuestionVersion.type, QuestionVersion.options, QuestionVersion.key)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(bindparam("ids", expanding=True))), {"ids": ids})
    return {row.id: row for row in rows}


def _options(meta: Any, sums: dict[str, Any]) -> tuple[list[OptionCount] | None, Counts | None]:
    def counts(marker: str) -> tuple[int, int, int]:
        return tuple(int(sums[f"{marker}_{group}"] or 0) for group in ("all", "up", "lo"))

    if meta.type == "true_false":
        options = [OptionCount(*counts(value), option=value, key=meta.key is (value == "true"))
                   for value in ("true", "false")]
        chosen = [sum(option.count for option in options), sum(o.upper for o in options),
                  sum(o.lower for o in options)]
        total = (int(sums["n"]), int(sums["n_up"]), int(sums["n_lo"]))
        return options, Counts(*(whole - part for whole, part in zip(total, chosen, strict=True)))
    if meta.type in ("single", "multiple"):
        letters = LETTERS[:len(meta.options or [])]
        return ([OptionCount(*counts(letter), option=letter, key=letter in str(meta.key)) for letter in letters],
                Counts(*counts("blank_choice")))
    return None, None


def _items(rows: Iterable[Any]) -> tuple[list[ItemStats], list[dict[str, Any]]]:
    """ItemStats of the per-version sum rows (``analysis_sql.SUM_COLUMNS``), and the sums themselves."""
    sums = [dict(zip(("v", *q.SUM_COLUMNS), row, strict=True)) for row in rows]
    meta = _version_meta(row["v"] for row in sums)
    items = []
    for row in sums:
        version = meta[row["v"]]
        numbers = {name: float(row[name] or 0) for name in ("sp", "sx", "sxx", "sr", "srr", "sxr")}
        n = int(row["n"])
        sorted_xr = float(row["sorted_xr"]) if row["sorted_xr"] is not None else None
        facility, discrimination, efficiency = item_figures(n, **numbers, sorted_xr=sorted_xr)
        options, blank = _options(version, row)
        items.append(ItemStats(version.question_id, version.code, version.number, version.id, version.type, n,
                               facility, discrimination, efficiency, options, blank,
                               flags_for(n, facility, discrimination)))
    items.sort(key=lambda item: (item.code, item.version))
    return items, sums


def _exam_totals(exam_id: int) -> tuple[int, float, float, Any]:
    count, total, squares, latest = db.session.execute(text(q.exam_totals_sql()), {"exam_id": exam_id}).one()
    return int(count or 0), float(total or 0), float(squares or 0), latest


def analyse_exam(exam_id: int, totals: tuple[int, float, float, Any] | None = None) -> ExamAnalysis:
    """The full item analysis of one exam, computed now (no permission check, no cache)."""
    n, total, squares, _latest = totals or _exam_totals(exam_id)
    if n == 0:
        return ExamAnalysis(exam_id, 0, None, None, None, None, None, 0, [])
    size, dialect = group_size(n), _dialect()
    _tune_transaction(dialect)
    rows = db.session.execute(text(q.exam_sql(dialect)),
                              {"exam_id": exam_id, "k": size, "upper_from": n - size}).all()
    items, sums = _items(rows)
    mean, var_total = total / n, _variance(squares, total, n)
    k = sum(int(row["n"]) for row in sums) / n
    pooled = sum(max(0.0, float(row["sxx"]) - float(row["sx"]) ** 2 / int(row["n"])) for row in sums) / n
    alpha = k / (k - 1) * (1 - pooled / var_total) if var_total > 0 and k >= 2 else None
    sd = math.sqrt(var_total)
    sem = sd * math.sqrt(max(0.0, 1 - alpha)) if alpha is not None else None
    return ExamAnalysis(exam_id, n, mean, sd, alpha, sem, k, size, items)


_cache: dict[int, tuple[float, tuple, ExamAnalysis]] = {}
_cache_lock = threading.Lock()


@register_process_cache
def clear_analysis_cache() -> None:
    """Forget every cached exam analysis."""
    with _cache_lock:
        _cache.clear()


def exam_item_analysis(actor: User, exam_id: int) -> ExamAnalysis:
    """The item analysis of an exam the actor manages (NotFound otherwise), at most ``CACHE_SECONDS`` old and
    recomputed as soon as another attempt is graded."""
    exam = get_managed_exam(actor, exam_id)
    totals = _exam_totals(exam.id)
    fingerprint = (totals[0], totals[3])
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(exam.id)
    if cached and cached[0] > now and cached[1] == fingerprint:
        return cached[2]
    analysis = analyse_exam(exam.id, totals)
    with _cache_lock:
        _cache[exam.id] = (now + CACHE_SECONDS, fingerprint, analysis)
    return analysis


def version_statistics(question_id: int) -> list[ItemStats]:
    """Per version of the question, its figures across every exam (fractions; see the module docstring)."""
    where, dialect = "ai.question_id = :question_id", _dialect()
    _tune_transaction(dialect)
    rows = db.session.execute(text(q.versions_sql(dialect, where)), {"question_id": question_id}).all()
    items, _sums = _items(rows)
    return sorted(items, key=lambda item: -item.version)


def question_flags(question_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """For the given questions (a page of the bank browser), the flags of their versions across exams:
    question id → [(version number, flag)]. One aggregate over those questions' responses."""
    if not question_ids:
        return {}
    where = "ai.question_id IN :question_ids"
    statement = text(q.version_moments_sql(where)).bindparams(bindparam("question_ids", expanding=True))
    flagged: dict[int, list[tuple[int, str]]] = {}
    for row in db.session.execute(statement, {"question_ids": list(question_ids)}):
        n = int(row.n)
        facility, discrimination, _ = item_figures(n, n, float(row.sx), float(row.sxx), float(row.sr),
                                                   float(row.srr), float(row.sxr), None)
        for flag in flags_for(n, facility, discrimination):
            flagged.setdefault(row.question_id, []).append((row.number, flag))
    for flags in flagged.values():
        flags.sort()
    return flagged


def managed_exam_counts(actor: User) -> list[tuple[Exam, int, int]]:
    """The exams of ``exams.list_managed_exams`` (the actor's examiner scope, not archived, newest first), each
    with its number of attempts and of graded attempts, counted in SQL."""
    counts = (select(Attempt.exam_id, func.count().label("n"),
                     func.sum(case((Attempt.status == GRADED, 1), else_=0)).label("graded"))
              .group_by(Attempt.exam_id).subquery())
    rows = db.session.execute(
        select(Exam, func.coalesce(counts.c.n, 0), func.coalesce(counts.c.graded, 0))
        .join(Department, Department.id == Exam.department_id)
        .outerjoin(counts, counts.c.exam_id == Exam.id)
        .where(scope_clause(actor, Department.path, Role.EXAMINER), Exam.status != EXAM_ARCHIVED)
        .order_by(Exam.opens_at.desc(), Exam.id.desc()))
    return [(exam, int(n), int(graded)) for exam, n, graded in rows]


def _item_json(item: ItemStats) -> dict[str, Any]:
    body = asdict(item)
    body.pop("code")
    body["options"] = [{"option": o.option, "key": o.key, "count": o.count, "upper": o.upper, "lower": o.lower}
                       for o in item.options] if item.options is not None else None
    body["blank"] = asdict(item.blank) if item.blank is not None else None
    return body


def analysis_json(analysis: ExamAnalysis) -> dict[str, Any]:
    """The API's body: summary figures and items (floats; null where undefined)."""
    return {"exam_id": analysis.exam_id, "alpha": analysis.alpha, "sem": analysis.sem,
            "attempts": analysis.attempts, "mean": analysis.mean, "sd": analysis.sd,
            "items_per_attempt": analysis.items_per_attempt, "group_size": analysis.group_size,
            "items": [_item_json(item) for item in analysis.items]}
