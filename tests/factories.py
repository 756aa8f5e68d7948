"""Plain factory functions (CTFd's ``gen_*`` habit): they add rows and commit, returning ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from werkzeug.security import generate_password_hash

from courseware.models import Course, KnowledgePoint, Lesson, SyllabusModule
from training.certification.constants import Purpose
from training.certification.models import Program, ProgramCourse
from training.core.markdown import render_markdown_with_toc, to_plain_text
from training.extensions import db
from training.org.models import Department, RoleGrant, User
from training.org.services.departments import add_department

DEFAULT_PASSWORD = "correct-horse-battery"


@cache
def _default_hash() -> str:
    return generate_password_hash(DEFAULT_PASSWORD, method="scrypt")


def make_department(code: str, name: str | None = None, parent: Department | None = None,
                    kind: str = "bureau") -> Department:
    department = add_department(code, name or f"部门{code}", kind, parent)
    db.session.commit()
    return department


def make_user(department: Department, *, employee_no: str, name: str = "张三", rank: str = "一级科员",
              roles: list[tuple[str, Department | None]] = (), password: str | None = None,
              must_change_password: bool = False) -> User:
    user = User(employee_no=employee_no, name=name, department=department, rank=rank,
                must_change_password=must_change_password)
    if password:
        user.set_password(password)
    else:
        user.password_hash = _default_hash()
    db.session.add(user)
    db.session.flush()
    for role, scope in roles:
        db.session.add(RoleGrant(user_id=user.id, role=role, department_id=scope.id if scope else None))
    db.session.commit()
    return user


@dataclass
class Org:
    province: Department
    qc: Department
    qc_bureau: Department
    qc_division: Department
    yl: Department
    yl_bureau: Department
    yl_division: Department


def make_org() -> Org:
    province = make_department("DJ", "东江省人民政府", kind="province")
    qc = make_department("QC", "清川市人民政府", province, kind="city")
    qc_bureau = make_department("QC-RS", "清川市人社局", qc)
    qc_division = make_department("QC-RS-01", "公务员管理科", qc_bureau, kind="division")
    yl = make_department("YL", "云岭市人民政府", province, kind="city")
    yl_bureau = make_department("YL-RS", "云岭市人社局", yl)
    yl_division = make_department("YL-RS-01", "公务员管理科", yl_bureau, kind="division")
    return Org(province, qc, qc_bureau, qc_division, yl, yl_bureau, yl_division)


def make_course(code: str = "M1-01", *, minutes: tuple[int, ...] = (30, 20, 10), kind: str = "required",
                tiers: tuple[str, ...] = ("一般干部",), credit_hours=None):
    """A module (with two knowledge points), a course and its lessons, rendered like synced content."""
    module_code = code.split("-")[0]
    module = db.session.scalar(db.select(SyllabusModule).where(SyllabusModule.code == module_code))
    if module is None:
        module = SyllabusModule(code=module_code, title=f"模块{module_code}", tiers=list(tiers),
                                competencies=["学习能力"], position=int(module_code[1:]))
        db.session.add(module)
        db.session.flush()
        for n in (1, 2):
            db.session.add(KnowledgePoint(code=f"{module_code}.{n}", module_id=module.id, title=f"知识点{n}",
                                          competency="学习能力", position=n))
        db.session.flush()
    kps = list(db.session.scalars(db.select(KnowledgePoint).where(KnowledgePoint.module_id == module.id)))
    course = Course(code=code, module_id=module.id, title=f"课程{code}", summary="简介", kind=kind, tiers=list(tiers),
                    credit_hours=credit_hours, total_minutes=sum(minutes), lesson_count=len(minutes))
    db.session.add(course)
    db.session.flush()
    for position, length in enumerate(minutes, start=1):
        body = f"## 第{position}节\n\n电子政务课时正文{position}。\n\n## 要点回顾\n\n- 要点\n"
        html, toc = render_markdown_with_toc(body)
        db.session.add(Lesson(course_id=course.id, slug=f"{position:02d}-lesson", position=position,
                              title=f"{code} 第{position}课", minutes=length, body_md=body, body_html=html, toc_html=toc,
                              search_text=to_plain_text(html), knowledge_points=kps[:1]))
    db.session.commit()
    return course


# --- exams -----------------------------------------------------------------------------------------------

#: What ``make_bank`` writes per type: options and key of each question (stems are numbered).
BANK_SHAPES = {
    "single": (["电子政务外网", "电子政务内网", "互联网", "局域网"], "A"),
    "multiple": (["统一身份认证", "电子证照", "数据共享", "纸质盖章"], "ABC"),
    "true_false": ([], True),
    "fill_blank": ([], [["一网通办", "一网通办平台"]]),
    "short_answer": ([], "参考答案：数据共享、流程再造。"),
}


def make_bank(per_type: int = 6, module: str = "M1", types: tuple[str, ...] = ("single", "multiple",
                                                                                  "true_false", "fill_blank")):
    """``per_type`` approved questions of each type in ``module`` (knowledge point ``<module>.1``), with the
    keys of ``BANK_SHAPES``. Returns the questions."""
    from question_bank.models import APPROVED
    from question_bank.services.authoring import QuestionDraft, add_question
    if db.session.scalar(db.select(SyllabusModule).where(SyllabusModule.code == module)) is None:
        make_course(f"{module}-01", minutes=(10,))
    questions = []
    for kind in types:
        options, key = BANK_SHAPES[kind]
        for n in range(1, per_type + 1):
            stem = f"{module} {kind} 第{n}题：关于电子政务的说法" + ("是____。" if kind == "fill_blank" else "。")
            draft = QuestionDraft(type=kind, stem_md=stem, options=list(options), key=key,
                                  explanation_md=f"解析{n}", difficulty=1 + n % 5, knowledge_point=f"{module}.1")
            questions.append(add_question(None, draft, status=APPROVED))
    db.session.commit()
    return questions


def make_exam(audience, *, rows=(("", "single", 3, "2"), ("", "multiple", 2, "3"), ("", "true_false", 2, "1"),
                                 ("", "fill_blank", 1, "2")), **settings):
    """A published exam drawn from ``rows`` (scope, type, count, points) for ``audience`` (a Department or a
    User), open now for a week unless ``settings`` (any Exam column) say otherwise. Needs a bank."""
    from datetime import timedelta
    from decimal import Decimal

    from question_bank.exams.models import Blueprint, Exam, ExamAudience
    from question_bank.exams.services.blueprints import parse_rows
    from question_bank.exams.services.exams import draw_fixed_paper
    from training.core.clock import utcnow
    parsed, errors = parse_rows([{"scope": scope, "type": kind, "count": str(count), "points": points}
                                 for scope, kind, count, points in rows])
    assert not errors, errors
    blueprint = Blueprint(name="测试方案", rows=parsed)
    now = utcnow().replace(microsecond=0)
    department = audience if isinstance(audience, Department) else audience.department
    values = {"title": "测试考试", "kind": "formal", "status": "published", "paper_mode": "random",
              "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=7), "duration_minutes": 30,
              "max_attempts": 2, "pass_score": Decimal("6"), "release_policy": "immediate",
              "scoring_policy": "all_or_nothing", "department_id": department.id, **settings}
    exam = Exam(blueprint=blueprint, **values)
    exam.audience = [ExamAudience(department_id=audience.id) if isinstance(audience, Department)
                     else ExamAudience(user_id=audience.id)]
    db.session.add(exam)
    db.session.flush()
    if exam.paper_mode == "fixed":
        draw_fixed_paper(exam)
    db.session.commit()
    return exam


def make_program(code: str = "P-BASIC", *, courses=(), exam=None, min_hours=0, min_score=None,
                 validity_months: int = 36, renewal_window_days: int = 90, renewal_courses=(), renewal_exam=None,
                 renewal_min_hours=0, prerequisite=None, department=None, name: str | None = None,
                 level: str = "初级", tier: str = ""):
    """A programme requiring ``courses`` (Course objects, completed), ``min_hours`` 学时 and ``exam`` (an Exam)
    with ``min_score`` (None: the exam's pass mark); renewal asks for ``renewal_courses`` and ``renewal_exam``."""
    program = Program(code=code, name=name or f"电子政务应用能力（{code}）", level=level, tier=tier,
                      validity_months=validity_months, renewal_window_days=renewal_window_days,
                      min_hours=Decimal(str(min_hours)), exam_id=exam.id if exam else None,
                      min_score=None if min_score is None else Decimal(str(min_score)),
                      renewal_exam_id=renewal_exam.id if renewal_exam else None,
                      renewal_min_hours=Decimal(str(renewal_min_hours)),
                      prerequisite_id=prerequisite.id if prerequisite else None,
                      department_id=department.id if department else None)
    db.session.add(program)
    db.session.flush()
    for position, course in enumerate(courses):
        db.session.add(ProgramCourse(program_id=program.id, course_id=course.id, purpose=Purpose.INITIAL,
                                     position=position))
    for position, course in enumerate(renewal_courses):
        db.session.add(ProgramCourse(program_id=program.id, course_id=course.id, purpose=Purpose.RENEWAL,
                                     position=position))
    db.session.commit()
    return program
