"""Closed vocabularies of the organisation: department kinds, ranks (职级) and roles."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class DepartmentKind(StrEnum):
    """Kinds of node in the department tree."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    BUREAU = "bureau"
    DIVISION = "division"


DEPARTMENT_KIND_LABELS = {
    DepartmentKind.PROVINCE: _l("省级政府"),
    DepartmentKind.CITY: _l("市级政府"),
    DepartmentKind.COUNTY: _l("县级政府"),
    DepartmentKind.BUREAU: _l("委办局"),
    DepartmentKind.DIVISION: _l("处室/科室"),
}


class Role(StrEnum):
    """Roles a user can be granted. ``hr`` and ``leader`` are always scoped to a department subtree."""

    LEARNER = "learner"
    EXAMINER = "examiner"
    REVIEWER = "reviewer"
    HR = "hr"
    LEADER = "leader"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.LEARNER: _l("学员"),
    Role.EXAMINER: _l("命题/阅卷"),
    Role.REVIEWER: _l("审题"),
    Role.HR: _l("组织人事"),
    Role.LEADER: _l("领导"),
    Role.ADMIN: _l("系统管理员"),
}
#: Chinese role names accepted in the roster template's 角色 column, and their roles.
ROLE_BY_CHINESE = {"学员": Role.LEARNER, "命题": Role.EXAMINER, "阅卷": Role.EXAMINER,
                   "命题/阅卷": Role.EXAMINER, "审题": Role.REVIEWER, "组织人事": Role.HR,
                   "人事": Role.HR, "领导": Role.LEADER, "管理员": Role.ADMIN, "系统管理员": Role.ADMIN}
SCOPED_ROLES = frozenset({Role.HR, Role.LEADER})

#: 职级 of civil servants, senior first, and the leadership ranks (领导职务层次) used in rosters.
#: The second value marks ranks that follow the 5-year 550 学时 rule (县处级 and 四级调研员 and above).
RANKS: tuple[tuple[str, bool], ...] = (
    ("省部级正职", True), ("省部级副职", True), ("厅局级正职", True), ("厅局级副职", True),
    ("县处级正职", True), ("县处级副职", True), ("乡科级正职", False), ("乡科级副职", False),
    ("一级巡视员", True), ("二级巡视员", True), ("一级调研员", True), ("二级调研员", True),
    ("三级调研员", True), ("四级调研员", True), ("一级主任科员", False), ("二级主任科员", False),
    ("三级主任科员", False), ("四级主任科员", False), ("一级科员", False), ("二级科员", False),
)
RANK_NAMES: tuple[str, ...] = tuple(name for name, _ in RANKS)
SENIOR_RANKS = frozenset(name for name, senior in RANKS if senior)
