"""Question bank at scale (issue: the bank browser renders a page in < 200 ms with 50,000 questions on SQLite;
near-duplicates of a 1,000-question import are found against a 50,000-question bank in seconds).

The bench database gets 50,000 generated questions by bulk Core inserts: the ``questions`` row, its first
version (a valid definition of its type) and its near-duplicate prefix tokens, exactly as ``add_question``
would write them, deterministic (``random.Random(2026)``). A stem joins one to three clauses of the shipped
questions and courseware of its knowledge point's module, a quarter of them behind a year, and ends with the
closing clause of a shipped stem of its type ("下列说法正确的有"…); 2% repeat an earlier stem with one or two
characters changed. Real text in its real variety matters: the prefix filter orders bigrams by the shipped
common-bigram list, so made-up templates repeated over the bank (bigrams frequent here, absent from that list)
flood every prefix: with six such templates ``find_similar`` took 282 s instead of 7 s.

Everything runs in-process (no gunicorn, no wrk), so ``seconds`` is not used: the pages are timed through
Flask's test client logged in as the demo examiner, against ``GET /livez`` on the same client; the duplicate
check is one ``find_similar`` call, against a brute-force Jaccard cost estimated from a sample.
"""

from __future__ import annotations

import math
import os
import random
import re
import statistics
import time
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, func, insert, select

from bench.harness import ROOT, LoadResult

BANK_SIZE = 50_000
CHUNK = 5_000
SEED = 2026
COPIES = FRESH = 500  # the 1,000 stems checked for duplicates
SAMPLE = 2_000  # bank stems of the brute-force baseline (scaled × BANK_SIZE / SAMPLE = 25)
WARMUPS, REPEATS = 5, 30
TYPE_WEIGHTS = {"single": 40, "multiple": 20, "true_false": 20, "fill_blank": 12, "short_answer": 8}
STATUS_WEIGHTS = {"approved": 88, "draft": 8, "in_review": 4}
AUTHOR_WEIGHTS = {"examiner": 70, "admin": 10, "": 20}  # "" = imported from a spreadsheet, no author
YEAR_SHARE = 0.25  # stems opening with a number, a year: "2003年，…"
VARIANT_SHARE = 0.02  # bank questions that repeat an earlier one of their module and type, 1–2 characters changed
ENDS = {"single": "？", "multiple": "？", "true_false": "。", "fill_blank": "。", "short_answer": "。"}
SPLIT = re.compile(r"[，。？！；：、（）“”‘’《》「」【】\s?!,.;:()\"']+")
MARKUP = re.compile(r"[*_`\[\]<>#|\\~=+{}$&^/@%-]")
CJK = re.compile(r"[\u4e00-\u9fff]")
PAGE_URLS = ("/bank", "/bank?module=M3", "/bank?module=M3&type=single&difficulty=3", "/bank?q=政务",
             "/bank?status=draft", "/bank?page=500")


@dataclass(frozen=True)
class Syllabus:
    """What the generator draws from: knowledge points (with their objects, for validation), phrases per
    module code, closing clauses per type, the Chinese characters of the phrases, the demo authors' ids."""

    points: list[Any]
    known: dict[str, Any]
    phrases: dict[str, list[str]]
    endings: dict[str, list[str]]
    chars: str
    authors: dict[str, int | None]


