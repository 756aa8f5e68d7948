"""学时 rules: how much a completed course is worth, and each rank's annual target (DOMAIN.md §3).

Both are site settings an administrator can change; the defaults follow the common online-study rule (a unit
of ≥ 30 min earns 1 学时, 15–30 min 0.5, ≤ 15 min 0.25) applied to each lesson, and the 《干部教育培训工作条例》
targets (90 a year; 550 per five years, i.e. 110 a year, for county/division level and 四级调研员 and above; of
which online self-study ≥ 50 a year).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from training.core.settings import get_setting, put_setting
from training.org.constants import RANK_NAMES, SENIOR_RANKS

RULE_KEY = "study_hours.rule"
TARGETS_KEY = "study_hours.targets"


@dataclass(frozen=True)
class HoursRule:
    """Minutes thresholds and the 学时 each band earns; applied to every lesson of a completed course."""

    long_minutes: int = 30
    long_hours: float = 1.0
    short_minutes: int = 15
    medium_hours: float = 0.5
    short_hours: float = 0.25

    def hours_for(self, minutes: int) -> Decimal:
        """学时 for one unit of ``minutes``: ≥ long → long_hours; > short → medium_hours; else short_hours."""
        if minutes >= self.long_minutes:
            return Decimal(str(self.long_hours))
        if minutes > self.short_minutes:
            return Decimal(str(self.medium_hours))
        return Decimal(str(self.short_hours))


@dataclass(frozen=True)
class HoursTargets:
    """Annual 学时 target per rank and the online self-study minimum."""

    per_rank: dict[str, float]
    online_minimum: float = 50.0

    def annual_target(self, rank: str) -> float:
        return self.per_rank.get(rank, 90.0)


def default_targets() -> HoursTargets:
    return HoursTargets({rank: (110.0 if rank in SENIOR_RANKS else 90.0) for rank in RANK_NAMES})


def current_rule() -> HoursRule:
    """The rule in force (stored setting or the default)."""
    stored = get_setting(RULE_KEY, None)
    return HoursRule(**stored) if stored else HoursRule()


def current_targets() -> HoursTargets:
    """The targets in force (stored setting or the defaults)."""
    stored = get_setting(TARGETS_KEY, None)
    if not stored:
        return default_targets()
    defaults = default_targets().per_rank
    return HoursTargets({**defaults, **stored.get("per_rank", {})}, stored.get("online_minimum", 50.0))


def course_credit(declared: Decimal | None, lesson_minutes: list[int], rule: HoursRule) -> Decimal:
    """A course's 学时: the declared credit if the course has one, else the rule summed over its lessons."""
    if declared is not None:
        return Decimal(declared)
    return sum((rule.hours_for(minutes) for minutes in lesson_minutes), Decimal("0"))


def save_rule(actor_id: int, rule: HoursRule) -> None:
    """Store a new rule (audited; caller commits). Completed enrolments keep the 学时 they were credited."""
    put_setting(actor_id, RULE_KEY, asdict(rule))


def save_targets(actor_id: int, targets: HoursTargets) -> None:
    """Store new targets (audited; caller commits)."""
    put_setting(actor_id, TARGETS_KEY, {"per_rank": targets.per_rank, "online_minimum": targets.online_minimum})
