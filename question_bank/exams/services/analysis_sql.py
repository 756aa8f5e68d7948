"""The SQL of item analysis (see ``analysis.py`` for the definitions), for SQLite and PostgreSQL.

Every statement aggregates in the database; what comes back is one row per question version (a few dozen sums).
The shape, shared by the per-exam and the per-version statements:

1. Per response: version ``v``, item score ``x``, rest score ``r``, item maximum ``p``, whether the attempt is
   in the upper / lower 27 % (``up`` / ``lo``), and the response as JSON text (``resp``).
2. Two passes over the responses: ``h``, a joint histogram ``GROUP BY v, x, r`` (count, Σp), and ``o0``,
   ``GROUP BY v, resp`` (count, in the upper and in the lower group) — a few distinct responses per choice
   question, so the option letters are looked for in a small table, not in every response.
3. From ``h``: the sums per version (n, Σx, Σx², Σr, Σr², Σxr), and the
   numerator of the maximum covariance — Σ x₍ⱼ₎·r₍ⱼ₎ with x and r each sorted ascending — as the overlap of
   the rank intervals of x's values and r's values (cumulative counts by a window over ``h``'s marginals):
   no per-response sort.
"""

from __future__ import annotations

import json

from question_bank.exams.models import GRADED

CHOICE_LETTERS = "ABCDEF"
#: Stored JSON texts (lower-cased) read as "true" / "false" for a true/false question: what the exam client
#: sends (JSON booleans) and the spellings ``TrueFalse.normalise_response`` accepts.
TRUE_TEXTS = ("true", *(json.dumps(text).lower() for text in ("true", "t", "正确", "对", "√", "是", "1")))
FALSE_TEXTS = ("false", *(json.dumps(text).lower() for text in ("false", "f", "错误", "错", "×", "否", "0")))
DOUBLE = "DOUBLE PRECISION"
#: ``SET LOCAL`` settings of the analysis transaction on PostgreSQL.
POSTGRES_SETTINGS = ("jit = off", "work_mem = '64MB'")
#: Per-version sum columns in the order ``version_sums_sql`` selects them (after ``v``).
MARKERS = (*CHOICE_LETTERS, "true", "false", "blank_choice")
SUM_COLUMNS = ("n", "sp", "sx", "sxx", "sr", "srr", "sxr", "v_", "n_up", "n_lo",
               *(f"{marker}_{group}" for marker in MARKERS for group in ("all", "up", "lo")), "sorted_xr")


def _quoted(texts: tuple[str, ...]) -> str:
    return ", ".join("'" + text.replace("'", "''") + "'" for text in texts)


