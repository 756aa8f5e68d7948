"""The baseline of bench/item_analysis.py: the same figures as ``analyse_exam`` from hand-written SQL on a bare
DB-API connection (``sqlite3`` / ``psycopg``), plus the arithmetic in Python, and the comparison of the two.

The SQL is written per database, the best plain SQL we could write: the attempt totals; then one statement
that ranks the attempts (27 % groups), reads each response once into a joint histogram of (version, item score,
rest score, group) with the option counts, and derives from that histogram the per-version sums and Σ of the
sorted pairs (overlapping rank intervals of the two marginals) — on PostgreSQL with ``FILTER`` clauses.
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import Any

from sqlalchemy.engine import make_url

TRUE = ("true", '"true"', '"t"', '"\\u6b63\\u786e"', '"\\u5bf9"', '"\\u221a"', '"\\u662f"', '"1"')
FALSE = ("false", '"false"', '"f"', '"\\u9519\\u8bef"', '"\\u9519"', '"\\u00d7"', '"\\u5426"', '"0"')
LETTERS = "ABCDEF"
APP_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "mmap_size=268435456", "cache_size=-16000")


def _in(texts: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in texts) + ")"


MARKS = (*(f"l{letter}" for letter in LETTERS), "tt", "ff", "bb")
WALK = """
xs AS (SELECT v, x, SUM(c) AS c FROM h GROUP BY v, x),
rs AS (SELECT v, r, SUM(c) AS c FROM h GROUP BY v, r),
e AS (SELECT v, 0 AS kind, x AS xv, NULL AS rv, SUM(c) OVER (PARTITION BY v ORDER BY x ROWS UNBOUNDED PRECEDING) AS hi
      FROM xs UNION ALL
      SELECT v, 1, NULL, r, SUM(c) OVER (PARTITION BY v ORDER BY r ROWS UNBOUNDED PRECEDING) FROM rs),
w AS (SELECT v, hi - COALESCE(LEAD(hi) OVER (PARTITION BY v ORDER BY hi DESC, kind), 0) AS span,
             MIN(xv) OVER (PARTITION BY v ORDER BY hi DESC, kind ROWS UNBOUNDED PRECEDING) AS xv,
             MIN(rv) OVER (PARTITION BY v ORDER BY hi DESC, kind ROWS UNBOUNDED PRECEDING) AS rv FROM e),
m AS (SELECT v, SUM(xv * rv * span) AS sm FROM w GROUP BY v),
s AS (SELECT v, SUM(c) AS n, SUM(sp) AS sp, SUM(c * x) AS sx, SUM(c * x * x) AS sxx, SUM(c * r) AS sr,
             SUM(c * r * r) AS srr, SUM(c * x * r) AS sxr FROM h GROUP BY v)
SELECT s.*, o.*, m.sm FROM s JOIN o ON o.v = s.v LEFT JOIN m ON m.v = s.v
"""
OPTION_SUMS = ", ".join(f"SUM({m} * c), SUM({m} * cu), SUM({m} * cl)" for m in MARKS)

# SQLite: comparisons are 0/1 integers; CROSS JOIN keeps the attempts → items order; LIMIT -1 keeps the
# letter tests from being repeated per sum.
SQLITE = f"""
WITH a AS (SELECT id, score AS t, ROW_NUMBER() OVER (ORDER BY score, id) AS rk
           FROM attempts WHERE exam_id = :exam AND status = 'graded'),
h AS (SELECT ai.question_version_id AS v, ai.score AS x, a.t - ai.score AS r, COUNT(*) AS c, SUM(ai.points) AS sp
      FROM a CROSS JOIN attempt_items ai ON ai.attempt_id = a.id GROUP BY 1, 2, 3),
o0 AS (SELECT ai.question_version_id AS v, ai.response AS resp, COUNT(*) AS c, SUM(a.rk > :upper_from) AS cu,
              SUM(a.rk <= :k) AS cl
       FROM a CROSS JOIN attempt_items ai ON ai.attempt_id = a.id GROUP BY 1, 2),