def make_app(env: dict[str, str]) -> Flask:
    """The app on the bench database, in this process (as bench/heartbeat.py does)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")})
    from training.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})


def shipped_stems() -> list[tuple[str, str, str]]:
    """(module code, type, stem) of every shipped question (question_bank/content/M*.toml)."""
    stems = []
    for path in sorted((ROOT / "question_bank" / "content").glob("M*.toml")):
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("question", [])
        stems += [(path.stem, entry.get("type", ""), entry.get("stem", "")) for entry in entries]
    return stems


def plain_clause(text: str) -> bool:
    """A clause of 4–24 characters, mostly Chinese, without Markdown syntax (a blank aside)."""
    text = text.replace("____", "")
    return 4 <= len(text) <= 24 and len(CJK.findall(text)) >= 3 and not MARKUP.search(text)


def module_phrases(code: str, stems: list[tuple[str, str, str]]) -> list[str]:
    """Clauses of the module's shipped question stems and courseware text (so the stem's plain text is the
    stem itself)."""
    lessons = sorted((ROOT / "courseware" / "content" / code).rglob("*.md"))
    texts = [stem for module, _, stem in stems if module == code]
    texts += [path.read_text(encoding="utf-8") for path in lessons]
    return sorted({part for text in texts for part in SPLIT.split(text) if "_" not in part and plain_clause(part)})


def stem_endings(stems: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Per type, the closing clauses of the shipped stems ("下列说法正确的有"…): real question phrasing in its
    real variety; for fill-in, the clause holding the blank of the stems with one blank."""
    endings: dict[str, set[str]] = {kind: set() for kind in TYPE_WEIGHTS}
    for _, kind, stem in stems:
        clauses = [part for part in SPLIT.split(stem) if part]
        if kind == "fill_blank":
            clauses = [part for part in clauses if "____" in part] if stem.count("____") == 1 else []
        if clauses and kind in endings and plain_clause(clauses[-1]):
            endings[kind].add(clauses[-1])
    return {kind: sorted(clauses) for kind, clauses in endings.items()}