class Dialect:
    """The few fragments that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str):
        self.postgres = name == "postgresql"

    def response_text(self, column: str) -> str:
        return f"CAST({column} AS TEXT)" if self.postgres else column

    @property
    def fence(self) -> str:
        """Keeps a subquery from being merged into its outer query (so its expressions are computed once)."""
        return "OFFSET 0" if self.postgres else "LIMIT -1"

    def join(self) -> str:
        """An inner join that SQLite must run in the written order (attempts first, then their items)."""
        return "JOIN" if self.postgres else "CROSS JOIN"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"max({a}, {b})"

    def has_letter(self, text: str, letter: str) -> str:
        return f"strpos({text}, '{letter}') > 0" if self.postgres else f"instr({text}, '{letter}') > 0"

    def no_letter(self, text: str) -> str:
        return f"{text} !~ '[A-F]'" if self.postgres else f"{text} NOT GLOB '*[A-F]*'"


def _markers(dialect: Dialect, resp: str) -> list[str]:
    """Per-response 0/1 expressions over ``resp`` (JSON text), in ``MARKERS`` order: option letters (only in a
    JSON string or list, upper-cased, as ``ChoiceType.normalise_response`` reads them), true, false, and no
    letter at all (a blank choice response)."""
    letters = f"(CASE WHEN substr({resp}, 1, 1) IN ('\"', '[') THEN upper({resp}) ELSE '' END)"
    expressions = [dialect.has_letter(letters, letter) for letter in CHOICE_LETTERS]
    expressions += [f"lower({resp}) IN ({_quoted(TRUE_TEXTS)})", f"lower({resp}) IN ({_quoted(FALSE_TEXTS)})",
                    f"{resp} IS NULL OR {dialect.no_letter(letters)}"]
    return [f"CASE WHEN {expression} THEN 1 ELSE 0 END" for expression in expressions]


def _aggregate(dialect: Dialect, columns: dict[str, str], source: str) -> str:
    """Steps 2 and 3: ``columns`` are the expressions of v, x, r, p, up, lo and resp over ``source`` (a FROM
    clause); one row per version with ``SUM_COLUMNS``.

    Σ of the sorted pairs: the marginals of x and of r per version, each as blocks (value, cumulative count
    ``hi``); merged and walked from the top rank down, the values in force on the ranks (next boundary, hi]
    are the smallest x and r among the blocks ending at or above hi (running MIN, values ascend with ``hi``).
    """
    markers = _markers(dialect, "resp")
    marker_columns = ", ".join(f"{expression} AS m{index}" for index, expression in enumerate(markers))
    marker_sums = ", ".join(f"SUM(m{index} * c) AS m{index}_all, SUM(m{index} * cu) AS m{index}_up, "
                            f"SUM(m{index} * cl) AS m{index}_lo" for index in range(len(markers)))
    walk = "PARTITION BY v ORDER BY hi DESC, kind"
    c = columns
    return f"""h AS (SELECT {c['v']} AS v, {c['x']} AS x, {c['r']} AS r, COUNT(*) AS c, SUM({c['p']}) AS sp
      FROM {source} GROUP BY 1, 2, 3),
o0 AS (SELECT {c['v']} AS v, {c['resp']} AS resp, COUNT(*) AS c, SUM({c['up']}) AS cu, SUM({c['lo']}) AS cl
       FROM {source} GROUP BY 1, 2),
om AS (SELECT v, c, cu, cl, {marker_columns} FROM o0 {dialect.fence}),
o AS (SELECT v, SUM(cu) AS n_up, SUM(cl) AS n_lo, {marker_sums} FROM om GROUP BY v),
s AS (SELECT v, SUM(c) AS n, SUM(sp) AS sp, SUM(c * x) AS sx, SUM(c * x * x) AS sxx, SUM(c * r) AS sr,
             SUM(c * r * r) AS srr, SUM(c * x * r) AS sxr
      FROM h GROUP BY v),
xs AS (SELECT v, x, SUM(c) AS c FROM h GROUP BY v, x),
rs AS (SELECT v, r, SUM(c) AS c FROM h GROUP BY v, r),
ends AS (SELECT v, 0 AS kind, x AS xv, NULL AS rv,
                SUM(c) OVER (PARTITION BY v ORDER BY x ROWS UNBOUNDED PRECEDING) AS hi FROM xs
         UNION ALL
         SELECT v, 1 AS kind, NULL AS xv, r AS rv,
                SUM(c) OVER (PARTITION BY v ORDER BY r ROWS UNBOUNDED PRECEDING) AS hi FROM rs),
walk AS (SELECT v, hi - COALESCE(LEAD(hi) OVER ({walk}), 0) AS span,
                MIN(xv) OVER ({walk} ROWS UNBOUNDED PRECEDING) AS xv,
                MIN(rv) OVER ({walk} ROWS UNBOUNDED PRECEDING) AS rv FROM ends),
