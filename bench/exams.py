"""Exam day (issue acceptance), on two databases of the run's kind made for it (SQLite temp files, or
PostgreSQL databases next to BENCH_DATABASE_URL's), each migrated with the demo data plus a generated bank:
5,000 and 50,000 questions (``bench.question_bank``'s generator, every one approved, with its module, type and
difficulty columns and a current version). Separate databases, because a start may cost more with every
question in the database and not only with the ones its blueprint draws from: the bank size is the database's.

1. **Start latency against bank size.** In each database an exam draws the demo formal blueprint (single 20,
   multiple 10, true/false 10, fill-in 10 from the whole bank, whole difficulty range). Both databases are
   served at once (gunicorn, 2 sync workers each); one client starts attempts over HTTP, one request at a
   time, alternating the two, each start by a distinct candidate: p50/p95 per bank and the ratio of the p95s.
   Sequential on purpose: it measures what one start costs, not the queue (item 2 measures the queue). An
   in-process run with each phase timed says where the time goes.
2. **The synchronized start.** On a fresh gunicorn (2 sync workers, cold caches: an exam's first minutes) on
   the 50,000-question database, 1,000 distinct candidates start the same exam on a fixed schedule of one
   request every 10 ms for 10 s, each on its own connection and thread: errors (non-2xx, connection errors,
   timeouts after 30 s), p50/p95/p99 latency, and the attempts and items found in the database afterwards.
3. **Autosave throughput.** wrk drives ``PUT /api/v1/attempts/<id>/items/<item>`` over the 1,000 attempts the
   spike started (50,000 items), candidate after candidate, against the bare ``/livez`` endpoint driven by the
   same script (same client cost), as bench/heartbeat.py does. Every request is a real write: its sequence
   number is ``(seconds since the script was made) × 100,000 + the request counter``, strictly increasing per
   item within a run and across runs; the script counts answers that are not ``stale: false``, and the
   database is read afterwards (items saved, attempts touched, highest sequence number, stored value = the
   value sent with that number).

Run alone: ``python -m bench.exams [--seconds N]`` (prints the rows).
"""

from __future__ import annotations

import http.client
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import create_engine, select, text

from bench import question_bank as qb
from bench.harness import (
    LoadResult,
    Section,
    compare,
    gunicorn,
    http_json,
    prepared_database,
    run_wrk,
    sibling_database,
)

BANKS = (5_000, 50_000)  # generated questions in the small and the large database
SEED = 2027
PREFIX = "EX"  # employee numbers of the bench candidates
START_SAMPLES = 300  # starts per bank, each by a distinct candidate
WARMUP_STARTS = 5
BREAKDOWN_STARTS = 100
SPIKE_STARTS, SPIKE_SECONDS, SPIKE_TIMEOUT = 1_000, 10, 30
SEQ_PER_SECOND = 100_000  # autosave sequence numbers: seconds since the script was made × this + counter
START_P95_MS, START_RATIO, SPIKE_ERROR_RATE, AUTOSAVE_RATIO = 100.0, 1.5, 0.001, 0.35


@dataclass
class Bank:
    """One bench database: its environment, candidates' tokens (index = candidate), exam ids, how it was made."""

    env: dict[str, str]
    size: int
    tokens: list[str]
    exams: dict[str, int]
    note: str


@dataclass
class Started:
    """An attempt the spike started: the candidate's token, the attempt, its device session and item ids."""

    token: str
    attempt_id: int
    session: str
    items: list[int]


def make_app(env: dict[str, str]) -> Flask:
    return qb.make_app(env)


def generate_questions(size: int, seed: int) -> None:
    """``size`` approved questions, each with its first (current) version, by bulk Core inserts:
    ``bench.question_bank.question_rows`` (validated as ``add_question`` validates; knowledge points and
    modules of the synced syllabus), all approved. No near-duplicate prefix tokens: drawing does not read them."""
    from question_bank.models import APPROVED, Question, QuestionVersion
    from training.core.clock import utcnow
    from training.extensions import db

    rng, syllabus, now, made = random.Random(seed), qb.load_syllabus(), utcnow(), {}
    rows = [qb.question_rows(rng, number, syllabus, now, made) for number in range(1, size + 1)]
    for number, (question, _version) in enumerate(rows, start=1):
        question.update(code=f"X{number:07d}", status=APPROVED)
    qb.insert_chunked(Question.__table__, [question for question, _ in rows])
    ids = dict(db.session.execute(select(Question.code, Question.id).where(Question.code.like("X%"))).all())
    qb.insert_chunked(QuestionVersion.__table__, [{**version, "question_id": ids[question["code"]]}
                                                  for question, version in rows])


