"""The exam-day console (考试现场): every candidate's status from their latest attempt, answered n of m and the
last save, filters and pagination, the audience (department subtrees and single users), the JSON snapshot, the
index of recent exams, and the scope rules (examiners of the exam, HR officers for their subtree only)."""

from __future__ import annotations

import pytest

from question_bank.exams.models import ExamAudience
from question_bank.exams.services.console import (
    ANSWERING,
    FINISHED,
    NOT_STARTED,
    OVERDUE,
    PER_PAGE,
    Filters,
    console_page,
    get_watch,
    status_counts,
    watchable_exams,
)
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import at, attempt_row, correct_response, iso, wrong_response
from training.core.clock import frozen_clock, utcnow
from training.extensions import db

ITEMS = 3 + 2 + 2 + 1  # the factory's paper


@pytest.fixture
def qc_exam(bank, org, t0):
    """A 30-minute exam organised by 清川 for its whole subtree, results released by hand."""
    with frozen_clock(t0):
        return make_exam(org.qc, duration_minutes=30, release_policy="manual")


def by_employee(page) -> dict:
    return {row.employee_no: row for row in page.rows}


def snapshot(actor, exam, filters=Filters(), page=1):
    return console_page(get_watch(actor, exam.id), filters, page, utcnow())


@pytest.fixture
def scene(qc_exam, org, candidate_of, t0):
    """Four candidates of ``qc_exam`` seen at t0 + 40 min: not started, answering (2 of 8 answered, one answer
    cleared again), past the deadline but not finalised, handed in and graded."""
    people = {status: make_user(department, employee_no=number, name=name) for status, department, number, name in (
        (NOT_STARTED, org.qc_division, "C001", "甲未考"), (ANSWERING, org.qc_bureau, "C002", "乙作答"),
        (OVERDUE, org.qc_division, "C003", "丙超时"), (FINISHED, org.qc, "C004", "丁交卷"))}
    with frozen_clock(t0):
        late = candidate_of(people[OVERDUE])
        late.started(qc_exam.id)
    with frozen_clock(at(t0, minutes=5)):
        done = candidate_of(people[FINISHED])
        body = done.started(qc_exam.id)
        for seq, item in enumerate(body["items"], start=1):
            done.save(body["id"], item["id"], correct_response(item) if seq % 2 else wrong_response(item), seq)
        assert done.submit(body["id"]).status_code == 200
    with frozen_clock(at(t0, minutes=20)):
        busy = candidate_of(people[ANSWERING])
        work = busy.started(qc_exam.id)
    with frozen_clock(at(t0, minutes=25, seconds=7)):
        items = work["items"]
        assert busy.save(work["id"], items[0]["id"], correct_response(items[0]), 1).status_code == 200
        assert busy.save(work["id"], items[1]["id"], wrong_response(items[1]), 2).status_code == 200
        assert busy.save(work["id"], items[2]["id"], correct_response(items[2]), 3).status_code == 200
        assert busy.save(work["id"], items[2]["id"], None, 4).status_code == 200  # cleared again
    return {"exam": qc_exam, "people": people, "done": body["id"], "busy": work["id"], "now": at(t0, minutes=40)}


def test_every_status_with_progress_and_latest_attempt(scene, examiner, t0):
    people = scene["people"]
    with frozen_clock(scene["now"]):
        page = snapshot(examiner, scene["exam"])
    rows = by_employee(page)
    assert {number: row.status for number, row in rows.items()} == {
        "C001": NOT_STARTED, "C002": ANSWERING, "C003": OVERDUE, "C004": FINISHED}
    assert page.counts == {NOT_STARTED: 1, ANSWERING: 1, OVERDUE: 1, FINISHED: 1, "total": 4}
    idle, busy, late, done = (rows[people[status].employee_no] for status in (NOT_STARTED, ANSWERING, OVERDUE,
                                                                              FINISHED))
    assert idle.attempt_id is None and idle.answered == 0 and idle.score is None
    assert (busy.answered, busy.total_items, busy.number) == (2, ITEMS, 1)
    assert busy.last_saved_at == at(t0, minutes=25, seconds=7)
    assert busy.deadline_at == at(t0, minutes=50) and busy.minutes_left(scene["now"]) == 10
    assert late.deadline_at == at(t0, minutes=30) and late.attempt_status == "in_progress"
    graded = attempt_row(scene["done"])
    assert done.attempt_status == "graded" and done.score == graded.score and graded.score > 0
    assert (done.answered, done.total_items) == (ITEMS, ITEMS)


def test_the_latest_attempt_is_shown_with_its_number(qc_exam, org, examiner, candidate_of, t0):
    person = make_user(org.qc_division, employee_no="C010", name="再考")
    candidate = candidate_of(person)
    with frozen_clock(at(t0, minutes=1)):
        first = candidate.started(qc_exam.id)
        candidate.submit(first["id"])
    with frozen_clock(at(t0, minutes=3)):
        second = candidate.started(qc_exam.id)
        page = snapshot(examiner, qc_exam)
    row = by_employee(page)["C010"]
    assert (row.attempt_id, row.number, row.status) == (second["id"], 2, ANSWERING)
    assert page.counts["total"] == 1


