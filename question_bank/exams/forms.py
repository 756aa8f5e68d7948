"""Forms of the exam pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class StartForm(FlaskForm):
    """The start button (CSRF only)."""


class ActionForm(FlaskForm):
    """A button that changes state (publish, release…): CSRF only."""


class ExamForm(FlaskForm):
    title = StringField(_l("考试名称"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("考试类型"), choices=[("formal", _l("正式考试")), ("mock", _l("模拟考试")),
                                              ("practice", _l("练习"))])
    department_id = SelectField(_l("组织单位"), coerce=int)
    blueprint_id = SelectField(_l("组卷方案"), coerce=int)
    paper_mode = SelectField(_l("组卷方式"), choices=[("random", _l("随机组卷：每位考生一份不同的试卷")),
                                                  ("fixed", _l("固定试卷：所有考生同一套题"))])
    opens_at = DateTimeLocalField(_l("开始时间"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("结束时间"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    duration_minutes = IntegerField(_l("考试时长（分钟）"), default=60,
                                    validators=[InputRequired(), NumberRange(1, 600)])
    max_attempts = IntegerField(_l("允许作答次数（0 为不限）"), default=1,
                                validators=[InputRequired(), NumberRange(0, 100)])
    pass_score = DecimalField(_l("及格分"), default=60, places=2, validators=[InputRequired(), NumberRange(0)])
    shuffle_questions = BooleanField(_l("打乱题目顺序"), default=True)
    shuffle_options = BooleanField(_l("打乱选项顺序"), default=True)
    release_policy = SelectField(_l("成绩发布"), choices=[("immediate", _l("交卷后立即公布")),
                                                      ("after_close", _l("考试结束后公布")),
                                                      ("manual", _l("由组织者手动公布"))])
    scoring_policy = SelectField(_l("多选题计分"), choices=[("all_or_nothing", _l("全部选对才得分")),
                                                        ("partial", _l("未选错项时按选对比例得分")),
                                                        ("per_option", _l("每个选项单独计分（最低 0 分）"))])
    instructions_md = TextAreaField(_l("考试说明（Markdown）"), validators=[Length(max=20000)])


class BlueprintForm(FlaskForm):
    name = StringField(_l("方案名称"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("说明"), validators=[Length(max=2000)])


class AudienceForm(FlaskForm):
    department_id = SelectField(_l("单位（含下级）"), coerce=int, validate_choice=False)
    employee_no = StringField(_l("或个人工号"), validators=[Length(max=32)])


class ExtraTimeForm(FlaskForm):
    employee_no = StringField(_l("工号"), validators=[DataRequired(), Length(max=32)])
    minutes = IntegerField(_l("延长分钟数（0 为取消）"), validators=[InputRequired(), NumberRange(0, 600)])


class ConsoleExtendForm(FlaskForm):
    """Exam-day console: more time for one candidate (audited, reason required)."""

    minutes = IntegerField(_l("延长分钟数"), default=10, validators=[InputRequired(), NumberRange(1, 240)])
    reason = TextAreaField(_l("原因"), validators=[DataRequired(), Length(max=500)])


class ConsoleReopenForm(FlaskForm):
    """Exam-day console: give a wrongly closed attempt back to its candidate (audited, reason required)."""

    minutes = IntegerField(_l("重新开放后可作答的分钟数"), default=15,
                           validators=[InputRequired(), NumberRange(1, 240)])
    reason = TextAreaField(_l("原因"), validators=[DataRequired(), Length(max=500)])
