"""Forms of the courseware package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from courseware.models import KIND_ELECTIVE, KIND_REQUIRED, TIERS


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    module = SelectField(_l("模块"), choices=[], validators=[Optional()])
    tier = SelectField(_l("适用对象"), choices=[("", _l("全部"))] + [(t, t) for t in TIERS], validators=[Optional()])
    kind = SelectField(_l("类别"), choices=[("", _l("全部")), (KIND_REQUIRED, _l("必修")), (KIND_ELECTIVE, _l("选修"))],
                       validators=[Optional()])


class LessonEditForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=160)])
    minutes = IntegerField(_l("预计学习时长（分钟）"), validators=[InputRequired(), NumberRange(5, 180)])
    body_md = TextAreaField(_l("正文（Markdown）"), validators=[DataRequired(), Length(max=200_000)],
                            render_kw={"rows": 28, "spellcheck": "false"})


class RankTargetForm(FlaskForm):
    class Meta:
        csrf = False

    rank = StringField(render_kw={"readonly": True})
    hours = DecimalField(validators=[InputRequired(), NumberRange(0, 1000)], places=1)


class StudyHoursForm(FlaskForm):
    long_minutes = IntegerField(_l("长课时下限（分钟，≥ 此值）"), validators=[InputRequired(), NumberRange(1, 600)])
    long_hours = DecimalField(_l("长课时计学时"), validators=[InputRequired(), NumberRange(0, 10)], places=2)
    short_minutes = IntegerField(_l("短课时上限（分钟，≤ 此值）"), validators=[InputRequired(), NumberRange(1, 600)])
    medium_hours = DecimalField(_l("中等课时计学时"), validators=[InputRequired(), NumberRange(0, 10)], places=2)
    short_hours = DecimalField(_l("短课时计学时"), validators=[InputRequired(), NumberRange(0, 10)], places=2)
    online_minimum = DecimalField(_l("网络自学每年最少学时"), validators=[InputRequired(), NumberRange(0, 1000)],
                                  places=1)
    targets = FieldList(FormField(RankTargetForm))
