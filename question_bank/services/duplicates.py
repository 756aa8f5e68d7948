"""Near-duplicate detection against the bank, through the prefix index (never loading the bank)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, insert, select

from question_bank.models import RETIRED, Question, QuestionNgram
from question_bank.similarity import INDEX_THRESHOLD, bigrams, jaccard, normalise_stem, prefix
from training.extensions import db

CHUNK = 500


@dataclass(frozen=True)
class SimilarQuestion:
    """``ref`` (of the text checked) resembles bank question ``question_id`` with Jaccard ``similarity``."""

    ref: str
    question_id: int
    code: str
    stem: str
    similarity: float


def stem_key(text: str) -> str:
    return hashlib.sha256(normalise_stem(text).encode("utf-8")).hexdigest()


def index_question(question: Question) -> None:
    """(Re)write the question's prefix tokens and exact-match key from its current stem (caller commits)."""
    question.stem_key = stem_key(question.stem_text)
    db.session.execute(delete(QuestionNgram).where(QuestionNgram.question_id == question.id))
    tokens = prefix(bigrams(question.stem_text), INDEX_THRESHOLD)
    if tokens:
        db.session.execute(insert(QuestionNgram), [{"ngram": token[:8], "question_id": question.id}
                                                   for token in tokens])


def default_threshold() -> float:
    return max(INDEX_THRESHOLD, float(current_app.config.get("DUPLICATE_THRESHOLD", 0.8)))


def find_similar(texts: list[tuple[str, str]], threshold: float | None = None,
                 exclude: set[int] | frozenset[int] = frozenset()) -> list[SimilarQuestion]:
    """Bank questions (not retired) whose stems resemble each (ref, text), most similar first per ref."""
    threshold = max(INDEX_THRESHOLD, threshold or default_threshold())
    wanted = {ref: bigrams(text) for ref, text in texts}
    prefixes = {ref: prefix(tokens, threshold) for ref, tokens in wanted.items() if tokens}
    postings = _postings({token for tokens in prefixes.values() for token in tokens})
    candidates = {ref: {qid for token in tokens for qid in postings.get(token, ())} - set(exclude)
                  for ref, tokens in prefixes.items()}
    stems = _stems({qid for ids in candidates.values() for qid in ids})
    tokens = {qid: bigrams(stem) for qid, (_code, stem) in stems.items()}  # once per candidate, not per pair
    found = []
    for ref, ids in candidates.items():
        size = len(wanted[ref])
        for qid in ids & tokens.keys():
            other = tokens[qid]
            # Jaccard ≥ t needs t·|a| ≤ |b| ≤ |a|/t: most candidates fail this without a set operation.
            if threshold * size <= len(other) <= size / threshold:
                score = jaccard(wanted[ref], other)
                if score >= threshold:
                    found.append(SimilarQuestion(ref, qid, stems[qid][0], stems[qid][1], round(score, 3)))
    found.sort(key=lambda item: (item.ref, -item.similarity))
    return found


def _postings(tokens: set[str]) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    ordered = sorted(tokens)
    for start in range(0, len(ordered), CHUNK):
        rows = db.session.execute(select(QuestionNgram.ngram, QuestionNgram.question_id)
                                  .where(QuestionNgram.ngram.in_(ordered[start:start + CHUNK])))
        for token, qid in rows:
            result.setdefault(token, []).append(qid)
    return result


def _stems(ids: set[int]) -> dict[int, tuple[str, str]]:
    result: dict[int, tuple[str, str]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        rows = db.session.execute(select(Question.id, Question.code, Question.stem_text)
                                  .where(Question.id.in_(ordered[start:start + CHUNK]), Question.status != RETIRED))
        result.update({qid: (code, stem) for qid, code, stem in rows})
    return result


def reindex_all(batch: int = 1000) -> int:
    """Rebuild the prefix index of every question, a batch per transaction; returns how many were indexed."""
    last_id, count = 0, 0
    while True:
        questions = db.session.scalars(select(Question).where(Question.id > last_id).order_by(Question.id)
                                       .limit(batch)).all()
        if not questions:
            return count
        for question in questions:
            index_question(question)
        db.session.commit()
        last_id, count = questions[-1].id, count + len(questions)
