"""Demo programmes: the three levels 电子政务应用能力（初级/中级/高级） and the three tier tracks (领导干部, 一般干部,
技术人员 — the modules DOMAIN.md assigns to each tier), built from the shipped courses and the demo exams, and the
demo HR officer's assignment rules in 清川市, so that the HR pages and the learners' home pages show people in
every stage. Idempotent: nothing happens once any programme exists. Needs the organisation, the courseware and
the demo exams with their history (call it after ``load_demo_exams``).

The demo learner's certificate: 初级 was first set up on the 2025 annual exam, which the learner passed (the
exam history) and the learner completed its course (the courseware demo), so the assignment issues the
certificate. Then the administrator moves 初级 to the open 2026 exam — a change of requirements (version 2)
that leaves the issued certificates standing, as it would in real life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from courseware.models import Course
from question_bank.exams.demo_history import PAST_EXAMS
from question_bank.exams.models import EXAM_PUBLISHED, FORMAL, Exam
from training.certification.constants import HOLDING, Target
from training.certification.models import Program, ProgramAssignment
from training.certification.services import assignments
from training.certification.services.programs import ProgramData, create_program, program_data, update_program
from training.certification.services.progress import refresh_program
from training.core.clock import frozen_clock, utcnow
from training.extensions import db
from training.org.models import Department, User

FIRST_LEVEL = "EGOV-L1"


@dataclass(frozen=True)
class DemoProgram:
    """One demo programme: course codes by role, 学时 and scores asked, and its owner (a department code, or
    None for the whole organisation)."""

    code: str
    name: str
    description: str
    required: tuple[str, ...]
    refreshers: tuple[str, ...]
    min_hours: str
    electives: tuple[str, ...] = ()
    level: str = ""
    tier: str = ""
    min_score: str | None = None
    renewal_min_score: str | None = None
    validity_months: int = 36
    window_days: int = 90
    prerequisite: str | None = None
    owner: str | None = None


PROGRAMS = (
    DemoProgram(
        FIRST_LEVEL, "电子政务应用能力（初级）",
        "面向全体公务员的电子政务入门认证。学员须学完《电子政务概论》，并在年度电子政务应用能力考试中合格，"
        "能够说清电子政务是什么、为谁服务、有哪些应用模式，做到会用、善用本单位的政务信息系统。"
        "证书有效期三年；到期前三个月内学完一门网上办公实务复训课程并再次考试合格，即可续证。",
        required=("M1-01",), electives=("M9-01",), refreshers=("M9-02",), min_hours="4", level="初级"),
    DemoProgram(
        "EGOV-L2", "电子政务应用能力（中级）",
        "在初级基础上，围绕政府职能转变、政务流程再造和政府信息公开三个主题深入学习。取得本证书的同志，"
        "应能用流程管理的方法梳理本单位的审批和服务事项，提出压缩环节、并联办理和依法公开的改进建议。"
        "须持有有效的初级证书；考试合格线为 75 分，高于初级。",
        required=("M3-01", "M4-01", "M5-01"), electives=("M3-02",), refreshers=("M4-02",), min_hours="12",
        level="中级", min_score="75", renewal_min_score="70", prerequisite=FIRST_LEVEL),
    DemoProgram(
        "EGOV-L3", "电子政务应用能力（高级）",
        "面向电子政务建设的组织者和业务骨干，涵盖我国电子政务的建设历程与经验、信息安全保障、规划投入与"
        " IT 治理。取得本证书的同志，应能主持或参与本地区、本部门电子政务项目的规划论证、安全方案审查和"
        "建设成效评估。须持有有效的中级证书；考试合格线为 85 分。",
        required=("M2-01", "M7-01", "M8-01"), refreshers=("M8-02",), min_hours="13", level="高级",
        min_score="85", renewal_min_score="80", validity_months=48, prerequisite="EGOV-L2"),
    DemoProgram(
        "EGOV-LD", "领导干部电子政务能力专项",
        "按培训大纲对领导干部的要求设置，覆盖电子政务概论、建设历程、政府职能转变、政府信息公开和规划绩效"
        "与治理五个模块。帮助领导干部把握“重在政务、不在电子”的方向，善于用信息化手段推进依法行政、"
        "改进公共服务、支撑科学决策，并能为本单位的电子政务建设定目标、定投入、定机制。",
        required=("M1-01", "M2-01", "M3-01", "M5-01", "M8-01", "M8-02"), refreshers=("M3-02",), min_hours="20",
        tier="领导干部", validity_months=24, window_days=60),
    DemoProgram(
        "EGOV-GS", "一般干部电子政务能力专项",
        "按培训大纲对一般干部的要求设置，覆盖电子政务概论、政府职能转变、政务流程管理、政府信息公开、电子"
        "政务与电子商务、网上办公六个模块。着重提高日常办文办事、窗口服务和网上办公的实际本领，做到流程"
        "清楚、公开规范、服务便民。",
        required=("M1-01", "M3-01", "M4-01", "M4-02", "M5-01", "M6-01", "M9-01"), electives=("M3-02",),
        refreshers=("M9-02",), min_hours="24", tier="一般干部", validity_months=24, window_days=60),
    DemoProgram(
        "QC-TECH", "技术人员电子政务能力专项",
        "清川市组织人事部门为机关信息中心、网络管理和业务系统运维岗位设立，覆盖政务流程管理、信息安全、"
        "规划绩效与治理、网上办公与信息技术应用四个模块。重点是把网络隔离、灾难备份、等级保护和数字证书"
        "等安全制度落到实处，并为跨部门流程协同和数据共享提供技术支撑。",
        required=("M4-01", "M4-02", "M7-01", "M8-01", "M8-02", "M9-01"), refreshers=("M9-02",), min_hours="16",
        tier="技术人员", validity_months=24, window_days=60, owner="QC"),
)


def load_demo_programs(now: datetime | None = None) -> int:
    """Create the demo programmes and the demo HR officer's assignments, then compute everyone's progress
    (issuing the certificates already earned). Returns how many programmes were created (0 when any existed
    or the demo organisation is missing). Commits."""
    if db.session.scalar(select(Program.id).limit(1)) is not None:
        return 0
    admin, hr = _user("admin"), _user("hr")
    if admin is None or hr is None:
        return 0
    now = now or utcnow()
    courses = dict(db.session.execute(select(Course.code, Course.id).where(Course.published.is_(True))).all())
    open_exam, past_exam = _exams(now)
    created: dict[str, Program] = {}
    for spec in PROGRAMS:
        exam = past_exam if spec.code == FIRST_LEVEL and past_exam is not None else open_exam
        actor = hr if spec.owner else admin
        created[spec.code] = create_program(actor, _data(spec, courses, exam, open_exam, created))
    _assign(hr, created, now)
    if past_exam is not None and open_exam is not None:  # 初级 moves to this year's exam (see the docstring)
        first = created[FIRST_LEVEL]
        data = program_data(first)
        data.exam_id = open_exam.id
        update_program(admin, first.id, data)
    for program in created.values():
        refresh_program(program.id, now=now)
    return len(created)


def _user(employee_no: str) -> User | None:
    return db.session.scalar(select(User).where(User.employee_no == employee_no))


def _department(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))


def _exams(now: datetime) -> tuple[Exam | None, Exam | None]:
    """The formal exam open now (closing last) and the past annual exam of the demo history."""
    formal = select(Exam).where(Exam.kind == FORMAL, Exam.status == EXAM_PUBLISHED)
    open_exam = db.session.scalar(formal.where(Exam.opens_at <= now, Exam.closes_at > now)
                                  .order_by(Exam.closes_at.desc(), Exam.id))
    past_exam = db.session.scalar(formal.where(Exam.title == PAST_EXAMS[0].title))
    return open_exam, past_exam


def _data(spec: DemoProgram, courses: dict[str, int], exam: Exam | None, renewal_exam: Exam | None,
          created: dict[str, Program]) -> ProgramData:
    def ids(codes: tuple[str, ...]) -> list[int]:
        return [courses[code] for code in codes if code in courses]

    def score(value: str | None, of: Exam | None) -> Decimal | None:
        return Decimal(value) if value is not None and of is not None else None
    owner = _department(spec.owner) if spec.owner else None
    return ProgramData(
        code=spec.code, name=spec.name, level=spec.level, tier=spec.tier, description=spec.description,
        course_ids=ids(spec.required), elective_course_ids=ids(spec.electives), min_hours=Decimal(spec.min_hours),
        exam_id=exam.id if exam else None, min_score=score(spec.min_score, exam),
        prerequisite_id=created[spec.prerequisite].id if spec.prerequisite else None,
        validity_months=spec.validity_months, renewal_window_days=spec.window_days,
        renewal_course_ids=ids(spec.refreshers), renewal_exam_id=renewal_exam.id if renewal_exam else None,
        renewal_min_score=score(spec.renewal_min_score, renewal_exam),
        department_id=owner.id if owner else None)


def _due(now: datetime, days: int) -> datetime:
    """23:59:59 Beijing time (15:59:59 UTC), ``days`` from ``now``."""
    return (now + timedelta(days=days)).replace(hour=15, minute=59, second=59, microsecond=0)


def _assign(hr: User, created: dict[str, Program], now: datetime) -> None:
    """The demo HR officer's rules in 清川市: 初级 for the whole city (due in two months); the 一般干部 track for
    the 三级主任科员 of the 政务服务管理局, assigned a hundred days ago and due ten days ago (so some are
    overdue); the 领导干部 track for the city's 二级调研员; the city's own 技术人员 track for the 电子政务科;
    中级 for the learner and colleagues of the bureau who already hold 初级."""
    city, bureau, division = _department("QC"), _department("QC-ZW"), _department("QC-ZW-02")
    if city is None or bureau is None or division is None:
        return
    assignments.create_rule(hr, department_id=city.id, program_id=created[FIRST_LEVEL].id, due_at=_due(now, 61),
                            note="2026 年度全员电子政务入门认证")
    with frozen_clock(now - timedelta(days=100)):
        assignments.create_rule(hr, department_id=bureau.id, program_id=created["EGOV-GS"].id, rank="三级主任科员",
                                due_at=_due(now, -10), note="窗口服务岗位能力提升")
    assignments.create_rule(hr, department_id=city.id, program_id=created["EGOV-LD"].id, rank="二级调研员",
                            due_at=_due(now, 92), note="领导干部年度学习任务")
    assignments.create_rule(hr, department_id=division.id, program_id=created["QC-TECH"].id, due_at=_due(now, 122),
                            note="信息化岗位专项")
    holders = db.session.scalars(
        select(User.employee_no).join(ProgramAssignment, ProgramAssignment.user_id == User.id)
        .join(Department, Department.id == User.department_id)
        .where(ProgramAssignment.program_id == created[FIRST_LEVEL].id, ProgramAssignment.status.in_(HOLDING),
               Department.path.startswith(bureau.path), User.employee_no != "learner")
        .order_by(User.employee_no).limit(3)).all()
    assignments.create_rule(hr, department_id=bureau.id, program_id=created["EGOV-L2"].id, target=Target.PEOPLE,
                            employee_nos=["learner", *holders], due_at=_due(now, 183), note="初级持证人员进阶")
