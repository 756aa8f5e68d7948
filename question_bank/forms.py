"""Forms of the question bank."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from courseware.content_files import COMPETENCIES
from question_bank.types import QUESTION_TYPES


class QuestionForm(FlaskForm):
    type = SelectField(_l("题型"), choices=[(name, kind.label) for name, kind in QUESTION_TYPES.items()])
    stem_md = TextAreaField(_l("题干（Markdown；填空题的空写作 ____）"), validators=[DataRequired(), Length(max=20000)],
                            render_kw={"rows": 5})
    option_a = StringField(_l("选项A"), validators=[Optional(), Length(max=2000)])
    option_b = StringField(_l("选项B"), validators=[Optional(), Length(max=2000)])
    option_c = StringField(_l("选项C"), validators=[Optional(), Length(max=2000)])
    option_d = StringField(_l("选项D"), validators=[Optional(), Length(max=2000)])
    option_e = StringField(_l("选项E"), validators=[Optional(), Length(max=2000)])
    option_f = StringField(_l("选项F"), validators=[Optional(), Length(max=2000)])
    key_text = TextAreaField(_l("答案"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 2})
    keywords = StringField(_l("评分关键词（简答题，逗号分隔）"), validators=[Optional(), Length(max=1000)])
    explanation_md = TextAreaField(_l("解析"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 3})
    difficulty = IntegerField(_l("难度（1 易 – 5 难）"), default=3, validators=[InputRequired(), NumberRange(1, 5)])
    knowledge_point = SelectField(_l("知识点"), choices=[], validators=[DataRequired()])
    competency = SelectField(_l("能力维度"), validators=[Optional()],
                             choices=[("", _l("（取知识点的能力维度）")), *((c, c) for c in COMPETENCIES)])
    points = DecimalField(_l("分值"), default=2, places=2, validators=[InputRequired(), NumberRange(0.01, 1000)])
    confirm_duplicate = BooleanField(_l("我已核对，仍要保存"))

    OPTION_FIELDS = ("option_a", "option_b", "option_c", "option_d", "option_e", "option_f")


class ReviewForm(FlaskForm):
    """Approve, reject, submit or retire: the action is in the URL; a rejection carries a comment."""

    comment = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class BulkForm(FlaskForm):
    """The selected questions come as repeated ``ids`` checkboxes."""

    action = SelectField(_l("批量操作"), choices=[("submit", _l("提交审核")), ("retire", _l("停用试题"))])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("试题文件（.xlsx / GIFT .txt / Aiken .txt / Moodle .xml）"), validators=[FileRequired()])
    format = SelectField(_l("格式"), choices=[("", _l("自动识别")), ("excel", "Excel"), ("gift", "GIFT"),
                                              ("aiken", "Aiken"), ("moodle", "Moodle XML")], validators=[Optional()])
    knowledge_point = SelectField(_l("无知识点的试题归入"), choices=[], validators=[Optional()])


class ImportCommitForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    format = HiddenField(validators=[DataRequired()])
    knowledge_point = HiddenField()
