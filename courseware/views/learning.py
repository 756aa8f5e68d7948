"""Learning pages: syllabus, catalogue, course, lesson (with the study clock), search, my learning record."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courseware.forms import CatalogueFilterForm
from courseware.permissions import can_edit_courseware
from courseware.services import catalogue, records, search, study
from training.core.clock import utcnow
from training.org.forms import EmptyForm

learning_bp = Blueprint("courseware", __name__, template_folder="../templates", static_folder="../static",
                        static_url_path="/static/courseware")


@learning_bp.before_request
@login_required
def require_login():
    """Every courseware page is for signed-in officials."""


@learning_bp.get("/syllabus")
def syllabus():
    return render_template("courseware/syllabus.html", modules=catalogue.syllabus_modules(),
                           cards=catalogue.course_cards(current_user.id))


@learning_bp.get("/syllabus/<code>")
def knowledge_point(code: str):
    return render_template("courseware/knowledge_point.html", code=code,
                           lessons=catalogue.courses_for_knowledge_point(code), modules=catalogue.syllabus_modules())


@learning_bp.get("/courses")
def courses():
    form = CatalogueFilterForm(request.args)
    modules = catalogue.syllabus_modules()
    form.module.choices = [("", _("全部模块"))] + [(m.code, f"{m.code} {m.title}") for m in modules]
    cards = catalogue.course_cards(current_user.id, module=form.module.data or None, tier=form.tier.data or None,
                                   kind=form.kind.data or None)
    return render_template("courseware/catalogue.html", form=form, modules=modules, cards=cards)


@learning_bp.get("/courses/<int:course_id>")
def course(course_id: int):
    item = catalogue.get_course(course_id)
    return render_template("courseware/course.html", course=item,
                           lessons=catalogue.course_lessons_with_progress(item, current_user.id),
                           enrollment=catalogue.enrollment_for(current_user.id, item.id), form=EmptyForm())


@learning_bp.post("/courses/<int:course_id>/enroll")
def enroll(course_id: int):
    item = catalogue.get_course(course_id)
    if EmptyForm().validate_on_submit():
        catalogue.enroll(current_user.id, item)
        flash(_("已加入“%(title)s”", title=item.title), "success")
    return redirect(url_for("courseware.course", course_id=item.id))


@learning_bp.get("/lessons/<int:lesson_id>")
def lesson(lesson_id: int):
    item = catalogue.get_lesson(lesson_id)
    previous, following = catalogue.neighbours(item)
    return render_template("courseware/lesson.html", lesson=item, course=item.course, previous=previous,
                           following=following, state=study.lesson_state(current_user.id, item),
                           can_edit=can_edit_courseware(current_user),
                           heartbeat_seconds=current_app.config["STUDY_HEARTBEAT_SECONDS"],
                           idle_seconds=current_app.config["STUDY_IDLE_SECONDS"])


@learning_bp.get("/search")
def search_page():
    query = request.args.get("q", "")[:100]
    return render_template("courseware/search.html", query=query, hits=search.search_lessons(query) if query else [])


@learning_bp.get("/learning/record")
def learning_record():
    rows, per_year = records.learning_record(current_user)
    return render_template("courseware/record.html", rows=rows, per_year=per_year,
                           standing=records.hours_standing(current_user), generated_at=utcnow())
