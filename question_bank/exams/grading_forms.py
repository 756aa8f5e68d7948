"""Forms of the grading and regrading pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class GradeForm(FlaskForm):
    """One response's score and comment. ``expected`` is the item's graded time as the grader saw it."""

    score = StringField(_l("得分"), validators=[InputRequired(), Length(max=8)])
    feedback = TextAreaField(_l("评语（考生可见）"), validators=[Length(max=2000)])
    version_id = IntegerField(validators=[InputRequired()])
    expected = HiddenField()


class RegradeForm(FlaskForm):
    """Apply a previewed regrade: the plan's fingerprint proves it is still the plan previewed."""

    version_id = IntegerField(validators=[InputRequired()])
    fingerprint = HiddenField(validators=[DataRequired()])
