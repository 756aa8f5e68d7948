"""Monthly snapshots (``flask reports snapshot``): one row per active department and month holding the figures of
its subtree as ``subtree_figures`` computed them at the month's end; idempotent; history kept when people move."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courseware.models import Enrollment
from question_bank.exams.models import AttemptItem
from question_bank.models import QuestionVersion
from tests import factories
from tests.certification.conftest import complete_course, graded_attempt, make_certificate
from training.certification.models import ProgramAssignment
from training.core.clock import frozen_clock
from training.extensions import db
from training.reports.cli import reports_cli
from training.reports.models import ReportSnapshot
from training.reports.report_types import MIN_GROUP, ProgramCoverage
from training.reports.services.figures import subtree_figures
from training.reports.services.snapshots import certified_rate, month_end, take_snapshot

NOW = datetime(2026, 6, 15, 9, 0)  # the snapshots are taken in June 2026
MAY, JUNE = "2026-05", "2026-06"
IN_MAY = datetime(2026, 5, 10, 8, 0)
IN_JUNE = datetime(2026, 6, 3, 8, 0)


def answer(user, exam, versions: list[QuestionVersion], scores: list[str], *, at: datetime) -> None:
    """A graded formal attempt of ``user`` with one graded item per version (``scores`` of its points)."""
    attempt = graded_attempt(user, exam, sum(float(score) for score in scores), at=at)
    for position, (version, score) in enumerate(zip(versions, scores, strict=True), start=1):
        db.session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=version.question_id,
                                   question_version_id=version.id, points=version.points, score=Decimal(score),
                                   graded_at=at))
    db.session.commit()


@pytest.fixture
def people(org):
    """Six officials in 清川's division (studying, sitting an exam in May, some certified) and three in 云岭's
    (a group below MIN_GROUP, so its subtree is suppressed); one of 清川's people sits another exam in June."""
    course = factories.make_course("M1-01")
    questions = factories.make_bank(per_type=2, module="M1", types=("single", "true_false"))
    versions = [db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == question.id))
                for question in questions[:3]]
    exam = factories.make_exam(org.province, rows=(("", "single", 2, "2"), ("", "true_false", 1, "1")))
    program = factories.make_program("P-RPT", courses=[course])
    qc = [factories.make_user(org.qc_division, employee_no=f"Q{n:03d}", name=f"清川{n}") for n in range(6)]
    yl = [factories.make_user(org.yl_division, employee_no=f"Y{n:03d}", name=f"云岭{n}") for n in range(3)]
    for n, person in enumerate(qc + yl):
        if n % 3 == 2:
            db.session.add(Enrollment(user_id=person.id, course_id=course.id, source="assigned",
                                      enrolled_at=IN_MAY - timedelta(days=20)))
            db.session.commit()
        else:
            complete_course(person, course, at=IN_MAY - timedelta(days=5), hours=40.0 + 10 * n)
        answer(person, exam, versions, [str(n % 3), "2", str(n % 2)], at=IN_MAY)
    answer(qc[0], exam, versions, ["0", "0", "0"], at=IN_JUNE)
    for n, person in enumerate(qc):
        certified = n < 3
        certificate = make_certificate(person, program, code=f"RPTCODE{n:05d}", number=f"EGOV-2026-9{n:05d}",
                                       issued_at=IN_MAY - timedelta(days=30)) if certified else None
        db.session.add(ProgramAssignment(user_id=person.id, program_id=program.id, status="certified" if certified
                                         else "in_progress", certificate_id=certificate.id if certificate else None,
                                         expires_at=certificate.expires_at if certificate else None))
    db.session.commit()
    return {"qc": qc, "yl": yl}


def mastery_of(figures, code: str) -> float | None:
    return next(module.mastery for module in figures.modules if module.code == code)


def stored(month: str) -> dict[int, dict]:
    db.session.expire_all()
    rows = db.session.execute(select(ReportSnapshot.department_id, ReportSnapshot.figures)
                              .where(ReportSnapshot.month == month))
    return {row.department_id: row.figures for row in rows}


def test_one_row_per_active_department_with_the_subtree_figures_at_the_months_end(org, people):
    inactive = factories.make_department("QC-OLD", "已撤销科室", org.qc_bureau, kind="division")
    inactive.is_active = False
    db.session.commit()
    written = take_snapshot(MAY, now=NOW)
    rows = stored(MAY)
    active = [org.province, org.qc, org.qc_bureau, org.qc_division, org.yl, org.yl_bureau, org.yl_division]
    assert written == len(rows) == 7 and set(rows) == {department.id for department in active}
    expected = subtree_figures([department.id for department in active], months=12, now=month_end(MAY))
    for department in active:
        figures, row = expected[department.id], rows[department.id]
        assert row["headcount"] == figures.headcount and row["suppressed"] == figures.suppressed
        for name in ("completion_rate", "hours_avg", "hours_at_target_rate", "exam_participation_rate",
                     "exam_pass_rate"):
            assert row[name] == pytest.approx(getattr(figures, name)), name
        assert row["modules"] == {module.code: module.mastery for module in figures.modules}
        assert row["certified_rate"] == certified_rate(figures.certification)
    province = rows[org.province.id]
    assert province["headcount"] == 9 and province["exam_participation_rate"] == pytest.approx(100.0)
    assert province["modules"]["M1"] is not None and rows[org.qc.id]["certified_rate"] == pytest.approx(50.0)


