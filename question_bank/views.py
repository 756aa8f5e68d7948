"""The examiners' question bank: browser with coverage counts, editor with live preview and duplicate
warnings, history with diffs, review queue, bulk actions, import (preview → commit) and export."""

from __future__ import annotations

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from courseware.models import KnowledgePoint
from question_bank.api import filter_from_args
from question_bank.errors import QuestionInvalid
from question_bank.exams.services import analysis
from question_bank.formats.excel import key_from_text, write_excel
from question_bank.forms import BulkForm, ImportCommitForm, ImportUploadForm, QuestionForm, ReviewForm
from question_bank.models import IN_REVIEW, STATUSES
from question_bank.permissions import can_author_questions, can_review_questions, can_use_bank
from question_bank.services import authoring, browse, exporting, history, importing
from question_bank.services.authoring import QuestionDraft
from question_bank.services.duplicates import find_similar
from question_bank.types import QUESTION_TYPES
from training.core.errors import DomainError
from training.core.uploads import find_staged_upload, stage_upload
from training.extensions import db
from training.org.views.paging import page_arg

bank_bp = Blueprint("bank", __name__, url_prefix="/bank", template_folder="templates")
MIME = {"excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "gift": "text/plain; charset=utf-8", "moodle": "application/xml"}
SUFFIX = {"excel": "xlsx", "gift": "gift.txt", "moodle": "xml"}


@bank_bp.before_request
@login_required
def require_bank_user():
    """Examiners, reviewers and administrators only; learners never see the bank."""
    if not can_use_bank(current_user):
        abort(403)


def _kp_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {title}") for code, title in
            db.session.execute(select(KnowledgePoint.code, KnowledgePoint.title).order_by(KnowledgePoint.code))]