def test_json_snapshot_shape(scene, client, examiner):
    login_as(client, examiner)
    with frozen_clock(scene["now"]):
        body = client.get(f"/exams/console/{scene['exam'].id}/rows.json").json
    assert set(body) == {"exam", "server_time", "server_time_text", "counts", "total", "page", "pages", "per_page",
                         "rows"}
    assert body["server_time"] == iso(scene["now"]) and body["exam"]["id"] == scene["exam"].id
    assert (body["total"], body["page"], body["pages"], body["per_page"]) == (4, 1, 1, PER_PAGE)
    rows = {row["employee_no"]: row for row in body["rows"]}
    assert set(rows["C002"]) == {"user_id", "name", "employee_no", "department", "status", "status_label",
                                 "extra_minutes", "attempt", "text", "url"}
    busy = rows["C002"]["attempt"]
    assert (rows["C002"]["status"], rows["C002"]["status_label"]) == (ANSWERING, "作答中")
    assert (busy["answered"], busy["total_items"], busy["minutes_left"], busy["number"]) == (2, ITEMS, 10, 1)
    assert busy["last_saved_at"].endswith("Z") and busy["score"] is None
    assert rows["C002"]["text"]["progress"].startswith(f"已答 2 / {ITEMS}")
    assert rows["C003"]["status_label"] == "已超时待收卷" and "已超时 10 分钟" in rows["C003"]["text"]["timing"]
    assert rows["C001"]["attempt"] is None and rows["C001"]["status_label"] == "未开始"
    done = rows["C004"]["attempt"]
    assert done["score"] == float(attempt_row(scene["done"]).score) and done["status"] == "graded"
    assert rows["C004"]["url"] == f"/exams/console/{scene['exam'].id}/candidates/{rows['C004']['user_id']}"


def test_page_renders_without_script(scene, client, examiner):
    login_as(client, examiner)
    with frozen_clock(scene["now"]):
        html = client.get(f"/exams/console/{scene['exam'].id}").text
    for text in ("甲未考", "乙作答", "丙超时", "丁交卷", "已超时待收卷", f"已答 2 / {ITEMS}", "刷新", "console.js",
                 'data-count="overdue">1<'):
        assert text in html, text
    assert "<script>" not in html and "style=" not in html
    for asset in ("/exams/static/exams/console.js", "/exams/static/exams/console.css"):
        assert asset in html and client.get(asset).status_code == 200


def test_filters_by_status_department_and_search(scene, examiner, org):
    with frozen_clock(scene["now"]):
        only_late = snapshot(examiner, scene["exam"], Filters(status=OVERDUE))
        division = snapshot(examiner, scene["exam"], Filters(department_id=org.qc_division.id))
        named = snapshot(examiner, scene["exam"], Filters(q="作答"))
        numbered = snapshot(examiner, scene["exam"], Filters(q="C00"))
        wildcard = snapshot(examiner, scene["exam"], Filters(q="%"))
    assert [row.employee_no for row in only_late.rows] == ["C003"] and only_late.total == 1
    assert only_late.counts["total"] == 4  # the counts ignore the status filter
    assert sorted(row.employee_no for row in division.rows) == ["C001", "C003"]
    assert division.counts == {NOT_STARTED: 1, ANSWERING: 0, OVERDUE: 1, FINISHED: 0, "total": 2}
    assert [row.employee_no for row in named.rows] == ["C002"]
    assert numbered.total == 4 and wildcard.total == 0


