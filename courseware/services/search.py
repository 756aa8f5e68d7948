"""Search over lessons that works for Chinese: substring matching on the lesson's plain text (no whitespace
tokenising, which Chinese does not have), every term required, snippets with the terms highlighted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select

from courseware.models import Course, Lesson
from training.extensions import db

SNIPPET_RADIUS = 40
MAX_TERMS = 5


@dataclass(frozen=True)
class SearchHit:
    lesson_id: int
    lesson_title: str
    course_code: str
    course_title: str
    snippet: Markup


def search_terms(query: str) -> list[str]:
    """Terms of a query: split on whitespace and punctuation; at most five, each at least one character."""
    terms = [term for term in re.split(r"[\s,，。、；;:：!?！？\"“”'‘’()（）]+", query.strip()) if term]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def search_lessons(query: str, limit: int = 30) -> list[SearchHit]:
    """Published lessons containing every term (title or text), titles first, with a highlighted snippet."""
    terms = search_terms(query)
    if not terms:
        return []
    conditions = [Lesson.search_text.contains(term, autoescape=True) for term in terms]
    rows = db.session.execute(
        select(Lesson.id, Lesson.title, Lesson.search_text, Course.code, Course.title)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.published.is_(True), Course.published.is_(True), *conditions)
        .order_by(Course.code, Lesson.position).limit(limit * 2)).all()
    rows.sort(key=lambda row: not all(term in row[1] for term in terms))  # title matches first, stable
    return [SearchHit(lesson_id, title, code, course_title, highlight(snippet_of(text, terms), terms))
            for lesson_id, title, text, code, course_title in rows[:limit]]


def snippet_of(text: str, terms: list[str]) -> str:
    """About 80 characters of ``text`` around the first occurrence of any term."""
    positions = [text.find(term) for term in terms if term in text]
    start = max(0, min(positions) - SNIPPET_RADIUS) if positions else 0
    end = min(len(text), start + 2 * SNIPPET_RADIUS + max(len(t) for t in terms))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape ``text`` and wrap each term in <mark>."""
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)))
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
