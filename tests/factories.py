"""Plain factory functions (CTFd's ``gen_*`` habit): they add rows and commit, returning ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from werkzeug.security import generate_password_hash

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