def test_pagination_in_department_then_employee_order(qc_exam, org, examiner):
    for n in range(PER_PAGE + 5):
        make_user(org.qc_division, employee_no=f"P{n:03d}", name=f"考生{n}")
    make_user(org.qc_bureau, employee_no="Z999", name="局里的人")
    first, second = snapshot(examiner, qc_exam, page=1), snapshot(examiner, qc_exam, page=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (PER_PAGE + 6, 2, PER_PAGE, 6)
    assert first.rows[0].employee_no == "Z999"  # the bureau sorts before its division
    numbers = [row.employee_no for row in first.rows + second.rows]
    assert numbers[1:] == sorted(numbers[1:]) and len(set(numbers)) == PER_PAGE + 6
    assert snapshot(examiner, qc_exam, page=99).page == 2


def test_audience_by_subtree_single_users_and_attempts(bank, org, examiner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(org.qc_bureau, duration_minutes=30)
    inside = make_user(org.qc_division, employee_no="S001", name="科里")
    make_user(org.qc, employee_no="S002", name="市府不在范围")
    named = make_user(org.yl_division, employee_no="S003", name="云岭点名")
    make_user(org.yl_division, employee_no="S004", name="云岭未点名")
    gone = make_user(org.qc_bureau, employee_no="S005", name="已停用")
    gone.is_active = False
    removed = make_user(org.yl_bureau, employee_no="S006", name="移出但已作答")
    exam.audience.extend([ExamAudience(user_id=named.id), ExamAudience(user_id=removed.id)])
    db.session.commit()
    with frozen_clock(at(t0, minutes=1)):
        candidate_of(removed).started(exam.id)
    db.session.delete(db.session.scalar(db.select(ExamAudience).where(ExamAudience.user_id == removed.id)))
    db.session.commit()
    with frozen_clock(at(t0, minutes=2)):
        page = snapshot(examiner, exam)
    assert sorted(by_employee(page)) == ["S001", "S003", "S006"]
    assert by_employee(page)[inside.employee_no].status == NOT_STARTED


def test_hr_sees_only_candidates_in_their_scope(bank, org, examiner, hr_officer, client, t0):
    with frozen_clock(t0):
        exam = make_exam(org.province, duration_minutes=30)
    exam.audience = [ExamAudience(department_id=org.qc_division.id), ExamAudience(department_id=org.yl.id)]
    db.session.commit()
    make_user(org.qc_division, employee_no="Q001", name="清川考生")
    make_user(org.yl_division, employee_no="Y001", name="云岭考生")
    assert sorted(by_employee(snapshot(examiner, exam))) == ["Q001", "Y001"]
    assert sorted(by_employee(snapshot(hr_officer, exam))) == ["Q001"]
    assert status_counts(get_watch(hr_officer, exam.id), Filters(), utcnow())["total"] == 1
    login_as(client, hr_officer)
    body = client.get(f"/exams/console/{exam.id}/rows.json").json
    assert [row["employee_no"] for row in body["rows"]] == ["Q001"] and body["counts"]["total"] == 1
    assert "云岭考生" not in client.get(f"/exams/console/{exam.id}").text


def test_index_lists_recent_exams_the_user_may_watch(bank, org, examiner, hr_officer, client, t0):
    def exam(title, audience, opens, closes, **extra):
        return make_exam(audience, title=title, opens_at=at(t0, hours=opens), closes_at=at(t0, hours=closes), **extra)

    with frozen_clock(t0):
        exam("今天清川", org.qc, -1, 2)
        exam("三天前云岭", org.yl, -80, -72)
        exam("明天清川", org.qc_bureau, 12, 20)
        exam("八天前清川", org.qc, -200, -192)
        exam("三天后清川", org.qc, 72, 80)
        exam("草稿清川", org.qc, -1, 2, status="draft")
        seen = [watch.exam.title for watch, _counts in watchable_exams(examiner, utcnow())]
        hr_seen = [watch.exam.title for watch, _counts in watchable_exams(hr_officer, utcnow())]
    assert seen == ["今天清川", "明天清川", "三天前云岭"]
    assert hr_seen == ["今天清川", "明天清川"]
    login_as(client, hr_officer)
    with frozen_clock(t0):
        html = client.get("/exams/console").text
    assert "今天清川" in html and "云岭" not in html and "仅含您管理范围内的考生" in html


@pytest.fixture
def graded_attempt(qc_exam, org, candidate_of, t0):
    person = make_user(org.qc_division, employee_no="G001", name="已交卷考生")
    with frozen_clock(at(t0, minutes=1)):
        candidate = candidate_of(person)
        body = candidate.started(qc_exam.id)
        candidate.submit(body["id"])
    return person, body["id"]


def outsider(kind: str, org):
    if kind == "examiner_yl":
        return make_user(org.yl_bureau, employee_no="X001", name="外市命题", roles=[("examiner", org.yl)])
    if kind == "hr_yl":
        return make_user(org.yl_bureau, employee_no="X002", name="外市人事", roles=[("hr", org.yl)])
    return make_user(org.qc_division, employee_no="X003", name="普通学员")


@pytest.mark.parametrize(("kind", "status"), [("examiner_yl", 404), ("hr_yl", 404), ("learner", 403)])
@pytest.mark.parametrize("request_kind", ["page", "rows", "candidate", "extend", "reopen"])
def test_out_of_scope_users_are_refused(qc_exam, graded_attempt, org, client, kind, status, request_kind, t0):
    person, attempt_id = graded_attempt
    login_as(client, outsider(kind, org))
    base = f"/exams/console/{qc_exam.id}"
    form = {"minutes": "10", "reason": "试探"}
    with frozen_clock(at(t0, minutes=5)):
        response = {"page": lambda: client.get(base), "rows": lambda: client.get(f"{base}/rows.json"),
                    "candidate": lambda: client.get(f"{base}/candidates/{person.id}"),
                    "extend": lambda: client.post(f"{base}/candidates/{person.id}/extend", data=form),
                    "reopen": lambda: client.post(f"{base}/attempts/{attempt_id}/reopen", data=form)}[request_kind]()
    assert response.status_code == status
    assert attempt_row(attempt_id).status == "graded"
    if request_kind == "rows":
        assert response.json["error"]["code"] in ("not_found", "forbidden")


def test_learner_has_no_console_index(client, learner):
    login_as(client, learner)
    assert client.get("/exams/console").status_code == 403