def root_department() -> int:
    from training.extensions import db
    from training.org.models import Department

    return db.session.scalar(select(Department.id).where(Department.parent_id.is_(None)).order_by(Department.id))


def make_candidates(prefix: str, count: int) -> list[str]:
    """``count`` officials in a department below the root, with bearer tokens (``create_api_token``)."""
    from training.extensions import db
    from training.org.models import Department, User
    from training.org.services.accounts import create_api_token

    department = db.session.scalar(select(Department.id).where(Department.parent_id.is_not(None))
                                   .order_by(Department.id).limit(1)) or root_department()
    db.session.add_all(User(employee_no=f"{prefix}{n:06d}", name=f"考生{n}", department_id=department,
                            must_change_password=False) for n in range(count))
    db.session.commit()
    users = db.session.scalars(select(User).where(User.employee_no.startswith(prefix)).order_by(User.id)).all()
    return [create_api_token(user, "bench")[1] for user in users]


def make_exam(title: str, scope: str = "", *, duration_minutes: int = 180) -> int:
    """A published random-paper exam of the demo formal blueprint's shape drawn from ``scope`` (a module
    code; "" for the whole bank, as the demo's), open now for 30 days to the whole organisation, unlimited
    attempts."""
    from question_bank.exams import models as m
    from question_bank.exams.demo import FORMAL_ROWS
    from question_bank.exams.services.blueprints import parse_rows
    from training.core.clock import utcnow
    from training.extensions import db

    rows, errors = parse_rows([{"scope": scope, "type": kind, "count": str(count), "points": points,
                                "difficulty_min": "1", "difficulty_max": "5"}
                               for _, kind, count, points in FORMAL_ROWS])
    if errors:
        raise ValueError("; ".join(errors))
    root, now = root_department(), utcnow().replace(microsecond=0)
    exam = m.Exam(title=title, kind=m.FORMAL, department_id=root, blueprint=m.Blueprint(name=title, rows=rows),
                  paper_mode=m.RANDOM, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30),
                  duration_minutes=duration_minutes, max_attempts=0, pass_score=Decimal("60"),
                  release_policy=m.RELEASE_IMMEDIATE, scoring_policy="all_or_nothing", status=m.EXAM_PUBLISHED,
                  audience=[m.ExamAudience(department_id=root)])
    db.session.add(exam)
    db.session.commit()
    return exam.id


@contextmanager
def bank_database(url: str | None, size: int, candidates: int, exams: tuple[str, ...]):
    """A database of its own of the run's kind (``url``: the run's), migrated, with the demo data, ``size``
    generated questions, ``candidates`` candidates and one exam per name; yields the ``Bank``."""
    with sibling_database(url, f"bank{size}") as own, prepared_database(own) as env:
        from training.extensions import db

        app = make_app(env)
        with app.app_context():
            began = time.perf_counter()
            generate_questions(size, SEED + size)
            db.session.commit()
            generated = time.perf_counter() - began
            tokens = make_candidates(PREFIX, candidates)
            made = {name: make_exam(f"压测·{name}") for name in exams}
            total, approved = db.session.execute(text(
                "SELECT COUNT(*), SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) FROM questions")).one()
            db.session.remove()
            db.engine.dispose()
        yield Bank(env, size, tokens, made, f"{size:,} generated questions inserted in {generated:.1f} s; "
                                            f"{total:,} questions in the database, {approved:,} approved")


def start(base: str, token: str, exam_id: int, timeout: float = SPIKE_TIMEOUT) -> tuple[object, dict | None, float]:
    """POST a start; (status or the exception's name, body, milliseconds)."""
    began = time.perf_counter()
    try:
        status, body = http_json(base, "POST", f"/api/v1/exams/{exam_id}/attempts", token=token, body={},
                                 timeout=timeout)
    except (OSError, http.client.HTTPException) as error:
        status, body = type(error).__name__, None
    return status, body if isinstance(body, dict) else None, (time.perf_counter() - began) * 1000


def good_start(status: object, body: dict | None) -> bool:
    return status == 201 and body is not None and len(body.get("items", [])) == 50 and bool(body.get("session"))