o1 AS (SELECT v, c, cu, cl, resp,
              CASE WHEN substr(resp, 1, 1) IN ('"', '[') THEN upper(resp) ELSE '' END AS u FROM o0 LIMIT -1),
o2 AS (SELECT v, c, cu, cl, {", ".join(f"instr(u, '{letter}') > 0 AS l{letter}" for letter in LETTERS)},
              lower(resp) IN {_in(TRUE)} AS tt, lower(resp) IN {_in(FALSE)} AS ff,
              resp IS NULL OR u NOT GLOB '*[A-F]*' AS bb FROM o1 LIMIT -1),
o AS (SELECT v, SUM(cu), SUM(cl), {OPTION_SUMS} FROM o2 GROUP BY v),""" + WALK

# PostgreSQL: float8 arithmetic, FILTER clauses, OFFSET 0 as the fence.
POSTGRES = f"""
WITH a AS (SELECT id, score::float8 AS t, ROW_NUMBER() OVER (ORDER BY score, id) AS rk
           FROM attempts WHERE exam_id = %(exam)s AND status = 'graded'),
h AS (SELECT ai.question_version_id AS v, ai.score::float8 AS x, a.t - ai.score::float8 AS r, COUNT(*) AS c,
             SUM(ai.points::float8) AS sp
      FROM a JOIN attempt_items ai ON ai.attempt_id = a.id GROUP BY 1, 2, 3),
o0 AS (SELECT ai.question_version_id AS v, ai.response::text AS resp, COUNT(*) AS c,
              COUNT(*) FILTER (WHERE a.rk > %(upper_from)s) AS cu, COUNT(*) FILTER (WHERE a.rk <= %(k)s) AS cl
       FROM a JOIN attempt_items ai ON ai.attempt_id = a.id GROUP BY 1, 2),
o1 AS (SELECT v, c, cu, cl, resp,
              CASE WHEN left(resp, 1) IN ('"', '[') THEN upper(resp) ELSE '' END AS u FROM o0 OFFSET 0),
o2 AS (SELECT v, c, cu, cl, {", ".join(f"(strpos(u, '{letter}') > 0)::int AS l{letter}" for letter in LETTERS)},
              (lower(resp) IN {_in(TRUE)})::int AS tt, (lower(resp) IN {_in(FALSE)})::int AS ff,
              (resp IS NULL OR u !~ '[A-F]')::int AS bb FROM o1 OFFSET 0),
o AS (SELECT v, SUM(cu), SUM(cl), {OPTION_SUMS} FROM o2 GROUP BY v),""" + WALK

TOTALS = "SELECT COUNT(*), SUM(score), SUM(score * score) FROM attempts WHERE exam_id = {p} AND status = 'graded'"

ROWNUMBER = """
WITH a AS (SELECT id, score AS t FROM attempts WHERE exam_id = {p} AND status = 'graded'),
i AS (SELECT ai.question_version_id AS v, ai.score AS x, a.t - ai.score AS r FROM a JOIN attempt_items ai
      ON ai.attempt_id = a.id),