m AS (SELECT v, SUM(xv * rv * span) AS sorted_xr FROM walk GROUP BY v)
SELECT s.*, o.*, m.sorted_xr FROM s JOIN o ON o.v = s.v LEFT JOIN m ON m.v = s.v"""


def exam_sql(dialect: Dialect) -> str:
    """Sums per version over the graded attempts of ``:exam_id``: attempts ranked by total (ties by id);
    the lowest ``:k`` are the lower 27 % group, those ranked above ``:upper_from`` (= N − k) the upper."""
    score = f"CAST(COALESCE(ai.score, 0) AS {DOUBLE})"
    columns = {"v": "ai.question_version_id", "x": score, "r": f"a.t - {score}", "p": f"CAST(ai.points AS {DOUBLE})",
               "up": "CASE WHEN a.rk > :upper_from THEN 1 ELSE 0 END", "lo": "CASE WHEN a.rk <= :k THEN 1 ELSE 0 END",
               "resp": dialect.response_text("ai.response")}
    return f"""WITH a AS (
  SELECT id, CAST(score AS {DOUBLE}) AS t, ROW_NUMBER() OVER (ORDER BY score, id) AS rk
  FROM attempts WHERE exam_id = :exam_id AND status = '{GRADED}'),
""" + _aggregate(dialect, columns, f"a {dialect.join()} attempt_items ai ON ai.attempt_id = a.id")


def exam_totals_sql() -> str:
    """Graded attempts of ``:exam_id``: count, Σ total, Σ total², and the latest grading time (the cache's
    fingerprint, with the count)."""
    return (f"SELECT COUNT(*), SUM(CAST(score AS {DOUBLE})), SUM(CAST(score AS {DOUBLE}) * CAST(score AS {DOUBLE})),"
            f" MAX(graded_at) FROM attempts WHERE exam_id = :exam_id AND status = '{GRADED}'")


def _fractions(where: str) -> str:
    """Per-response rows over every graded attempt, as fractions: x/p, (X − x)/(max − p), X/max."""
    score = f"CAST(COALESCE(ai.score, 0) AS {DOUBLE})"
    return f"""SELECT ai.question_version_id AS v, ai.attempt_id AS aid,
         CASE WHEN ai.points > 0 THEN {score} / CAST(ai.points AS {DOUBLE}) ELSE 0 END AS x,
         CASE WHEN a.max_score > ai.points
              THEN (CAST(a.score AS {DOUBLE}) - {score}) / CAST(a.max_score - ai.points AS {DOUBLE}) ELSE 0 END AS r,
         CASE WHEN a.max_score > 0 THEN CAST(a.score AS {DOUBLE}) / CAST(a.max_score AS {DOUBLE}) ELSE 0 END AS f,
         ai.response AS response
  FROM attempt_items ai JOIN attempts a ON a.id = ai.attempt_id
  WHERE a.status = '{GRADED}' AND {where}"""


def versions_sql(dialect: Dialect, where: str) -> str:
    """Sums per version across exams for the versions matching ``where`` (on ``ai``); the 27 % groups are
    ranked within each version's attempts by X/max (ties by attempt id)."""
    k = dialect.greatest("1", "(27 * i1.n + 50) / 100")
    columns = {"v": "i1.v", "x": "i1.x", "r": "i1.r", "p": "1.0",
               "up": f"CASE WHEN i1.rk > i1.n - {k} THEN 1 ELSE 0 END",
               "lo": f"CASE WHEN i1.rk <= {k} THEN 1 ELSE 0 END", "resp": dialect.response_text("i1.response")}
    return f"""WITH i0 AS ({_fractions(where)}),
i1 AS (SELECT i0.*, ROW_NUMBER() OVER (PARTITION BY v ORDER BY f, aid) AS rk,
              COUNT(*) OVER (PARTITION BY v) AS n FROM i0),
""" + _aggregate(dialect, columns, "i1")


def version_moments_sql(where: str) -> str:
    """The light aggregate behind the bank browser's flags: per version (with its question and number) n, Σx,
    Σx², Σr, Σr², Σxr (fractions)."""
    return f"""SELECT i.v, qv.question_id, qv.number, COUNT(*) AS n, SUM(i.x) AS sx, SUM(i.x * i.x) AS sxx,
       SUM(i.r) AS sr, SUM(i.r * i.r) AS srr, SUM(i.x * i.r) AS sxr
FROM ({_fractions(where)}) AS i JOIN question_versions qv ON qv.id = i.v
GROUP BY i.v, qv.question_id, qv.number"""
