"""Autosave under worker kills (PERFORMANCE.md: "prove it for our code by counting").

gunicorn with 3 sync workers serves a database holding candidates with started attempts (50 items each).
Client threads save answers — each thread owns its candidates' items, walks them item after item, and gives
every save the next sequence number of its item and the value ``"<item id>:<seq>"`` — while a killer sends
SIGKILL to a random worker (a child of the master, read from /proc) every ~2 s; gunicorn respawns it. A
request that fails on the connection (the worker died under it) or answers 5xx is retried with the same
sequence number. A save is **acknowledged** when the answer is HTTP 200 with ``saved_seq`` = its sequence
number and ``stale`` false; when a retry answers ``stale`` true with ``saved_seq`` = its number, the first try
had landed and only its answer was lost (counted apart, and checked the same way).

Afterwards the database is read: an acknowledged save is **found** when its item holds that sequence number
or a later one the same client sent (sequence numbers only grow: a later save of the item supersedes it), with
the value sent with the number it holds. Every acknowledged save must be found.

``tests/test_autosave_faults.py`` runs this for ~12 s in the test suite; ``make bench`` runs it longer
(``run``) and writes the counts into docs/performance.md. ``python -m bench.faults seed N`` (used by both, in
a subprocess so that the caller's process keeps no app of its own) adds N candidates with bearer tokens and an
exam of the demo formal blueprint's shape, unlimited attempts, and prints them as JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import JSON, column, create_engine, select, table

from bench.harness import ROOT, LoadResult, Section, http_json, serve, worker_pids

PREFIX = "FK"  # employee numbers of the fault-test candidates
REQUEST_TIMEOUT = 10
MAX_TRIES = 200  # per save: retries on connection errors and 5xx, 50 ms apart (a respawn takes about a second)


@dataclass(frozen=True)
class Slot:
    """One item a client thread saves to."""

    token: str
    attempt_id: int
    session: str
    item_id: int


@dataclass
class ClientLog:
    """What one client thread sent and what it was told."""

    acknowledged: list[tuple[int, int]] = field(default_factory=list)  # (item, seq): 200, saved_seq = seq, fresh
    confirmed_on_retry: list[tuple[int, int]] = field(default_factory=list)  # retry answered stale at its seq
    sent: set[tuple[int, int]] = field(default_factory=set)  # every (item, seq) put on the wire
    failed_requests: int = 0  # connection errors and timeouts (each retried)
    statuses: Counter = field(default_factory=Counter)  # answers other than 200
    anomalies: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # of the answered requests
    requests: int = 0


@dataclass
class FaultReport:
    """Counts of one run; ``missing`` lists acknowledged saves not found (must be empty)."""

    seconds: float
    workers: int
    candidates: int
    items: int
    kills: int
    requests: int
    acknowledged: int
    confirmed_on_retry: int
    found: int
    missing: list[str]
    landed_without_ack: int
    failed_requests: int
    statuses: dict[int, int]
    anomalies: list[str]
    latencies_ms: list[float]
    worker_log_kills: int

    def summary(self) -> str:
        return (f"{self.acknowledged:,} acknowledged saves + {self.confirmed_on_retry:,} confirmed on retry, "
                f"{self.found:,} found in the database, {len(self.missing)} missing; {self.kills} workers killed "
                f"(gunicorn logged {self.worker_log_kills}), {self.failed_requests:,} requests failed on the "
                f"connection and were retried, other answers {self.statuses or 'none'}; {self.landed_without_ack} "
                f"items hold a later save whose answer was lost; {self.requests:,} requests in "
                f"{self.seconds:.0f} s by {self.candidates} candidates on {self.items:,} items, "
                f"{self.workers} sync workers")


def seed(candidates: int) -> dict:
    """In this process, on ``DATABASE_URL``: ``candidates`` officials with bearer tokens and an exam of the demo
    formal blueprint's shape over the whole bank (needs the demo data), unlimited attempts."""
    from bench.exams import make_candidates, make_exam
    from training.app import create_app
    from training.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        tokens = make_candidates(PREFIX, candidates)
        exam_id = make_exam("故障测试·自动保存", "")
        db.session.remove()
        db.engine.dispose()
    return {"exam_id": exam_id, "tokens": tokens}


