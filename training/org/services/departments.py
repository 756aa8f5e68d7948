"""Department tree use cases: create, edit, move a subtree, list what a user may see."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import String, func, literal, select, update

from training.core.audit import record_audit
from training.core.errors import Conflict, ValidationFailed
from training.extensions import db
from training.org.constants import DepartmentKind, Role
from training.org.models import Department, User
from training.org.permissions import scope_clause


def _check_code_free(code: str, except_id: int | None = None) -> None:
    existing = db.session.scalar(select(Department.id).where(Department.code == code))
    if existing is not None and existing != except_id:
        raise Conflict(_("部门编码 %(code)s 已被使用", code=code))


def add_department(code: str, name: str, kind: str, parent: Department | None) -> Department:
    """Add a department under ``parent`` (flushes to get its id and path; the caller commits)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ValidationFailed(_("部门编码和名称不能为空"))
    if kind not in set(DepartmentKind):
        raise ValidationFailed(_("未知的部门类型"))
    _check_code_free(code)
    department = Department(code=code, name=name, kind=kind, parent=parent,
                            depth=0 if parent is None else parent.depth + 1)
    db.session.add(department)
    db.session.flush()
    department.path = f"{parent.path if parent else '/'}{department.id}/"
    return department


def create_department(actor: User, code: str, name: str, kind: str, parent: Department | None) -> Department:
    """Create a department and audit it."""
    department = add_department(code, name, kind, parent)
    record_audit(actor.id, "department.create", "department", department.id, code=department.code,
                 name=department.name, parent=parent.code if parent else None)
    db.session.commit()
    return department


def update_department(actor: User, department: Department, *, code: str, name: str, kind: str,
                      parent: Department | None, is_active: bool) -> Department:
    """Edit a department; a new parent moves the whole subtree (paths and depths rewritten in SQL)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ValidationFailed(_("部门编码和名称不能为空"))
    _check_code_free(code, except_id=department.id)
    before = {"code": department.code, "name": department.name, "kind": department.kind,
              "parent": department.parent.code if department.parent else None,
              "is_active": department.is_active}
    department.code, department.name, department.kind, department.is_active = code, name, kind, is_active
    if (parent.id if parent else None) != department.parent_id:
        _move_subtree(department, parent)
    after = {"code": code, "name": name, "kind": kind, "parent": parent.code if parent else None,
             "is_active": is_active}
    record_audit(actor.id, "department.update", "department", department.id,
                 changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    db.session.commit()
    return department


def _move_subtree(department: Department, new_parent: Department | None) -> None:
    if new_parent is not None and new_parent.path.startswith(department.path):
        raise ValidationFailed(_("不能把部门移动到它自己或它的下级部门之下"))
    old_path, old_depth = department.path, department.depth
    new_path = f"{new_parent.path if new_parent else '/'}{department.id}/"
    depth_shift = (new_parent.depth + 1 if new_parent else 0) - old_depth
    db.session.flush()
    db.session.execute(
        update(Department)
        .where(Department.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String).concat(func.substr(Department.path, len(old_path) + 1)),
                depth=Department.depth + depth_shift)
        .execution_options(synchronize_session=False)
    )
    department.parent_id = new_parent.id if new_parent else None
    db.session.flush()
    db.session.expire_all()


def visible_departments(user: User) -> list[Department]:
    """Departments the user may see (admins: all; HR/leaders: their subtrees; others: their own), in tree
    order."""
    clause = scope_clause(user, Department.path, Role.HR, Role.LEADER)
    query = select(Department).where(clause | (Department.id == user.department_id)).order_by(Department.path)
    return list(db.session.scalars(query))


def department_tree_rows(user: User) -> list[dict]:
    """Visible departments with their direct headcounts, in depth-first order (one grouped query)."""
    clause = scope_clause(user, Department.path, Role.HR, Role.LEADER)
    counts = (select(User.department_id, func.count(User.id).label("n"))
              .where(User.is_active.is_(True)).group_by(User.department_id).subquery())
    rows = db.session.execute(
        select(Department, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.department_id == Department.id)
        .where(clause)
    ).all()
    ordered = _depth_first(rows)
    return [{"department": department, "headcount": n} for department, n in ordered]


def _depth_first(rows):
    by_parent: dict[int | None, list] = {}
    ids = {department.id for department, _ in rows}
    for row in rows:
        parent = row[0].parent_id if row[0].parent_id in ids else None
        by_parent.setdefault(parent, []).append(row)
    result = []

    def walk(parent_id):
        for row in sorted(by_parent.get(parent_id, []), key=lambda r: r[0].code):
            result.append(row)
            walk(row[0].id)

    walk(None)
    return result
