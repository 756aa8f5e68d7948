"""Learners' pages: practice by module or knowledge point, and the wrong-answer book. Every page shows the
signed-in learner their own record only; answers are plain HTML forms (no script needed)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from question_bank.practice import models  # noqa: F401  (the tables must be known to migrations)
from question_bank.practice.forms import AnswerForm
from question_bank.practice.models import MASTERY_STREAK, SOURCE_BOOK, SOURCE_PRACTICE
from question_bank.practice.services import answering, book, practice

practice_bp = Blueprint("practice", __name__, url_prefix="/practice", template_folder="templates",
                        static_folder="static", static_url_path="/static")
BOOK_PAGE_SIZE = 20


@practice_bp.context_processor
def mastery_rule() -> dict:
    """How many right answers in a row take a question out of the book (named in several pages)."""
    return {"mastery": MASTERY_STREAK}


@practice_bp.before_request
@login_required
def require_login():
    """Every practice page needs a signed-in user and shows only their own record."""


def _scope_args(source) -> dict[str, str]:
    """The scope a page was opened with, passed on to the next question (checked again there)."""
    return {name: source.get(name) for name in ("module", "kp", "type") if source.get(name)}


@practice_bp.get("", endpoint="index")
def index():
    return render_template("practice/index.html", modules=practice.practice_catalogue(),
                           totals=practice.practice_totals(current_user.id),
                           summary=book.book_summary(current_user.id), types=practice.practice_types())


@practice_bp.get("/question", endpoint="question")
def question():
    args = request.args
    scope = practice.resolve_scope(args.get("module"), args.get("kp"), args.get("type"))
    version = practice.next_practice_version(current_user.id, scope)
    form = AnswerForm(data={"question_id": version and version.question_id, "version_id": version and version.id,
                            **scope.args()})
    return render_template("practice/question.html", source=SOURCE_PRACTICE, scope_label=scope.label,
                           question=answering.question_view(version) if version else None, entry=None,
                           form=form, action=url_for("practice.answer"))


@practice_bp.get("/book/question", endpoint="book_question")
def book_question():
    scope = practice.resolve_scope(request.args.get("module"))
    found = book.next_book_question(current_user.id, scope.module.id if scope.module else None)
    entry, version = found or (None, None)
    form = AnswerForm(data={"question_id": version and version.question_id, "version_id": version and version.id,
                            **scope.args()})
    return render_template("practice/question.html", source=SOURCE_BOOK, scope_label=scope.label,
                           question=answering.question_view(version) if version else None, entry=entry,
                           form=form, action=url_for("practice.book_answer"))


def _answer(source: str):
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    answer_id = answering.answer_question(current_user.id, form.question_id.data, form.version_id.data,
                                          request.form.getlist("answer"), source)
    return redirect(url_for("practice.feedback", answer_id=answer_id, **_scope_args(request.form)))


@practice_bp.post("/question", endpoint="answer")
def answer():
    return _answer(SOURCE_PRACTICE)


@practice_bp.post("/book/question", endpoint="book_answer")
def book_answer():
    return _answer(SOURCE_BOOK)


@practice_bp.get("/answers/<int:answer_id>", endpoint="feedback")
def feedback(answer_id: int):
    result = answering.feedback_for(current_user.id, answer_id)
    next_endpoint = "practice.book_question" if result.source == SOURCE_BOOK else "practice.question"
    return render_template("practice/feedback.html", feedback=result,
                           next_url=url_for(next_endpoint, **_scope_args(request.args)))


@practice_bp.get("/book", endpoint="book")
def book_page():
    scope = practice.resolve_scope(request.args.get("module"))
    module_id = scope.module.id if scope.module else None
    summary = book.book_summary(current_user.id)
    shown = summary.count_for(module_id)
    page = request.args.get("page", 1, type=int)
    return render_template("practice/book.html", summary=summary, module=scope.module, page=page,
                           pages=max(1, -(-shown // BOOK_PAGE_SIZE)), shown=shown,
                           entries=book.book_entries(current_user.id, module_id, page=page, per_page=BOOK_PAGE_SIZE))