def test_a_past_month_is_taken_at_its_end_the_current_month_now(org, people):
    take_snapshot(MAY, now=NOW)
    take_snapshot(now=NOW)
    may, june = stored(MAY)[org.qc.id], stored(JUNE)[org.qc.id]
    at_may_end = subtree_figures([org.qc.id], months=12, now=month_end(MAY))[org.qc.id]
    now = subtree_figures([org.qc.id], months=12, now=NOW)[org.qc.id]
    # qc[0]'s June attempt (all wrong) counts in June only
    assert may["modules"]["M1"] == mastery_of(at_may_end, "M1")
    assert june["modules"]["M1"] == mastery_of(now, "M1") < may["modules"]["M1"]


def test_taking_a_month_twice_writes_the_same_rows_and_leaves_other_months_alone(org, people):
    take_snapshot(MAY, now=NOW)
    take_snapshot(JUNE, now=NOW)
    may, june = stored(MAY), stored(JUNE)
    assert take_snapshot(JUNE, now=NOW) == len(june)
    assert stored(JUNE) == june and stored(MAY) == may
    assert db.session.scalar(select(db.func.count()).select_from(ReportSnapshot)) == len(may) + len(june)


def test_a_person_moving_later_does_not_change_last_months_snapshot(org, people):
    take_snapshot(MAY, now=NOW)
    may = stored(MAY)
    mover = people["qc"][0]
    mover.department_id = org.yl_division.id
    db.session.commit()
    take_snapshot(now=NOW)
    june = stored(JUNE)
    assert stored(MAY) == may
    assert may[org.qc.id]["headcount"] == 6 and june[org.qc.id]["headcount"] == 5
    assert may[org.yl.id]["headcount"] == 3 and june[org.yl.id]["headcount"] == 4
    # recomputing May now would move the person: only the stored snapshot keeps history
    assert subtree_figures([org.qc.id], months=12, now=month_end(MAY))[org.qc.id].headcount == 5


def test_suppressed_groups_stay_suppressed_in_the_snapshot(org, people):
    take_snapshot(MAY, now=NOW)
    rows = stored(MAY)
    small = rows[org.yl.id]
    assert small["headcount"] == 3 < MIN_GROUP and small["suppressed"] is True
    assert small["modules"] == {} and small["certified_rate"] is None
    assert all(small[name] is None for name in ("completion_rate", "hours_avg", "hours_at_target_rate",
                                                "exam_participation_rate", "exam_pass_rate"))
    assert rows[org.qc.id]["suppressed"] is False and rows[org.qc.id]["completion_rate"] is not None


def test_certified_rate_weights_programmes_by_the_people_assigned():
    def coverage(rate: float | None, assigned: int) -> ProgramCoverage:
        return ProgramCoverage("P", "项目", assigned, rate, 0, 0, 0)

    assert certified_rate([coverage(50.0, 10), coverage(100.0, 30)]) == 87.5
    assert certified_rate([coverage(None, 10), coverage(20.0, 5)]) == 20.0
    assert certified_rate([]) is None and certified_rate([coverage(None, 4)]) is None


def test_a_month_must_be_well_formed_and_begun(app_ctx):
    for month in ("2026-13", "2026-5", "June"):
        with pytest.raises(ValueError, match="not a month"):
            take_snapshot(month, now=NOW)
    with pytest.raises(ValueError, match="has not begun"):
        take_snapshot("2026-07", now=NOW)


def test_the_command_snapshots_the_current_month_by_default(app, org, people):
    runner = app.test_cli_runner()
    with frozen_clock(NOW):
        result = runner.invoke(reports_cli, ["snapshot"])
        refused = runner.invoke(reports_cli, ["snapshot", "--month", "2026-5"])
        past = runner.invoke(reports_cli, ["snapshot", "--month", MAY])
    assert result.exit_code == 0 and f"报表快照 {JUNE}：7 个部门" in result.output
    assert past.exit_code == 0 and len(stored(MAY)) == len(stored(JUNE)) == 7
    assert refused.exit_code == 2 and "YYYY-MM" in refused.output and "not a month" in refused.output
