"""Plain factory functions (CTFd's ``gen_*`` habit): they add rows and commit, returning ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from werkzeug.security import generate_password_hash

from courseware.models import Course, KnowledgePoint, Lesson, SyllabusModule
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