def timed_result(name: str, times: list[float], errors: int, seconds: float) -> LoadResult:
    return LoadResult(name, len(times) / seconds if seconds else 0.0, statistics.median(times),
                      qb.percentile(times, 99), errors, len(times), p95_ms=qb.percentile(times, 95))


def bench_start(small: Bank, large: Bank) -> Section:
    """Item 1: sequential starts, alternating the two databases (both served at once), distinct candidates."""
    banks = (small, large)
    times: dict[int, list[float]] = {bank.size: [] for bank in banks}
    errors = {bank.size: 0 for bank in banks}
    livez: list[float] = []
    with gunicorn(small.env) as small_base, gunicorn(large.env) as large_base:
        bases = {small.size: small_base, large.size: large_base}
        for bank in banks:
            for token in bank.tokens[-WARMUP_STARTS:]:  # candidates the samples do not use
                start(bases[bank.size], token, bank.exams["start"])
        began = time.perf_counter()
        for number in range(START_SAMPLES):
            for bank in (banks if number % 2 == 0 else banks[::-1]):
                status, body, ms = start(bases[bank.size], bank.tokens[number], bank.exams["start"])
                times[bank.size].append(ms)
                errors[bank.size] += not good_start(status, body)
            clock = time.perf_counter()
            http_json(large_base, "GET", "/livez")
            livez.append((time.perf_counter() - clock) * 1000)
        seconds = time.perf_counter() - began
    little, big = (timed_result(f"POST /api/v1/exams/<id>/attempts, {bank.size:,}-question bank "
                                f"({START_SAMPLES} distinct candidates, sequential)", times[bank.size],
                                errors[bank.size], seconds) for bank in banks)
    bare = timed_result("GET /livez, same client, between the starts", livez, 0, seconds)
    ratio = big.p95_ms / little.p95_ms
    holds = big.p95_ms <= START_P95_MS and ratio <= START_RATIO and not big.errors and not little.errors
    rows = [
        {"benchmark": bare.name, "result": bare, "ratio": None, "target": "context (HTTP round trip)"},
        {"benchmark": little.name, "result": little, "ratio": 1.0, "target": "baseline of the ratio",
         "note": small.note},
        {"benchmark": big.name, "result": big, "ratio": ratio, "holds": holds,
         "target": f"p95 ≤ {START_P95_MS:.0f} ms and ≤ {START_RATIO}× the {small.size:,}-bank p95 "
                   "(ratio = p95 / p95)",
         "note": f"{large.note}; p95 {big.p95_ms:.1f} ms against {little.p95_ms:.1f} ms: {ratio:.2f}×; errors "
                 f"(not 201 with 50 items): {little.errors} and {big.errors}; {start_breakdown(large)}"},
    ]
    intro = ("Two databases (the demo data plus 5,000 or 50,000 generated approved questions), each served by "
             "its own gunicorn with 2 sync workers, both running; one client, one request at a time, alternating "
             "the two; each start by a distinct candidate on an exam of the demo formal blueprint (single 20, "
             "multiple 10, true/false 10, fill-in 10 from the whole bank); "
             f"{WARMUP_STARTS} warm-up starts per exam by other candidates first. req/s: samples over the whole "
             "loop's wall time (both banks and /livez).")
    return Section("Exam start against bank size", rows, intro)


#: (module, function, label) timed by ``start_breakdown``; nested ones are indented in the label.
PHASES = (("question_bank.exams.services.attempts", "start_or_resume", "start_or_resume (all, with commit)"),
          ("question_bank.exams.services.attempts", "_create_attempt", "create: draw + INSERTs"),
          ("question_bank.exams.services.drawing", "pool_ids", "· pool_ids"),
          ("question_bank.exams.services.drawing", "current_versions", "· current_versions"),
          ("question_bank.exams.services.attempts", "attempt_payload", "payload"),
          ("question_bank.exams.services.attempts", "candidate_views", "· candidate_views"),
          ("question_bank.exams.services.papers", "_render", "· · Markdown rendering (_render)"))


