"""Demo exams: an open formal exam (a paper drawn per candidate) and an open mock exam (one fixed paper), both
open for a year from the demo load, for the whole province — the ``learner`` account can start either at once —
and the past exams with their simulated attempts (``demo_history``). Idempotent: exams are matched by title."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from question_bank.exams.demo_history import ensure_blueprint, load_demo_history
from question_bank.exams.models import (
    EXAM_PUBLISHED,
    FIXED,
    FORMAL,
    MOCK,
    RANDOM,
    RELEASE_IMMEDIATE,
    Exam,
    ExamAudience,
)
from question_bank.exams.services.exams import draw_fixed_paper
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.extensions import db
from training.org.models import Department

FORMAL_ROWS = [("", "single", 20, "2"), ("", "multiple", 10, "3"), ("", "true_false", 10, "1"),
               ("", "fill_blank", 10, "2")]
MOCK_ROWS = [("M1", "single", 4, "3"), ("M2", "single", 4, "3"), ("M3", "single", 4, "3"),
             ("M4", "multiple", 3, "4"), ("M5", "multiple", 3, "4"), ("M6", "true_false", 6, "2"),
             ("M7", "single", 4, "3"), ("M8", "fill_blank", 2, "2"), ("M9", "single", 4, "3")]
FORMAL_INSTRUCTIONS = """本次考试为**年度电子政务应用能力正式考试**，试卷由系统按组卷方案为每位考生随机抽取。

- 考试时长 60 分钟，计时以服务器时间为准，到时系统自动交卷；
- 每道题作答后立即自动保存，网络中断时答案先保存在本机，恢复连接后自动同步；
- 多选题须全部选对才得分；
- 请独立作答，不得查阅资料或与他人交流。"""
MOCK_INSTRUCTIONS = """**模拟考试**用于熟悉考试流程和题型，成绩不计入年度考核。

- 所有考生作答同一份试卷，题目和选项顺序因人而异；
- 可作答 3 次，交卷后立即公布成绩、答案与解析；
- 多选题按"未选错项时按比例得分"计分。"""


def load_demo_exams() -> int:
    """Create the demo blueprints and open exams when missing, then the past exams with their attempts
    (``load_demo_history``); returns how many open exams were created. Needs the organisation and the shipped
    questions. Commits."""
    root = db.session.scalar(select(Department).where(Department.parent_id.is_(None)).order_by(Department.id))
    if root is None:
        return 0
    now = utcnow().replace(microsecond=0)
    formal_plan = ensure_blueprint("年度正式考试·综合卷", "单选 20、多选 10、判断 10、填空 10，满分 100 分。",
                                   FORMAL_ROWS)
    mock_plan = ensure_blueprint("九个模块·模拟卷", "每个大纲模块都有题目，满分 100 分。", MOCK_ROWS)
    created = 0
    for title, kind, plan, mode, minutes, attempts, policy, instructions in (
            ("2026 年度电子政务应用能力考试", FORMAL, formal_plan, RANDOM, 60, 1, "all_or_nothing",
             FORMAL_INSTRUCTIONS),
            ("电子政务基础知识模拟考试", MOCK, mock_plan, FIXED, 30, 3, "partial", MOCK_INSTRUCTIONS)):
        if db.session.scalar(select(Exam.id).where(Exam.title == title)) is not None:
            continue
        exam = Exam(title=title, kind=kind, instructions_md=instructions, department_id=root.id, blueprint=plan,
                    paper_mode=mode, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=365),
                    duration_minutes=minutes, max_attempts=attempts, pass_score=Decimal("60"),
                    release_policy=RELEASE_IMMEDIATE, scoring_policy=policy, status=EXAM_PUBLISHED,
                    audience=[ExamAudience(department_id=root.id)])
        db.session.add(exam)
        db.session.flush()
        if mode == FIXED:
            draw_fixed_paper(exam)
        record_audit(None, "exam.create", "exam", exam.id, title=title, demo=True)
        created += 1
    db.session.commit()
    load_demo_history(mock_plan)
    return created