def load_syllabus() -> Syllabus:
    """Knowledge points and their modules from the synced courseware, phrases, demo authors (app context)."""
    from courseware.models import KnowledgePoint, SyllabusModule
    from training.extensions import db
    from training.org.models import User

    points = [tuple(row) for row in db.session.execute(
        select(KnowledgePoint, SyllabusModule.code).join(SyllabusModule, SyllabusModule.id == KnowledgePoint.module_id)
        .order_by(KnowledgePoint.code))]
    stems = shipped_stems()
    phrases = {module: module_phrases(module, stems) for module in sorted({module for _, module in points})}
    chars = "".join(sorted({ch for texts in phrases.values() for text in texts for ch in CJK.findall(text)}))
    users = dict(db.session.execute(select(User.employee_no, User.id)
                                    .where(User.employee_no.in_(["examiner", "admin"]))).all())
    return Syllabus(points, {kp.code: kp for kp, _ in points}, phrases, stem_endings(stems), chars,
                    {name: users.get(name) for name in AUTHOR_WEIGHTS})


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    """A key drawn with the given weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_stem(rng: random.Random, syllabus: Syllabus, module: str, kind: str) -> str:
    """Sometimes a year, one to three phrases of the module, a closing clause of a shipped stem of the type."""
    head = f"{rng.randint(1990, 2023)}年，" if rng.random() < YEAR_SHARE else ""
    body = "，".join(rng.sample(syllabus.phrases[module], rng.choice((1, 2, 2, 3))))
    return f"{head}{body}，{rng.choice(syllabus.endings[kind])}{ENDS[kind]}"


def bank_stem(rng: random.Random, syllabus: Syllabus, module: str, kind: str, made: dict[str, list[str]]) -> str:
    """A new stem, or (``VARIANT_SHARE``) a near-copy of an earlier one of the same module and type."""
    earlier = made.setdefault(f"{module}/{kind}", [])
    if earlier and rng.random() < VARIANT_SHARE:
        stem = near_copy(rng, rng.choice(earlier), syllabus.chars)
    else:
        stem = make_stem(rng, syllabus, module, kind)
    earlier.append(stem)
    return stem


def make_definition(rng: random.Random, kind: str, phrases: list[str]) -> dict[str, Any]:
    """Options, key and extra of a valid definition of ``kind`` (see question_bank/types.py)."""
    short = [phrase for phrase in phrases if len(phrase) <= 12] or phrases
    if kind in ("single", "multiple"):
        count = 4 if kind == "single" else rng.choice((4, 5))
        letters = "ABCDEF"[:count]
        key = (rng.choice(letters) if kind == "single"
               else "".join(sorted(rng.sample(letters, rng.randint(2, count - 1)))))
        return {"options": rng.sample(short, count), "key": key, "extra": {}}
    if kind == "true_false":
        return {"options": [], "key": rng.random() < 0.5, "extra": {}}
    if kind == "fill_blank":
        return {"options": [], "key": [[rng.choice(short)]], "extra": {}}
    return {"options": [], "key": "；".join(rng.sample(phrases, 2)), "extra": {"keywords": rng.sample(short, 2)}}


def question_rows(rng: random.Random, number: int, syllabus: Syllabus, now: Any,
                  made: dict[str, list[str]]) -> tuple[dict, dict]:
    """The ``questions`` row and the ``question_versions`` row (without question_id) of bank question
    ``number``, validated as ``add_question`` validates."""
    from question_bank.services.authoring import QuestionDraft, validate_draft
    from question_bank.services.duplicates import stem_key
    from question_bank.types import DEFAULT_POINTS

    kp, module = rng.choice(syllabus.points)
    kind, phrases = pick(rng, TYPE_WEIGHTS), syllabus.phrases[module]
    stem = bank_stem(rng, syllabus, module, kind, made)
    draft = QuestionDraft(type=kind, stem_md=stem, **make_definition(rng, kind, phrases),
                          explanation_md=f"解析：{rng.choice(phrases)}。", difficulty=rng.randint(1, 5),
                          knowledge_point=kp.code, competency=kp.competency, points=DEFAULT_POINTS[kind])
    if errors := validate_draft(draft, syllabus.known):
        raise ValueError(f"generated an invalid {kind} question: {errors}")
    author = syllabus.authors[pick(rng, AUTHOR_WEIGHTS)]
    created = now - timedelta(minutes=BANK_SIZE - number)
    code = f"B{number:07d}"
    question = {"code": code, "status": pick(rng, STATUS_WEIGHTS), "author_id": author, "last_editor_id": author,
                "current_version": 1, "type": kind, "difficulty": draft.difficulty, "module_id": kp.module_id,
                "knowledge_point_id": kp.id, "competency": kp.competency, "stem_text": draft.stem_md,
                "stem_key": stem_key(draft.stem_md), "source": "manual" if author else "excel",
                "source_ref": "" if author else f"bench-{number // 500:03d}.xlsx#{number % 500 + 2}",
                "tags": [], "created_at": created, "updated_at": created}
    version = {"number": 1, "type": kind, "stem_md": draft.stem_md, "options": draft.options, "key": draft.key,
               "extra": draft.extra, "explanation_md": draft.explanation_md, "difficulty": draft.difficulty,
               "knowledge_point_id": kp.id, "competency": kp.competency, "points": draft.points,
               "content_hash": draft.content_hash(), "created_by_id": author, "created_at": created}
    return question, version


def insert_chunked(table: Table, rows: list[dict]) -> None:
    """Bulk Core INSERT, ``CHUNK`` rows per executemany."""
    from training.extensions import db

    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start:start + CHUNK])


def check_plain_text(rows: list[tuple[dict, dict]]) -> None:
    """``stem_text`` is the stem's plain text (render + strip), checked on a sample: rendering 50,000 stems
    would take longer than inserting them."""
    from training.core.markdown import render_markdown, to_plain_text

    for question, version in rows[:: len(rows) // 200 or 1]:
        if to_plain_text(render_markdown(version["stem_md"])) != question["stem_text"]:
            raise ValueError(f"stem is not plain text: {version['stem_md']!r}")


def generate_bank(app: Flask) -> float | None:
    """Insert the 50,000 bank questions, their versions and prefix tokens in one transaction; the seconds it
    took, or None when the bank was already there (a second run on the same database)."""
    from question_bank.models import Question, QuestionNgram, QuestionVersion
    from question_bank.similarity import INDEX_THRESHOLD, bigrams, prefix
    from training.core.clock import utcnow
    from training.extensions import db

    with app.app_context():
        if db.session.scalar(select(func.count()).where(Question.code.like("B%"))):
            return None
        start = time.perf_counter()
        rng, syllabus, now, made = random.Random(SEED), load_syllabus(), utcnow(), {}
        rows = [question_rows(rng, number, syllabus, now, made) for number in range(1, BANK_SIZE + 1)]
        check_plain_text(rows)
        insert_chunked(Question.__table__, [question for question, _ in rows])
        ids = dict(db.session.execute(select(Question.code, Question.id).where(Question.code.like("B%"))).all())
        insert_chunked(QuestionVersion.__table__, [{**version, "question_id": ids[question["code"]]}
                                                   for question, version in rows])
        insert_chunked(QuestionNgram.__table__, [
            {"ngram": token[:8], "question_id": ids[question["code"]]} for question, _ in rows
            for token in prefix(bigrams(question["stem_text"]), INDEX_THRESHOLD)])
        db.session.commit()
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the second slowest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def timed_gets(client: FlaskClient, url: str, name: str) -> tuple[LoadResult, set[int]]:
    """``REPEATS`` timed GETs after ``WARMUPS``; p95 goes in ``p99_ms``. Also the status codes seen."""
    for _ in range(WARMUPS):
        client.get(url).get_data()
    times, statuses = [], set()
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        statuses.add(response.status_code)
    errors = REPEATS if statuses != {200} else 0
    p50 = statistics.median(times)
    return LoadResult(name, 1000 / p50, p50, percentile(times, 95), errors, REPEATS), statuses


def examiner_client(app: Flask) -> FlaskClient:
    """A test client logged in (through the session) as the demo examiner."""
    from training.extensions import db
    from training.org.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.employee_no == "examiner"))
        identity = f"{user.id}:{user.session_version}"
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = identity, True
    return client


def bench_pages(app: Flask, generated: str) -> list[dict]:
    """p50/p95 of each bank page against GET /livez on the same client (outside any app context, so every
    request gets a fresh database session as in production)."""
    client = examiner_client(app)
    livez, _ = timed_gets(client, "/livez", f"baseline GET /livez in-process (p99 column: p95 of {REPEATS})")
    rows = [{"benchmark": livez.name, "result": livez, "ratio": 1.0, "target": "baseline", "note": generated}]
    for url in PAGE_URLS:
        result, statuses = timed_gets(client, url, f"GET {url} as examiner (p99 column: p95 of {REPEATS})")
        row = {"benchmark": result.name, "result": result, "ratio": result.p99_ms / livez.p99_ms,
               "target": "p95 < 200 ms (absolute); ratio = p95 / p95 of /livez"}
        if statuses != {200}:
            row["note"] = f"answered HTTP {', '.join(map(str, sorted(statuses)))}, not 200: timings are not the page's"
        rows.append(row)
    return rows


def near_copy(rng: random.Random, stem: str, chars: str) -> str:
    """The stem with one or two of its Chinese characters replaced."""
    text = list(stem)
    positions = [i for i, ch in enumerate(text) if CJK.match(ch)]
    for position in rng.sample(positions, rng.choice((1, 2))):
        text[position] = rng.choice([ch for ch in rng.sample(chars, 3) if ch != text[position]])
    return "".join(text)


def duplicate_inputs(bank: list[str]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """An import of 1,000 stems: 500 near-copies of bank stems (``copy-n``), 500 new ones (``new-n``)
    generated like the bank's with another seed; and the bank stem each copy was made from."""
    rng, syllabus = random.Random(SEED + 1), load_syllabus()
    originals = {f"copy-{i}": stem for i, stem in enumerate(rng.sample(bank, COPIES))}
    texts = [(ref, near_copy(rng, stem, syllabus.chars)) for ref, stem in originals.items()]
    for i in range(FRESH):
        _, module = rng.choice(syllabus.points)
        texts.append((f"new-{i}", make_stem(rng, syllabus, module, pick(rng, TYPE_WEIGHTS))))
    return texts, originals