def start_breakdown(bank: Bank, count: int | None = None) -> str:
    """Where a start's time goes: ``count`` starts on the bank's start exam in this process (Flask test
    client, one process: its caches fill as one worker's would), each phase of ``PHASES`` timed by wrapping the
    function for the duration; mean ms per start. Functions missing in the code are skipped."""
    import functools
    import importlib

    count = count or BREAKDOWN_STARTS
    spent: dict[str, float] = {}
    restore = []
    for module_name, name, label in PHASES:
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if original is None:
            continue

        def timed(*args, _original=original, _label=label, **kwargs):
            began = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + (time.perf_counter() - began) * 1000

        setattr(module, name, functools.wraps(original)(timed))
        restore.append((module, name, original))
    app = make_app(bank.env)
    client, exam_id, total, failed = app.test_client(), bank.exams["start"], 0.0, 0
    try:
        for token in bank.tokens[START_SAMPLES:START_SAMPLES + count]:
            began = time.perf_counter()
            response = client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                                   headers={"Authorization": f"Bearer {token}"})
            total += (time.perf_counter() - began) * 1000
            failed += response.status_code != 201
    finally:
        for module, name, original in restore:
            setattr(module, name, original)
        with app.app_context():
            from training.extensions import db

            db.engine.dispose()
    parts = ", ".join(f"{label} {spent[label] / count:.1f}" for _m, _n, label in PHASES if label in spent)
    return (f"where the time goes, in-process ({count} starts on the {bank.size:,}-question bank by other "
            f"candidates, Flask test client, one process, mean ms per start): whole request {total / count:.1f}; "
            f"{parts}"
            + (f"; {failed} starts failed" if failed else ""))


def bench_spike(bank: Bank) -> tuple[Section, list[Started]]:
    """Item 2: 1,000 starts by distinct candidates, one every 10 ms, on a fresh server."""
    exam_id, env = bank.exams["spike"], bank.env
    tokens = bank.tokens[:SPIKE_STARTS]
    interval = SPIKE_SECONDS / len(tokens)
    outcomes: list[tuple[object, dict | None, float, float]] = [(None, None, 0.0, 0.0)] * len(tokens)
    with gunicorn(env) as base:
        origin = time.perf_counter() + 0.5

        def fire(number: int) -> None:
            due = origin + number * interval
            time.sleep(max(0.0, due - time.perf_counter()))
            lag = (time.perf_counter() - due) * 1000
            status, body, ms = start(base, tokens[number], exam_id)
            outcomes[number] = (status, body, ms, lag)

        with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
            list(pool.map(fire, range(len(tokens))))
        wall = time.perf_counter() - origin
    failures: dict[str, int] = {}
    started = []
    for token, (status, body, _ms, _lag) in zip(tokens, outcomes, strict=True):
        if good_start(status, body):
            started.append(Started(token, body["id"], body["session"], [item["id"] for item in body["items"]]))
        else:
            failures[str(status)] = failures.get(str(status), 0) + 1
    times = [ms for _s, _b, ms, _l in outcomes]
    lags = [lag for *_rest, lag in outcomes]
    errors = len(tokens) - len(started)
    result = LoadResult(f"{len(tokens):,} × POST /api/v1/exams/<id>/attempts, distinct candidates, one every "
                        f"{interval * 1000:.0f} ms for {SPIKE_SECONDS} s ({bank.size:,}-question bank)",
                        len(tokens) / wall, statistics.median(times), qb.percentile(times, 99), errors, len(tokens),
                        p95_ms=qb.percentile(times, 95))
    attempts, items = count_attempts(env, exam_id)
    rate = errors / len(tokens)
    holds = rate < SPIKE_ERROR_RATE and attempts == len(tokens)
    note = (f"errors {errors} of {len(tokens):,} ({rate:.2%}){': ' + str(failures) if failures else ''}; all "
            f"answered {wall:.1f} s after the first was sent (req/s column: starts / that time); latency max "
            f"{max(times):,.0f} ms; client sent each request at most {max(lags):.0f} ms late (p99 "
            f"{qb.percentile(lags, 99):.0f} ms); the database holds {attempts:,} attempts with {items:,} items "
            "for the exam")
    row = {"benchmark": result.name, "result": result, "ratio": None, "holds": holds,
           "target": f"error rate < {SPIKE_ERROR_RATE:.1%}, {len(tokens):,} attempts in the database", "note": note}
    intro = (f"The {bank.size:,}-question database, the demo formal blueprint; a fresh gunicorn with 2 sync workers "
             "(the harness default), so pools and rendered questions are "
             "cold as in an exam's first minutes. The client is Python threads (one per candidate, each on its own "
             f"connection, timeout {SPIKE_TIMEOUT} s) on the same 2-core machine; latency runs from sending to the "
             "full answer.")
    return Section("Synchronized start: 1,000 candidates in 10 s", [row], intro), started


