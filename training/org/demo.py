"""Demo organisation: 东江省 (a fictional province) with three cities, ~35 departments, ~300 officials and
the six demo accounts. Deterministic and idempotent: loading twice adds nothing."""

from __future__ import annotations

import random

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from training.extensions import db
from training.org.constants import DepartmentKind as K
from training.org.constants import Role
from training.org.models import Department, RoleGrant, User
from training.org.services.departments import add_department

DEMO_PASSWORD = "egov-demo-2026"

# (code, name, kind, parent code)
PROVINCE_UNITS = [
    ("DJ", "东江省人民政府", K.PROVINCE, None),
    ("DJ-ZW", "东江省政务服务和数据管理局", K.BUREAU, "DJ"),
    ("DJ-ZW-01", "电子政务处", K.DIVISION, "DJ-ZW"),
    ("DJ-ZW-02", "数据资源处", K.DIVISION, "DJ-ZW"),
    ("DJ-RS", "东江省人力资源和社会保障厅", K.BUREAU, "DJ"),
    ("DJ-RS-01", "公务员管理处", K.DIVISION, "DJ-RS"),
    ("DJ-RS-02", "干部培训处", K.DIVISION, "DJ-RS"),
    ("DJ-CZ", "东江省财政厅", K.BUREAU, "DJ"),
    ("DJ-CZ-01", "预算处", K.DIVISION, "DJ-CZ"),
]
CITIES = [("QC", "清川市", "安宁县"), ("YL", "云岭市", "石门县"), ("HN", "海宁市", "临溪县")]
CITY_BUREAUS = [
    ("ZW", "政务服务管理局", [("01", "审批服务科"), ("02", "电子政务科")]),
    ("RS", "人力资源和社会保障局", [("01", "公务员管理科")]),
    ("FG", "发展和改革委员会", [("01", "投资科")]),
    ("SW", "商务局", []),
]

DEMO_ACCOUNTS = [
    # employee_no, name, department, rank, position, roles [(role, scope code)]
    ("admin", "周建国", "DJ-ZW-01", "一级调研员", "处长", [(Role.ADMIN, None)]),
    ("examiner", "林晓燕", "DJ-RS-02", "二级调研员", "副处长", [(Role.EXAMINER, None)]),
    ("reviewer", "郑文博", "DJ-RS-02", "一级主任科员", "主任科员", [(Role.REVIEWER, None)]),
    ("hr", "王丽华", "QC-RS-01", "一级主任科员", "科长", [(Role.HR, "QC")]),
    ("leader", "陈志远", "QC", "县处级正职", "副市长", [(Role.LEADER, "QC")]),
    ("learner", "李明轩", "QC-ZW-02", "二级主任科员", "科员", []),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志文斌晓燕红梅玉兰海波宁春雨欣怡子涵浩然思"
    "远俊杰雅琴嘉豪婷婷佳慧振华立新永辉丹凤晨曦亚楠鹏飞德明秋月卫东"
)
RANK_WEIGHTS = [("一级科员", 18), ("二级科员", 8), ("四级主任科员", 16), ("三级主任科员", 14),
                ("二级主任科员", 12), ("一级主任科员", 10), ("四级调研员", 6), ("三级调研员", 4),
                ("二级调研员", 3), ("一级调研员", 2), ("乡科级副职", 4), ("乡科级正职", 3)]
POSITIONS = ["科员", "科员", "科员", "主任科员", "副科长", "科长", "办事员"]


def _units() -> list[tuple[str, str, K, str | None]]:
    units = list(PROVINCE_UNITS)
    for code, city, county in CITIES:
        units.append((code, f"{city}人民政府", K.CITY, "DJ"))
        for bureau_code, bureau, divisions in CITY_BUREAUS:
            units.append((f"{code}-{bureau_code}", f"{city}{bureau}", K.BUREAU, code))
            units += [(f"{code}-{bureau_code}-{n}", name, K.DIVISION, f"{code}-{bureau_code}")
                      for n, name in divisions]
        units.append((f"{code}-XA", f"{county}人民政府", K.COUNTY, code))
        units.append((f"{code}-XA-ZW", f"{county}政务服务中心", K.BUREAU, f"{code}-XA"))
    return units


def load_demo_organisation() -> dict[str, int]:
    """Create what is missing of the demo organisation; returns counts of what was added. Caller commits."""
    existing = {d.code: d for d in db.session.scalars(select(Department))}
    added_departments = 0
    for code, name, kind, parent_code in _units():
        if code not in existing:
            existing[code] = add_department(code, name, kind, existing[parent_code] if parent_code else None)
            added_departments += 1
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")  # hashed once, shared: demo only
    known = set(db.session.scalars(select(User.employee_no)))
    added_users = _demo_accounts(existing, known, password_hash) + _demo_officials(existing, known, password_hash)
    db.session.flush()
    return {"departments": added_departments, "users": added_users}


def _demo_accounts(departments: dict[str, Department], known: set[str], password_hash: str) -> int:
    added = 0
    for employee_no, name, department_code, rank, position, roles in DEMO_ACCOUNTS:
        if employee_no in known:
            continue
        user = User(employee_no=employee_no, name=name, department=departments[department_code], rank=rank,
                    position=position, password_hash=password_hash, must_change_password=False)
        db.session.add(user)
        db.session.flush()
        for role, scope in roles:
            db.session.add(RoleGrant(user_id=user.id, role=role,
                                     department_id=departments[scope].id if scope else None))
        added += 1
    return added


def _demo_officials(departments: dict[str, Department], known: set[str], password_hash: str) -> int:
    rng = random.Random(2026)
    placeable = [d for d in departments.values() if d.kind in (K.DIVISION, K.BUREAU)]
    placeable.sort(key=lambda d: d.code)
    ranks = [rank for rank, weight in RANK_WEIGHTS for _ in range(weight)]
    added = 0
    for number in range(1, 301):
        employee_no = f"2026{number:04d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        department = placeable[(number - 1) % len(placeable)]
        rank, position = rng.choice(ranks), rng.choice(POSITIONS)
        if employee_no in known:
            continue
        db.session.add(User(employee_no=employee_no, name=name, department=department, rank=rank,
                            position=position, password_hash=password_hash, must_change_password=False,
                            last_login_at=None))
        added += 1
    return added
