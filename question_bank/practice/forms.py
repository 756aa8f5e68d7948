"""Forms of the practice pages. The answer fields themselves (``answer``, repeated for multiple choice and
blanks) depend on the question type and are read from the request by the view."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput


class AnswerForm(FlaskForm):
    """Which question version is answered (CSRF-protected); the scope travels as hidden fields."""

    question_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    version_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    module = HiddenField()
    kp = HiddenField()
    type = HiddenField()