def count_attempts(env: dict[str, str], exam_id: int) -> tuple[int, int]:
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        attempts = connection.execute(text("SELECT COUNT(*) FROM attempts WHERE exam_id = :e"), {"e": exam_id}).scalar()
        items = connection.execute(text("SELECT COUNT(*) FROM attempt_items i JOIN attempts a ON a.id = i.attempt_id "
                                        "WHERE a.exam_id = :e"), {"e": exam_id}).scalar()
    engine.dispose()
    return attempts, items


def autosave_lua(started: list[Started], bare: bool = False) -> str:
    """wrk script walking every item of every attempt, candidate after candidate (item k of each attempt, then
    item k + 1), from a random place. With ``bare`` it builds the same requests but sends them to /livez as
    GETs. Its ``response`` counts answers that are a real write (``"stale":false``), stale ones and others, and
    ``done`` prints the totals."""
    rows = ",\n".join(f'{{"{s.token}","{s.session}",{s.attempt_id},"{" ".join(map(str, s.items))}"}}'
                      for s in started)
    method, path = ('"GET"', '"/livez"') if bare else ('"PUT"', '"/api/v1/attempts/" .. s[3] .. "/items/" .. s[4]')
    return f"""
local attempts = {{
{rows}
}}
local per_attempt = {{}}
local longest = 0
for a, row in ipairs(attempts) do
  local ids = {{}}
  for item in string.gmatch(row[4], "%d+") do ids[#ids + 1] = item end
  per_attempt[a] = ids
  if #ids > longest then longest = #ids end
end
slots = {{}}
for k = 1, longest do
  for a, row in ipairs(attempts) do
    local item = per_attempt[a][k]
    if item then slots[#slots + 1] = {{row[1], row[2], row[3], item}} end
  end
end
math.randomseed(os.time())
first = math.random(#slots)
origin = {int(time.time())}
counter = 0
written, stale, other = 0, 0, 0
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local s = slots[((first + counter) % #slots) + 1]
  local seq = (os.time() - origin) * {SEQ_PER_SECOND} + counter
  local headers = {{}}
  headers["Authorization"] = "Bearer " .. s[1]
  headers["X-Attempt-Session"] = s[2]
  headers["Content-Type"] = "application/json"
  return wrk.format({method}, {path}, headers, '{{"response": "' .. seq .. '", "seq": ' .. seq .. '}}')
end
response = function(status, headers, body)
  if status == 200 and string.find(body, '"stale":%s*false') then
    written = written + 1
  elseif status == 200 and string.find(body, '"stale":%s*true') then
    stale = stale + 1
  else
    other = other + 1
  end
end
done = function(summary, latency, requests)
  local w, s, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    w = w + thread:get("written")
    s = s + thread:get("stale")
    o = o + thread:get("other")
  end
  io.write(string.format("autosave answers: written %d stale %d other %d\\n", w, s, o))
end
"""


def answer_counts(result: LoadResult) -> dict[str, int]:
    import re

    match = re.search(r"autosave answers: written (\d+) stale (\d+) other (\d+)", result.output)
    return dict(zip(("written", "stale", "other"), map(int, match.groups()), strict=True)) if match else {}


def saved_items(env: dict[str, str], attempt_ids: list[int]) -> dict[str, int]:
    """What the autosave run left in the database for the given attempts."""
    from sqlalchemy import JSON, column, table

    items = table("attempt_items", column("attempt_id"), column("response", JSON), column("response_seq"))
    engine = create_engine(env["DATABASE_URL"])
    counts = {"items": 0, "attempts": 0, "max_seq": 0, "mismatched": 0}
    touched = set()
    with engine.connect() as connection:
        for start_at in range(0, len(attempt_ids), 500):
            for attempt_id, response, seq in connection.execute(
                    select(items.c.attempt_id, items.c.response, items.c.response_seq)
                    .where(items.c.attempt_id.in_(attempt_ids[start_at:start_at + 500]), items.c.response_seq > 0)):
                counts["items"] += 1
                touched.add(attempt_id)
                counts["max_seq"] = max(counts["max_seq"], seq)
                counts["mismatched"] += response != str(seq)
    engine.dispose()
    counts["attempts"] = len(touched)
    return counts