def recall_note(texts: list[tuple[str, str]], originals: dict[str, str], found: list[Any], threshold: float) -> str:
    """What find_similar found, checked against exact Jaccard of each near-copy with its original."""
    from question_bank.similarity import bigrams, jaccard

    text = dict(texts)
    due = {ref for ref, stem in originals.items() if jaccard(bigrams(text[ref]), bigrams(stem)) >= threshold}
    refs = {item.ref for item in found}
    fresh = len({ref for ref in refs if ref.startswith("new-")})
    return (f"{len(found):,} pairs ≥ {threshold}; near-copies (1–2 characters changed): {len(refs & set(originals))}"
            f"/{COPIES} found, {len(due)} are ≥ {threshold} to their original by exact Jaccard, "
            f"{len(due - refs)} of those missed; {fresh}/{FRESH} new stems resemble a bank question")


def brute_force_seconds(texts: list[tuple[str, str]], bank: list[str], threshold: float) -> tuple[float, int]:
    """Exact Jaccard of every text against ``SAMPLE`` bank stems held in memory (their bigrams computed inside
    the timing), scaled to the whole bank: an estimate, not a measurement. Also the pairs found in the sample."""
    from question_bank.similarity import bigrams, jaccard

    sample = random.Random(SEED + 2).sample(bank, SAMPLE)
    queries = [bigrams(text) for _, text in texts]
    start = time.perf_counter()
    sets = [bigrams(stem) for stem in sample]
    hits = sum(1 for query in queries for other in sets if jaccard(query, other) >= threshold)
    return (time.perf_counter() - start) * len(bank) / SAMPLE, hits