@bank_bp.get("", endpoint="browse")
def browse_page():
    criteria = filter_from_args(request.args)
    page = page_arg()
    rows, total = browse.list_questions(current_user, criteria, page)
    return render_template("bank/browse.html", rows=rows, total=total, page=page, pages=max(1, -(-total // 50)),
                           criteria=criteria, coverage=browse.coverage(current_user, criteria),
                           flags=analysis.question_flags([row.id for row in rows]), flag_labels=analysis.FLAG_LABELS,
                           min_responses=analysis.FLAG_MIN_RESPONSES,
                           types=QUESTION_TYPES, statuses=STATUSES, kp_choices=_kp_choices(), bulk_form=BulkForm(),
                           can_author=can_author_questions(current_user))


@bank_bp.get("/review", endpoint="review_queue")
def review_queue():
    if not can_review_questions(current_user):
        abort(403)
    rows, total = browse.list_questions(current_user, browse.QuestionFilter(status=IN_REVIEW), page_arg())
    return render_template("bank/review_queue.html", rows=rows, total=total, types=QUESTION_TYPES)


def _draft_from(form: QuestionForm) -> tuple[QuestionDraft, list[str]]:
    errors: list[str] = []
    kind = form.type.data
    options = [getattr(form, name).data.strip() for name in QuestionForm.OPTION_FIELDS if getattr(form, name).data]
    keywords = [word for word in re.split(r"[,，、;；\s]+", form.keywords.data or "") if word]
    key = key_from_text(kind, form.key_text.data.strip(), errors)
    draft = QuestionDraft(type=kind, stem_md=form.stem_md.data.strip(), key=key,
                          options=options if kind in ("single", "multiple") else [],
                          extra={"keywords": keywords} if kind == "short_answer" else {},
                          explanation_md=(form.explanation_md.data or "").strip(), difficulty=form.difficulty.data,
                          knowledge_point=form.knowledge_point.data, competency=form.competency.data or "",
                          points=form.points.data)
    return draft, errors or authoring.validate_draft(draft)


def _fill_form(form: QuestionForm, question) -> None:
    version, kp = history.versions_of(question)[0]
    kind = QUESTION_TYPES[version.type]
    form.type.data, form.stem_md.data, form.explanation_md.data = version.type, version.stem_md, version.explanation_md
    for name, option in zip(QuestionForm.OPTION_FIELDS, version.options, strict=False):
        getattr(form, name).data = option
    form.key_text.data = kind.key_text(version.key) if version.type != "fill_blank" else \
        "｜".join("/".join(blank) for blank in version.key)
    form.keywords.data = "，".join(version.extra.get("keywords", []))
    form.difficulty.data, form.knowledge_point.data = version.difficulty, kp
    form.competency.data, form.points.data = version.competency, version.points


@bank_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bank_bp.route("/<int:question_id>/edit", methods=["GET", "POST"], endpoint="edit")
def edit_page(question_id: int | None = None):
    if not can_author_questions(current_user):
        abort(403)
    question = history.get_question(current_user, question_id) if question_id else None
    form = QuestionForm()
    form.knowledge_point.choices = _kp_choices()
    if request.method == "GET" and question is not None:
        _fill_form(form, question)
    problems, similar = [], []
    if form.validate_on_submit():
        draft, problems = _draft_from(form)
        if not problems:
            similar = find_similar([("new", draft.stem_md)], exclude={question.id} if question else set())
            if not similar or form.confirm_duplicate.data:
                return _save(question, draft)
    return render_template("bank/edit.html", form=form, question=question, problems=problems, similar=similar)


def _save(question, draft: QuestionDraft):
    try:
        if question is None:
            question = authoring.create_question(current_user, draft)
        elif authoring.edit_question(current_user, question, draft) is None:
            flash(_("内容没有变化"), "info")
    except (QuestionInvalid, DomainError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("bank.browse"))
    flash(_("已保存为草稿；提交审核通过后才能组卷"), "success")
    return redirect(url_for("bank.detail", question_id=question.id))


@bank_bp.get("/<int:question_id>", endpoint="detail")
def detail_page(question_id: int):
    question = history.get_question(current_user, question_id)
    versions = history.versions_of(question)
    compare_to = request.args.get("compare", type=int)
    older = next((v for v in versions if v[0].number == compare_to), versions[1] if len(versions) > 1 else None)
    return render_template("bank/detail.html", question=question, versions=versions, kind=QUESTION_TYPES,
                           current=versions[0], reviews=history.reviews_of(question),
                           stats=analysis.version_statistics(question.id), flag_labels=analysis.FLAG_LABELS,
                           min_responses=analysis.FLAG_MIN_RESPONSES,
                           diff=history.diff_versions(older, versions[0]) if older else None, older=older,
                           review_form=ReviewForm(), action_form=BulkForm(),
                           can_author=can_author_questions(current_user),
                           can_review=can_review_questions(current_user)
                           and current_user.id not in (question.author_id, question.last_editor_id))


@bank_bp.post("/<int:question_id>/<action>", endpoint="act")
def act(question_id: int, action: str):
    question = history.get_question(current_user, question_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "submit":
            authoring.submit_for_review(current_user, question)
        elif action == "retire":
            authoring.retire_question(current_user, question)
        elif action in ("approve", "reject"):
            authoring.review_question(current_user, question, action == "approve", form.comment.data or "")
        else:
            abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("已更新试题状态"), "success")
    return redirect(url_for("bank.detail", question_id=question.id))


@bank_bp.post("/bulk", endpoint="bulk")
def bulk():
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    done, failed = 0, 0
    for question_id in request.form.getlist("ids", type=int)[:500]:
        try:
            question = history.get_question(current_user, question_id)
            (authoring.submit_for_review if form.action.data == "submit" else authoring.retire_question)(
                current_user, question)
            done += 1
        except DomainError:
            db.session.rollback()
            failed += 1
    flash(_("已处理 %(done)d 道试题，%(failed)d 道因状态或权限未处理", done=done, failed=failed), "info")
    return redirect(request.referrer if request.referrer and "/bank" in request.referrer else url_for("bank.browse"))


@bank_bp.get("/export", endpoint="export")
def export():
    fmt = request.args.get("fmt", "excel")
    if fmt not in exporting.EXPORT_FORMATS:
        abort(404)
    data, _count = exporting.export_questions(current_user, filter_from_args(request.args), fmt)
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=f"试题.{SUFFIX[fmt]}")


@bank_bp.get("/template.xlsx", endpoint="template")
def template():
    return send_file(io.BytesIO(write_excel([], template=True)), mimetype=MIME["excel"], as_attachment=True,
                     download_name="试题导入模板.xlsx")


@bank_bp.route("/import", methods=["GET", "POST"], endpoint="import_page")
def import_page():
    if not can_author_questions(current_user):
        abort(403)
    form = ImportUploadForm()
    form.knowledge_point.choices = [("", _("（不指定）")), *_kp_choices()]
    if not form.validate_on_submit():
        return render_template("bank/import.html", form=form)
    content = form.file.data.read()
    fmt = form.format.data or importing.detect_format(form.file.data.filename or "", content)
    report = importing.preview_import(current_user, content, fmt, form.knowledge_point.data or None)
    token = None
    if not report.errors and report.importable > report.already_present:
        token = stage_upload(current_user.id, "questions", form.file.data.filename or "questions", content).token
        db.session.commit()
    commit_form = ImportCommitForm(token=token, format=fmt, knowledge_point=form.knowledge_point.data or "")
    return render_template("bank/import_preview.html", report=report, commit_form=commit_form,
                           filename=form.file.data.filename, type_labels=QUESTION_TYPES), 422 if report.errors else 200


@bank_bp.post("/import/commit", endpoint="import_commit")
def import_commit():
    form = ImportCommitForm()
    staged = find_staged_upload(form.token.data or "", current_user.id, "questions") if form.validate_on_submit() \
        else None
    if staged is None:
        flash(_("导入预览已过期，请重新上传文件"), "error")
        return redirect(url_for("bank.import_page"))
    try:
        report = importing.commit_import(current_user, staged.content, form.format.data, staged.filename,
                                         form.knowledge_point.data or None)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("bank.import_page"))
    db.session.delete(staged)
    db.session.commit()
    flash(_("已导入 %(n)d 道新试题（草稿）", n=report.imported), "success")
    return redirect(url_for("bank.browse", status="draft"))
