"""Roster import: template, row-by-row preview, all-or-nothing commit, idempotency, UI and CLI twins."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import login_as
from training.core.audit import AuditEvent
from training.core.errors import ValidationFailed
from training.extensions import db
from training.org.models import RoleGrant, User
from training.org.services import roster

HEADER = ("工号", "姓名", "部门编码", "职级", "职务", "角色")
GOOD_ROWS = [
    ("30000001", "张伟", "QC-RS-01", "一级科员", "科员", ""),
    ("30000002", "王芳", "QC-RS-01", "四级主任科员", "副科长", "学员"),
    ("30000003", "刘洋", "QC-RS", "二级主任科员", "科长", ""),
    (30000004, "陈静", "QC", "一级主任科员", "", ""),  # a number, as Excel stores it
]


def workbook_bytes(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def count_users() -> int:
    return db.session.scalar(db.select(db.func.count(User.id)))


def test_template_has_sheets_and_validation(app_ctx, hr_officer):
    book = load_workbook(io.BytesIO(roster.roster_template(hr_officer)))
    assert book.sheetnames == ["花名册", "部门", "说明"]
    assert tuple(c.value for c in book["花名册"][1]) == HEADER
    codes = [row[0] for row in book["部门"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["QC", "QC-RS", "QC-RS-01"]  # only the officer's subtree
    assert len(book["花名册"].data_validations.dataValidation) == 2


def test_preview_reports_each_bad_row_and_commit_refuses(app_ctx, hr_officer, org):
    bad = [
        *GOOD_ROWS,
        ("30000005", "周敏", "NOPE", "一级科员", "", ""),
        ("30000001", "重复人", "QC-RS-01", "一级科员", "", ""),
        ("30000006", "吴强", "QC-RS-01", "科长大人", "", ""),
        ("30000007", "郑洁", "YL-RS-01", "一级科员", "", ""),
        ("30000008", "", "QC-RS-01", "一级科员", "", "超级管理员"),
        ("30000009", "冯磊", "QC-RS-01", "一级科员", "", "管理员"),
    ]
    preview = roster.preview_roster(hr_officer, workbook_bytes(bad))
    errors = {row.row_no: "；".join(row.errors) for row in preview.error_rows}
    assert set(errors) == {6, 7, 8, 9, 10, 11}
    assert "部门编码“NOPE”不存在" in errors[6]
    assert "与第 2 行重复" in errors[7]
    assert "职级“科长大人”不在职级表中" in errors[8]
    assert "不在您的管理范围内" in errors[9]
    assert "姓名为空" in errors[10] and "未知的角色" in errors[10]
    assert "无权授予角色" in errors[11]
    before = count_users()
    with pytest.raises(ValidationFailed):
        roster.commit_roster(hr_officer, workbook_bytes(bad))
    assert count_users() == before


def test_missing_columns_and_garbage_files(app_ctx, hr_officer):
    assert roster.preview_roster(hr_officer, workbook_bytes([], header=("工号", "姓名"))).file_errors
    assert "无法读取文件" in roster.preview_roster(hr_officer, b"not an excel file").file_errors[0]
    assert "没有数据行" in roster.preview_roster(hr_officer, workbook_bytes([])).file_errors[0]


def test_commit_then_reimport_changes_nothing(app_ctx, hr_officer, org):
    content = workbook_bytes(GOOD_ROWS)
    preview = roster.preview_roster(hr_officer, content)
    assert preview.is_valid and preview.count("create") == 4
    before = count_users()
    result = roster.commit_roster(hr_officer, content, "roster.xlsx")
    assert (result.created, result.updated) == (4, 0) and len(result.passwords) == 4
    assert count_users() == before + 4
    liu = db.session.scalar(db.select(User).where(User.employee_no == "30000003"))
    assert liu.must_change_password and liu.check_password({p[0]: p[2] for p in result.passwords}["30000003"])
    assert db.session.scalar(db.select(User).where(User.employee_no == "30000004")).department.code == "QC"

    again = roster.preview_roster(hr_officer, content)
    assert again.count("unchanged") == 4
    second = roster.commit_roster(hr_officer, content)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert count_users() == before + 4


def test_admin_grants_scoped_roles_through_the_roster(app_ctx, admin, org):
    rows = [("30000003", "刘洋", "QC-RS", "二级主任科员", "科长", "领导、组织人事@QC"),
            ("30000010", "何平", "YL", "一级科员", "", "命题")]
    roster.commit_roster(admin, workbook_bytes(rows))
    liu = db.session.scalar(db.select(User).where(User.employee_no == "30000003"))
    assert sorted((g.role, g.department.code) for g in liu.grants) == [("hr", "QC"), ("leader", "QC-RS")]
    he = db.session.scalar(db.select(User).where(User.employee_no == "30000010"))
    assert [(g.role, g.department) for g in he.grants] == [("examiner", None)]
    again = roster.preview_roster(admin, workbook_bytes(rows))
    assert again.count("unchanged") == 2
    roster.commit_roster(admin, workbook_bytes(rows))
    assert db.session.scalar(db.select(db.func.count(RoleGrant.id)).where(RoleGrant.user_id == liu.id)) == 2


def test_hr_cannot_grant_privileged_roles_through_the_roster(app_ctx, hr_officer, org):
    preview = roster.preview_roster(hr_officer, workbook_bytes([("30000003", "刘洋", "QC-RS", "一级科员", "", "领导")]))
    assert "无权授予角色" in preview.rows[0].errors[0]


def test_changed_rows_update(app_ctx, hr_officer, org):
    roster.commit_roster(hr_officer, workbook_bytes(GOOD_ROWS))
    changed = [("30000001", "张伟", "QC-RS", "四级主任科员", "副科长", ""), *GOOD_ROWS[1:]]
    preview = roster.preview_roster(hr_officer, workbook_bytes(changed))
    row = preview.rows[0]
    assert row.action == "update"
    assert row.changes == {"部门编码": ["QC-RS-01", "QC-RS"], "职级": ["一级科员", "四级主任科员"],
                           "职务": ["科员", "副科长"]}
    roster.commit_roster(hr_officer, workbook_bytes(changed))
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.employee_no == "30000001"))
    assert (user.department.code, user.rank, user.position) == ("QC-RS", "四级主任科员", "副科长")


def test_commit_is_all_or_nothing(app_ctx, hr_officer, org, monkeypatch):
    original = roster._apply_row
    calls = {"n": 0}

    def fail_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(roster, "_apply_row", fail_on_third)
    before = count_users()
    with pytest.raises(RuntimeError):
        roster.commit_roster(hr_officer, workbook_bytes(GOOD_ROWS))
    assert count_users() == before
    assert db.session.scalar(db.select(User).where(User.employee_no == "30000001")) is None


def test_ui_preview_then_commit(client, hr_officer, org):
    login_as(client, hr_officer)
    response = client.post("/admin/roster/preview",
                           data={"file": (io.BytesIO(workbook_bytes(GOOD_ROWS)), "花名册.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "确认导入" in response.text
    token = response.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert db.session.scalar(db.select(User).where(User.employee_no == "30000001")) is None  # preview writes nothing
    done = client.post("/admin/roster/commit", data={"token": token})
    assert done.status_code == 200 and "新建 4 人" in done.text and "初始密码" in done.text
    assert db.session.scalar(db.select(User).where(User.employee_no == "30000001")) is not None
    audit = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert audit.detail["created"] == 4 and audit.actor_id == hr_officer.id
    # the same token cannot be committed twice
    assert client.post("/admin/roster/commit", data={"token": token}).status_code == 302


def test_ui_preview_shows_errors_by_row(client, hr_officer, org):
    login_as(client, hr_officer)
    bad = [*GOOD_ROWS, ("30000005", "周敏", "NOPE", "一级科员", "", "")]
    response = client.post("/admin/roster/preview", data={"file": (io.BytesIO(workbook_bytes(bad)), "r.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "部门编码“NOPE”不存在" in response.text and "确认导入" not in response.text


def test_another_users_staged_file_cannot_be_committed(client, hr_officer, admin, org):
    login_as(client, hr_officer)
    response = client.post("/admin/roster/preview", data={"file": (io.BytesIO(workbook_bytes(GOOD_ROWS)), "r.xlsx")},
                           content_type="multipart/form-data")
    token = response.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    login_as(client, admin)
    assert client.post("/admin/roster/commit", data={"token": token}).status_code == 302
    assert db.session.scalar(db.select(User).where(User.employee_no == "30000001")) is None


def test_cli_dry_run_then_import(app, app_ctx, admin, org, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook_bytes(GOOD_ROWS))
    runner = app.test_cli_runner()
    before = count_users()
    dry = runner.invoke(args=["org", "import-roster", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "新建 4 人" in dry.output and "试运行" in dry.output
    assert count_users() == before
    out = tmp_path / "passwords.csv"
    real = runner.invoke(args=["org", "import-roster", str(path), "--passwords-out", str(out)])
    assert real.exit_code == 0, real.output
    db.session.expire_all()
    assert count_users() == before + 4
    assert out.read_text(encoding="utf-8").count("\n") == 5
    again = runner.invoke(args=["org", "import-roster", str(path)])
    assert "新建 0 人，更新 0 人，无变化 4 人" in again.output


def test_cli_reports_errors_with_row_numbers(app, app_ctx, admin, org, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook_bytes([*GOOD_ROWS, ("30000005", "周敏", "NOPE", "一级科员", "", "")]))
    result = app.test_cli_runner().invoke(args=["org", "import-roster", str(path)])
    assert result.exit_code != 0 and "第 6 行" in result.output