def top_up(base: str, bank: Bank, started: list[Started]) -> tuple[list[Started], int, dict[str, int]]:
    """The spike's candidates whose start failed on the client resume (or start) their attempt now, one at a
    time, so that autosave runs over all of them; also how many that took, and the failures (status: count)."""
    have = {s.token for s in started}
    added, failures = [], {}
    for token in bank.tokens[:SPIKE_STARTS]:
        if token not in have:
            status, body, _ms = start(base, token, bank.exams["spike"], timeout=120)
            if good_start(status, body):
                added.append(Started(token, body["id"], body["session"], [item["id"] for item in body["items"]]))
            else:
                failures[str(status)] = failures.get(str(status), 0) + 1
    return started + added, len(added), failures


def bench_autosave(bank: Bank, started: list[Started], seconds: int) -> Section:
    """Item 3: autosave against the bare endpoint, alternating rounds (bench.harness.compare)."""
    rounds: list[tuple[LoadResult, LoadResult]] = []
    with gunicorn(bank.env) as base:
        started, resumed, failed = top_up(base, bank, started)
        run_wrk("warm-up", base + "/livez", seconds=2)
        bare, save, ratio = compare(("bare endpoint GET /livez (same wrk script)", base + "/",
                                     autosave_lua(started, bare=True)),
                                    ("PUT /api/v1/attempts/<id>/items/<item> (autosave write path)", base + "/",
                                     autosave_lua(started)), seconds=seconds, every_round=rounds)
    answers = [answer_counts(cand) for _base, cand in rounds]
    written = sum(a.get("written", 0) for a in answers)
    refused = sum(a.get("stale", 0) + a.get("other", 0) for a in answers)
    stored = saved_items(bank.env, [s.attempt_id for s in started])
    sent = sum(cand.requests for _base, cand in rounds)
    items = sum(len(s.items) for s in started)
    note = (f"{len(started):,} candidates' attempts ({items:,} items"
            + (f"; {resumed:,} of them resumed or started after the spike, whose requests had failed" if resumed
               else "") + (f"; resuming failed for {sum(failed.values())}: {failed}" if failed else "")
            + f"); over the {len(rounds)} rounds wrk sent "
            f"{sent:,} saves: {written:,} answered as written (stale false), {refused:,} stale or refused. "
            f"Afterwards the database holds a saved response on {stored['items']:,} items of {stored['attempts']:,} "
            f"attempts, highest sequence number {stored['max_seq']:,}; stored value ≠ the value sent with its "
            f"sequence number: {stored['mismatched']}")
    holds = ratio >= AUTOSAVE_RATIO and refused == 0 and save.errors == 0 and stored["mismatched"] == 0
    rows = [{"benchmark": bare.name, "result": bare, "ratio": 1.0, "target": "baseline"},
            {"benchmark": save.name, "result": save, "ratio": ratio, "holds": holds,
             "target": f"≥ {AUTOSAVE_RATIO}×, every request a real write", "note": note}]
    intro = ("wrk (1 thread, 8 connections) against gunicorn with 2 sync workers, baseline and autosave "
             "alternating three times; both scripts build the same requests (bearer token, X-Attempt-Session, "
             "JSON body) and parse the answers. The attempts are those of the synchronized start's candidates.")
    return Section("Exam autosave", rows, intro)


def run(env: dict[str, str], seconds: int) -> list[Section]:
    """The three exam benchmarks on two databases of their own, of ``env``'s kind."""
    url = env["DATABASE_URL"] if env["DATABASE_URL"].startswith("postgres") else None
    small_size, large_size = BANKS
    with bank_database(url, small_size, START_SAMPLES + WARMUP_STARTS, ("start",)) as small, \
            bank_database(url, large_size, max(SPIKE_STARTS, START_SAMPLES + BREAKDOWN_STARTS + WARMUP_STARTS),
                          ("start", "spike")) as large:
        sections = [bench_start(small, large)]
        spike, started = bench_spike(large)
        sections.append(spike)
        sections.append(bench_autosave(large, started, seconds))
    return sections


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    args = parser.parse_args()
    # the databases are the benchmark's own: only the kind of BENCH_DATABASE_URL (or SQLite) matters
    for section in run({"DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or "sqlite://"}, args.seconds):
        print(f"== {section.title}")
        for row in section.rows:
            r = row["result"]
            print(f"  {row['benchmark']}: {r.requests_per_second:.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                  f"p95 {r.p95_ms or 0:.1f} ms, p99 {r.p99_ms:.1f} ms, errors {r.errors}, ratio {row['ratio']}, "
                  f"holds {row.get('holds')}")
            if row.get("note"):
                print(f"    {row['note']}")


if __name__ == "__main__":
    main()