def duplicate_row(name: str, seconds: float, ratio: float, target: str, note: str) -> dict:
    """A row for a one-shot timing: p50 and p99 columns both hold the wall time, no req/s."""
    result = LoadResult(name, 0.0, seconds * 1000, seconds * 1000, 0, 1)
    return {"benchmark": name, "result": result, "ratio": ratio, "target": target, "note": note}


def bench_duplicates(app: Flask) -> list[dict]:
    """One ``find_similar`` call for a 1,000-stem import against the bank, and the brute-force estimate."""
    from question_bank.models import Question
    from question_bank.services.duplicates import default_threshold, find_similar
    from training.extensions import db

    with app.app_context():
        bank = list(db.session.scalars(select(Question.stem_text).where(Question.code.like("B%"))
                                       .order_by(Question.id)))
        (texts, originals), threshold = duplicate_inputs(bank), default_threshold()
        start = time.perf_counter()
        found = find_similar(texts, threshold)
        seconds = time.perf_counter() - start
        db.session.remove()
    estimate, sample_hits = brute_force_seconds(texts, bank, threshold)
    return [
        duplicate_row(f"baseline: brute-force Jaccard, {len(texts):,} stems × {len(bank):,} (ESTIMATE)", estimate,
                      1.0, "baseline", f"estimate by scaling: exact Jaccard against a {SAMPLE:,}-stem sample held "
                      f"in memory took {estimate * SAMPLE / len(bank):.2f} s, × {len(bank) // SAMPLE}; loading the "
                      f"bank from the database is not counted ({sample_hits} pairs ≥ {threshold} in the sample)"),
        duplicate_row(f"find_similar: {len(texts):,} stems vs the {len(bank):,}-question bank (one call; "
                      "p50 = p99 = wall time)", seconds, seconds / estimate, "a few seconds (absolute)",
                      recall_note(texts, originals, found, threshold)),
    ]


def run(env: dict[str, str], seconds: int) -> list[dict]:
    """Generate the bank, time the bank pages and the duplicate check (``seconds`` unused: fixed counts)."""
    from training.extensions import db

    app = make_app(env)
    elapsed = generate_bank(app)
    generated = (f"bank: {BANK_SIZE:,} generated questions (+ the shipped ones) inserted in {elapsed:.1f} s by "
                 f"bulk Core INSERTs" if elapsed is not None else "bank: reused the generated questions")
    rows = bench_pages(app, generated) + bench_duplicates(app)
    with app.app_context():
        db.engine.dispose()
    return rows