xs AS (SELECT v, x, ROW_NUMBER() OVER (PARTITION BY v ORDER BY x) AS k FROM i),
rs AS (SELECT v, r, ROW_NUMBER() OVER (PARTITION BY v ORDER BY r) AS k FROM i)
SELECT xs.v, SUM(xs.x * rs.r) FROM xs JOIN rs ON rs.v = xs.v AND rs.k = xs.k GROUP BY xs.v
"""


def connect(url: str):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database)
        for pragma in APP_PRAGMAS:  # the app's own settings (training/app.py), so both read the same way
            connection.execute(f"PRAGMA {pragma}")
        return connection, "?"
    import psycopg

    return psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False)), "%s"


def _figures(row: tuple) -> dict[str, Any]:
    n, sp, sx, sxx, sr, srr, sxr = (float(value or 0) for value in row[1:8])
    mx, mr = sx / n, sr / n
    vx, vr, cov = sxx / n - mx * mx, srr / n - mr * mr, sxr / n - mx * mr
    vx = vx if vx > 1e-12 * max(1.0, sxx / n) else 0.0
    vr = vr if vr > 1e-12 * max(1.0, srr / n) else 0.0
    covmax = float(row[-1]) / n - mx * mr if row[-1] is not None else 0.0
    counts = [int(value or 0) for value in row[11:-1]]
    return {"n": int(n), "facility": sx / sp if sp else None,
            "discrimination": cov / math.sqrt(vx * vr) if n >= 2 and vx > 0 and vr > 0 else None,
            "efficiency": cov / covmax if covmax > 1e-12 * max(1.0, abs(float(row[-1] or 0) / n)) else None,
            "counts": counts, "group": (int(row[9]), int(row[10])), "pooled": max(0.0, sxx - sx * sx / n)}


def run(url: str, exam_id: int) -> tuple[float, dict[str, Any]]:
    """Seconds for the whole baseline analysis (connection already open), and its figures."""
    connection, mark = connect(url)
    postgres = mark == "%s"
    try:
        began = time.perf_counter()
        cursor = connection.cursor()
        if postgres:  # the same transaction settings as the service: no JIT, 64 MB to hash and sort in
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(TOTALS.format(p=mark), (exam_id,))
        count, total, squares = cursor.fetchone()
        count, total, squares = int(count), float(total), float(squares)
        k = max(1, (27 * count + 50) // 100)
        params = {"exam": exam_id, "k": k, "upper_from": count - k}
        cursor.execute(POSTGRES if postgres else SQLITE, params)
        items = {row[0]: _figures(row) for row in cursor.fetchall()}
        mean, variance = total / count, squares / count - (total / count) ** 2
        per_attempt = sum(item["n"] for item in items.values()) / count
        pooled = sum(item["pooled"] for item in items.values()) / count
        alpha = per_attempt / (per_attempt - 1) * (1 - pooled / variance)
        result = {"attempts": count, "mean": mean, "sd": math.sqrt(variance), "alpha": alpha,
                  "sem": math.sqrt(variance) * math.sqrt(max(0.0, 1 - alpha)), "items": items}
        elapsed = time.perf_counter() - began
    finally:
        connection.close()
    return elapsed, result


def run_rownumber(url: str, exam_id: int) -> float:
    """Seconds for Σ of the sorted pairs alone by the ROW_NUMBER self-join (for comparison)."""
    connection, mark = connect(url)
    try:
        cursor = connection.cursor()
        if mark == "%s":
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        began = time.perf_counter()
        cursor.execute(ROWNUMBER.format(p=mark), (exam_id,)).fetchall()
        return time.perf_counter() - began
    finally:
        connection.close()


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b))


def compare(service, base: dict[str, Any]) -> list[str]:
    """Figures on which the service and the baseline disagree (by more than 1e-9, relative), by name."""
    wrong = [name for name in ("attempts", "mean", "sd", "alpha", "sem")
             if _differs(getattr(service, name), base[name])]
    for item in service.items:
        mine = base["items"].get(item.question_version_id)
        if mine is None or mine["n"] != item.responses:
            wrong.append(f"v{item.question_version_id}.n")
            continue
        wrong += [f"v{item.question_version_id}.{name}" for name in ("facility", "discrimination", "efficiency")
                  if _differs(getattr(item, name), mine[name])]
        letters = [o for o in item.options or [] if o.option in LETTERS]
        for option in letters:
            at = LETTERS.index(option.option) * 3
            if (option.count, option.upper, option.lower) != tuple(mine["counts"][at:at + 3]):
                wrong.append(f"v{item.question_version_id}.{option.option}")
    if len(base["items"]) != len(service.items):
        wrong.append("item count")
    return wrong
