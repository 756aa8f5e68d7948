"""What a candidate sees of a question: the version's stem and options rendered to sanitized HTML, in the
attempt's option order, and never the key, the points' breakdown or the explanation. Versions are immutable,
so the rendering is cached per process by version id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from question_bank.models import QuestionVersion
from question_bank.types import BLANK, LETTERS, count_blanks, get_question_type
from training.core.caches import register_process_cache
from training.core.markdown import render_inline_markdown, render_markdown

VIEW_CACHE_LIMIT = 20_000
_views: dict[int, CandidateView] = {}
register_process_cache(_views.clear)


@dataclass(frozen=True)
class CandidateView:
    """A version as candidates see it: type, stem HTML, option HTML by original letter, number of blanks."""

    type: str
    stem_html: str
    options: dict[str, str]
    blanks: int


def _render(version_type: str, stem_md: str, options: list[str]) -> CandidateView:
    visible = get_question_type(version_type).candidate_view(options)["options"]
    blanks = count_blanks(stem_md) if version_type == "fill_blank" else 0
    stem = stem_md.replace(BLANK, "\uff3f\uff3f\uff3f\uff3f") if blanks else stem_md  # keep ____ out of Markdown
    return CandidateView(version_type, render_markdown(stem),
                         {LETTERS[index]: render_inline_markdown(text) for index, text in enumerate(visible)}, blanks)


def candidate_views(connection, version_ids: set[int]) -> dict[int, CandidateView]:
    """Views of the given versions; the missing ones are read in one query and cached."""
    missing = [vid for vid in version_ids if vid not in _views]
    if missing:
        if len(_views) + len(missing) > VIEW_CACHE_LIMIT:
            _views.clear()
            missing = list(version_ids)  # the clear dropped the ones that were cached too
        for vid, kind, stem, options in connection.execute(
                select(QuestionVersion.id, QuestionVersion.type, QuestionVersion.stem_md, QuestionVersion.options)
                .where(QuestionVersion.id.in_(missing))):
            _views[vid] = _render(kind, stem, options or [])
    return {vid: _views[vid] for vid in version_ids}


def item_json(row, view: CandidateView) -> dict:
    """One attempt item for the candidate (``row``: id, position, points, option_order, response, response_seq,
    flagged). Options come in display order; their ``value`` is the original letter the server stores."""
    order = row.option_order or "".join(view.options)
    return {"id": row.id, "position": row.position, "type": view.type, "points": float(row.points),
            "stem_html": view.stem_html, "blanks": view.blanks,
            "options": [{"value": letter, "html": view.options[letter]} for letter in order if letter in view.options],
            "response": row.response, "saved_seq": row.response_seq, "flagged": bool(row.flagged)}