def seed_subprocess(env: dict[str, str], candidates: int) -> dict:
    """``seed`` in a child process on ``env``'s database."""
    result = subprocess.run([sys.executable, "-m", "bench.faults", "seed", str(candidates)], cwd=ROOT,
                            env={**env, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_attempts(base: str, exam_id: int, tokens: list[str]) -> list[list[Slot]]:
    """Each candidate starts the exam; their attempts' items, per candidate."""
    attempts = []
    for token in tokens:
        status, body = http_json(base, "POST", f"/api/v1/exams/{exam_id}/attempts", token=token, body={})
        if status != 201 or not isinstance(body, dict):
            raise RuntimeError(f"starting an attempt answered {status}: {body}")
        attempts.append([Slot(token, body["id"], body["session"], item["id"]) for item in body["items"]])
    return attempts


def interleave(attempts: list[list[Slot]]) -> list[Slot]:
    """Item k of each attempt, then item k + 1: consecutive saves of a thread go to different attempts."""
    longest = max((len(attempt) for attempt in attempts), default=0)
    return [attempt[k] for k in range(longest) for attempt in attempts if k < len(attempt)]


def client(base: str, slots: list[Slot], stop: threading.Event, log: ClientLog) -> None:
    """Save to ``slots`` round after round until ``stop``; retry a save on connection errors and 5xx."""
    seqs: dict[int, int] = {}
    turn = 0
    while not stop.is_set():
        slot = slots[turn % len(slots)]
        turn += 1
        seq = seqs[slot.item_id] = seqs.get(slot.item_id, 0) + 1
        body = {"response": f"{slot.item_id}:{seq}", "seq": seq}
        log.sent.add((slot.item_id, seq))
        retried = False
        for _try in range(MAX_TRIES):
            log.requests += 1
            began = time.perf_counter()
            try:
                status, answer = http_json(base, "PUT", f"/api/v1/attempts/{slot.attempt_id}/items/{slot.item_id}",
                                           token=slot.token, body=body, headers={"X-Attempt-Session": slot.session},
                                           timeout=REQUEST_TIMEOUT)
            except (OSError, http.client.HTTPException):
                log.failed_requests += 1
                retried = True
                time.sleep(0.05)
                continue
            log.latencies_ms.append((time.perf_counter() - began) * 1000)
            if status != 200:
                log.statuses[status] += 1
                if status >= 500:
                    retried = True
                    time.sleep(0.05)
                    continue
                break
            if not isinstance(answer, dict) or answer.get("saved_seq") != seq:
                log.anomalies.append(f"item {slot.item_id} seq {seq}: answered {answer}")
            elif answer.get("stale") is False:
                log.acknowledged.append((slot.item_id, seq))
            elif retried:
                log.confirmed_on_retry.append((slot.item_id, seq))
            else:
                log.anomalies.append(f"item {slot.item_id} seq {seq}: stale on the first try")
            break


def killer(master: int, stop: threading.Event, every: float, rng: random.Random, kills: list[int]) -> None:
    """SIGKILL a random worker of ``master`` every ``every`` s (± 25 %)."""
    while not stop.wait(every * rng.uniform(0.75, 1.25)):
        pids = worker_pids(master)
        if not pids:
            continue
        victim = rng.choice(pids)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:  # it ended meanwhile
            continue
        kills.append(victim)


def stored(database_url: str, attempt_ids: list[int]) -> dict[int, tuple[object, int]]:
    """item id → (response, response_seq) of the given attempts, read without the app."""
    items = table("attempt_items", column("id"), column("attempt_id"), column("response", JSON),
                  column("response_seq"))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {item: (response, seq) for item, response, seq in connection.execute(
                select(items.c.id, items.c.response, items.c.response_seq).where(items.c.attempt_id.in_(attempt_ids)))}
    finally:
        engine.dispose()


def scenario(env: dict[str, str], *, seconds: float, candidates: int, threads: int, workers: int = 3,
             kill_every: float = 2.0, log_path: Path | None = None, seed_value: int = 2026) -> FaultReport:
    """Seed, serve, start the attempts, save under kills for ``seconds``, then count (see the module doc)."""
    seeded = seed_subprocess(env, candidates)
    rng = random.Random(seed_value)
    stop, kills = threading.Event(), []
    logs = [ClientLog() for _ in range(threads)]
    with serve(env, workers, log_path=log_path) as server:
        attempts = start_attempts(server.base, seeded["exam_id"], seeded["tokens"])
        shares = [interleave(attempts[share::threads]) for share in range(threads)]
        workers_threads = [threading.Thread(target=client, args=(server.base, share, stop, log), daemon=True)
                           for share, log in zip(shares, logs, strict=True)]
        kill_thread = threading.Thread(target=killer, args=(server.pid, stop, kill_every, rng, kills), daemon=True)
        began = time.perf_counter()
        for thread in [*workers_threads, kill_thread]:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in [*workers_threads, kill_thread]:
            thread.join(timeout=REQUEST_TIMEOUT * 3)
        elapsed = time.perf_counter() - began
    rows = stored(env["DATABASE_URL"], [attempt[0].attempt_id for attempt in attempts])
    return count(rows, logs, kills, elapsed, workers, len(attempts),
                 log_path.read_text(errors="replace").count("SIGKILL") if log_path and log_path.exists() else 0)


def count(rows: dict[int, tuple[object, int]], logs: list[ClientLog], kills: list[int], elapsed: float,
          workers: int, candidates: int, worker_log_kills: int) -> FaultReport:
    """Check every acknowledged save against the stored rows."""
    sent = set().union(*(log.sent for log in logs))
    acknowledged = [ack for log in logs for ack in log.acknowledged]
    confirmed = [ack for log in logs for ack in log.confirmed_on_retry]
    missing = []
    for item, seq in acknowledged + confirmed:
        response, held = rows.get(item, (None, 0))
        if not (held >= seq and (item, held) in sent and response == f"{item}:{held}"):
            missing.append(f"item {item} seq {seq}: database holds seq {held} value {response!r}")
    last_ack: dict[int, int] = {}
    for item, seq in acknowledged + confirmed:
        last_ack[item] = max(seq, last_ack.get(item, 0))
    statuses: Counter = Counter()
    for log in logs:
        statuses.update(log.statuses)
    return FaultReport(
        seconds=elapsed, workers=workers, candidates=candidates, items=len(rows), kills=len(kills),
        requests=sum(log.requests for log in logs), acknowledged=len(acknowledged), confirmed_on_retry=len(confirmed),
        found=len(acknowledged) + len(confirmed) - len(missing), missing=missing,
        landed_without_ack=sum(1 for item, seq in last_ack.items() if rows.get(item, (None, 0))[1] > seq),
        failed_requests=sum(log.failed_requests for log in logs), statuses=dict(statuses),
        anomalies=[anomaly for log in logs for anomaly in log.anomalies],
        latencies_ms=[ms for log in logs for ms in log.latencies_ms], worker_log_kills=worker_log_kills)


def run(env: dict[str, str], seconds: int) -> list[Section]:
    """``make bench``: the scenario for 3 × ``seconds`` (at least 30 s), 120 candidates, 6 client threads."""
    from bench.question_bank import percentile

    duration = max(30, 3 * seconds)
    log_path = Path(env.get("BENCH_TMP", "/tmp")) / f"egov-faults-{os.getpid()}.log"
    try:
        report = scenario(env, seconds=duration, candidates=120, threads=6, log_path=log_path)
    finally:
        log_path.unlink(missing_ok=True)
    latencies = report.latencies_ms or [0.0]
    result = LoadResult("PUT autosave, 6 client threads, SIGKILL of a random worker every ~2 s",
                        (report.acknowledged + report.confirmed_on_retry) / report.seconds,
                        statistics.median(latencies), percentile(latencies, 99),
                        report.failed_requests + sum(report.statuses.values()), report.requests,
                        p95_ms=percentile(latencies, 95))
    saved = report.acknowledged + report.confirmed_on_retry
    holds = not report.missing and not report.anomalies and report.kills >= 3
    row = {"benchmark": result.name, "result": result, "ratio": report.found / saved if saved else 0.0,
           "holds": holds, "target": "every acknowledged save found (ratio = found / acknowledged)",
           "note": report.summary() + (f"; MISSING: {report.missing[:5]}" if report.missing else "")
           + (f"; ANOMALIES: {report.anomalies[:5]}" if report.anomalies else "")}
    intro = ("gunicorn with 3 sync workers; Python client threads, a new connection per request (sync workers "
             "close them), retrying a save with the same sequence number after a connection error or a 5xx. "
             "req/s: acknowledged saves per second; errors: failed requests (connection errors and answers other "
             "than 200), all retried; latency of answered requests only.")
    return [Section("Autosave under worker kills", [row], intro)]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        print(json.dumps(seed(int(sys.argv[2]))))
        return
    raise SystemExit("usage: python -m bench.faults seed N")


if __name__ == "__main__":
    main()
