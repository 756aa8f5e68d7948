"""Item analysis equals a straightforward reference implementation, written here in plain Python from the
definitions (two-pass means and variances, explicit sorting and ranking), on small data: a fixed paper and a
random paper sharing versions, partial scores, blanks and odd responses, tied totals, attempts not graded yet."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from question_bank.exams.models import GRADED, IN_PROGRESS, SUBMITTED, Attempt, AttemptItem
from question_bank.exams.services import analysis
from question_bank.models import QuestionVersion
from question_bank.types import LETTERS, QUESTION_TYPES
from tests.factories import make_exam, make_user
from training.core.clock import utcnow
from training.extensions import db

TOL = 1e-9
POINTS = {"single": Decimal("2"), "multiple": Decimal("3"), "true_false": Decimal("1"), "fill_blank": Decimal("2")}


# ---------------------------------------------------------------- building attempts with known scores

def response_and_score(rng: random.Random, version: QuestionVersion, ability: float, points: Decimal):
    """A response and a score (partial credit on multiple and fill-in), sometimes blank or odd."""
    right = rng.random() < 1 / (1 + math.exp(-(ability - (version.difficulty - 3) / 2)))
    if rng.random() < 0.08:
        return rng.choice([None, "", []]), Decimal("0")
    if version.type == "true_false":
        spelled = rng.choice([version.key, "正确" if version.key else "错", "TRUE" if version.key else "false"])
        return (spelled if right else (not version.key)), points if right else Decimal("0")
    if version.type == "single":
        wrong = rng.choice([letter for letter in "ABCD" if letter != version.key])
        return (rng.choice([version.key, version.key.lower(), [version.key]]) if right else wrong,
                points if right else Decimal("0"))
    if version.type == "multiple":
        if right:
            return version.key, points
        partial = rng.random() < 0.5
        return ("AB" if partial else "D"), (points * 2 / 3).quantize(Decimal("0.01")) if partial else Decimal("0")
    return ["一网通办"] if right else ["不知道"], points if right else rng.choice([Decimal("0"), Decimal("1")])


def add_attempt(exam, user, number: int, items: list[tuple[QuestionVersion, object, Decimal]], status=GRADED):
    """One attempt with ``items`` (version, response, score); totals from the item scores."""
    now = utcnow().replace(microsecond=0)
    total = sum((score for _v, _r, score in items), Decimal("0"))
    maximum = sum((POINTS[v.type] for v, _r, _s in items), Decimal("0"))
    attempt = Attempt(exam_id=exam.id, user_id=user.id, number=number, status=status, started_at=now,
                      deadline_at=now + timedelta(hours=1), score=total if status == GRADED else None,
                      max_score=maximum, graded_at=now if status == GRADED else None,
                      items=[AttemptItem(position=position, question_id=version.question_id,
                                         question_version_id=version.id, points=POINTS[version.type],
                                         response=response, score=score if status == GRADED else None)
                             for position, (version, response, score) in enumerate(items, start=1)])
    db.session.add(attempt)
    db.session.commit()
    return attempt


def seed_exams(org, bank, seed: int = 7):
    """A fixed-paper exam (8 versions for everyone, 40 graded attempts) and a random-paper exam (each of 30
    graded attempts gets 6 of the 24 versions, positions shuffled), plus attempts not graded yet. The first
    fixed-paper question is answered right mostly by the weakest candidates (negative discrimination)."""
    rng = random.Random(seed)
    versions = [db.session.get(QuestionVersion, q.versions[0].id) for q in bank]
    users = [make_user(org.qc_division, employee_no=f"C{n:03d}", name=f"考生{n}") for n in range(40)]
    fixed = make_exam(org.qc, paper_mode="fixed", title="固定卷")
    drawn = make_exam(org.qc, paper_mode="random", title="随机卷")
    paper = [versions[index] for index in (0, 1, 6, 7, 12, 13, 18, 19)]
    for number, user in enumerate(users):
        ability = rng.gauss(0, 1.2)
        items = [(version, *response_and_score(rng, version, ability, POINTS[version.type])) for version in paper]
        if number % 10 == 0:  # a tie on purpose: same total as the previous attempt
            items = [(version, None, Decimal("0")) for version in paper[:-1]] + [(paper[-1], None, Decimal("4"))]
        version, _response, _score = items[0]
        items[0] = (version, "A", POINTS["single"]) if ability < -0.3 else (version, "B", Decimal("0"))
        add_attempt(fixed, user, 1, items)
    for user in users[:30]:
        ability = rng.gauss(0, 1)
        chosen = rng.sample(versions, 6)
        add_attempt(drawn, user, 1, [(version, *response_and_score(rng, version, ability, POINTS[version.type]))
                                     for version in chosen])
    add_attempt(fixed, users[0], 2, [(paper[0], "A", Decimal("0"))], status=SUBMITTED)
    add_attempt(drawn, users[0], 2, [(versions[1], "B", Decimal("0"))], status=IN_PROGRESS)
    return fixed, drawn


# ---------------------------------------------------------------- the reference implementation

def mean(values):
    return sum(values) / len(values)


def pvariance(values):
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def covariance(xs, ys):
    mx, my = mean(xs), mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / len(xs)


def pearson(xs, ys):
    if len(xs) < 2 or pvariance(xs) == 0 or pvariance(ys) == 0:
        return None
    return covariance(xs, ys) / math.sqrt(pvariance(xs) * pvariance(ys))


def efficiency(xs, ys):
    covmax = covariance(sorted(xs), sorted(ys))
    return covariance(xs, ys) / covmax if covmax > 1e-12 else None


def group_size(count: int) -> int:
    return max(1, int((Decimal(count) * Decimal("0.27")).quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


def chosen(kind: str, response) -> set[str]:
    if kind == "true_false":
        value = QUESTION_TYPES["true_false"].normalise_response(response)
        return {"true"} if value is True else {"false"} if value is False else set()
    return set(QUESTION_TYPES[kind].normalise_response(response) or "")


def reference_item(version, rows, upper: set[int], lower: set[int]):
    """rows: (attempt id, x, rest, p, response)."""
    xs, rests = [x for _a, x, _r, _p, _resp in rows], [r for _a, _x, r, _p, _resp in rows]
    facility = sum(xs) / sum(p for *_rest, p, _resp in rows)
    figures = {"responses": len(rows), "facility": facility, "discrimination": pearson(xs, rests),
               "efficiency": efficiency(xs, rests)}
    if version.type in ("single", "multiple", "true_false"):
        names = ["true", "false"] if version.type == "true_false" else list(LETTERS[:len(version.options)])
        picks = [(aid, chosen(version.type, resp)) for aid, _x, _r, _p, resp in rows]
        figures["options"] = [
            (name, (name == "true") == version.key if version.type == "true_false" else name in version.key,
             sum(name in p for _a, p in picks), sum(name in p for a, p in picks if a in upper),
             sum(name in p for a, p in picks if a in lower)) for name in names]
        figures["blank"] = (sum(not p for _a, p in picks), sum(not p for a, p in picks if a in upper),
                            sum(not p for a, p in picks if a in lower))
    else:
        figures["options"] = figures["blank"] = None
    d = figures["discrimination"]
    figures["flags"] = [] if len(rows) < 10 else (
        (["negative_discrimination"] if d is not None and d < 0 else [])
        + (["weak_discrimination"] if d is not None and 0 <= d < 0.2 else [])
        + (["too_easy"] if facility > 0.95 else []) + (["too_hard"] if facility < 0.15 else []))
    return figures


def reference_exam(exam):
    attempts = [a for a in db.session.scalars(db.select(Attempt).where(Attempt.exam_id == exam.id))
                if a.status == GRADED]
    totals = [float(a.score) for a in attempts]
    ranked = sorted(attempts, key=lambda a: (a.score, a.id))
    k = group_size(len(attempts))
    lower, upper = {a.id for a in ranked[:k]}, {a.id for a in ranked[-k:]}
    per_version: dict[int, list] = {}
    for a in attempts:
        for item in a.items:
            x = float(item.score)
            per_version.setdefault(item.question_version_id, []).append(
                (a.id, x, float(a.score) - x, float(item.points), item.response))
    items = {vid: reference_item(db.session.get(QuestionVersion, vid), rows, upper, lower)
             for vid, rows in per_version.items()}
    n_items = sum(len(rows) for rows in per_version.values()) / len(attempts)
    pooled = sum(pvariance([x for _a, x, *_ in rows]) * len(rows) for rows in per_version.values()) / len(attempts)
    alpha = n_items / (n_items - 1) * (1 - pooled / pvariance(totals))
    return {"attempts": len(attempts), "mean": mean(totals), "sd": math.sqrt(pvariance(totals)), "alpha": alpha,
            "sem": math.sqrt(pvariance(totals)) * math.sqrt(1 - alpha), "items": items, "k": k}


def reference_versions(question_id: int):
    """Per version of the question across every exam, with fractions."""
    rows: dict[int, list] = {}
    for item in db.session.scalars(db.select(AttemptItem).where(AttemptItem.question_id == question_id)):
        a = item.attempt
        if a.status != GRADED:
            continue
        x, p, total, maximum = float(item.score), float(item.points), float(a.score), float(a.max_score)
        rest = (total - x) / (maximum - p) if maximum > p else 0.0
        rows.setdefault(item.question_version_id, []).append((a.id, x / p, rest, total / maximum, item.response))
    result = {}
    for vid, entries in rows.items():
        ranked = sorted(entries, key=lambda e: (e[3], e[0]))
        k = group_size(len(entries))
        lower, upper = {e[0] for e in ranked[:k]}, {e[0] for e in ranked[-k:]}
        result[vid] = reference_item(db.session.get(QuestionVersion, vid),
                                     [(aid, y, r, 1.0, resp) for aid, y, r, _f, resp in entries], upper, lower)
    return result


# ---------------------------------------------------------------- comparisons

def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL


def assert_item(item, ref):
    assert item.responses == ref["responses"]
    for name in ("facility", "discrimination", "efficiency"):
        assert close(getattr(item, name), ref[name]), (item.question_version_id, name, getattr(item, name), ref[name])
    if ref["options"] is None:
        assert item.options is None and item.blank is None
    else:
        assert [(o.option, o.key, o.count, o.upper, o.lower) for o in item.options] == ref["options"]
        assert (item.blank.count, item.blank.upper, item.blank.lower) == ref["blank"]
    assert item.flags == ref["flags"]


@pytest.fixture
def seeded(app_ctx, org, bank):
    return seed_exams(org, bank)


def test_exam_figures_equal_the_reference(seeded):
    for exam in seeded:
        ref = reference_exam(exam)
        result = analysis.analyse_exam(exam.id)
        assert result.attempts == ref["attempts"] and result.group_size == ref["k"]
        for name in ("mean", "sd", "alpha", "sem"):
            assert close(getattr(result, name), ref[name]), (exam.title, name)
        assert {item.question_version_id for item in result.items} == set(ref["items"])
        for item in result.items:
            assert_item(item, ref["items"][item.question_version_id])


def test_the_data_exercises_every_figure(seeded):
    """The comparisons above are not vacuous: ties at the group boundary, blanks, partial scores, flags."""
    fixed, drawn = seeded
    ref = reference_exam(fixed)
    first = ref["items"][min(ref["items"])]
    assert "negative_discrimination" in first["flags"]
    assert any(item["blank"] and item["blank"][0] for item in ref["items"].values())
    scores = {float(i.score) for i in db.session.scalars(db.select(AttemptItem)) if i.score is not None}
    assert 2.0 in scores and any(s not in (0.0, 1.0, 2.0, 3.0) for s in scores)
    totals = sorted(float(a.score) for a in db.session.scalars(db.select(Attempt).where(
        Attempt.exam_id == fixed.id, Attempt.status == GRADED)))
    assert totals[ref["k"] - 1] == totals[ref["k"]]  # a tie across the lower group's boundary
    assert all(item.efficiency is not None for item in analysis.analyse_exam(drawn.id).items
               if item.discrimination is not None)


def test_per_version_figures_across_exams_equal_the_reference(seeded, bank):
    shared = [question for question in bank
              if db.session.scalar(db.select(db.func.count(db.distinct(Attempt.exam_id))).select_from(AttemptItem)
                                   .join(Attempt).where(AttemptItem.question_id == question.id)) == 2]
    assert shared, "some versions must appear in both exams"
    for question in bank:
        ref = reference_versions(question.id)
        stats = analysis.version_statistics(question.id)
        assert {s.question_version_id for s in stats} == set(ref)
        for item in stats:
            assert_item(item, ref[item.question_version_id])


def test_bank_flags_agree_with_the_version_figures(seeded, bank):
    flags = analysis.question_flags([question.id for question in bank])
    assert flags, "the seeded data flags some versions"
    for question in bank:
        expected = [(item.version, flag) for item in analysis.version_statistics(question.id)
                    for flag in item.flags]
        assert flags.get(question.id, []) == sorted(expected)


def test_no_graded_attempts_gives_empty_figures(app_ctx, org, bank):
    exam = make_exam(org.qc)
    result = analysis.analyse_exam(exam.id)
    assert (result.attempts, result.alpha, result.sem, result.items) == (0, None, None, [])


def test_undefined_figures_are_none(app_ctx, org, bank):
    """One graded attempt: no variance anywhere, so no discrimination, efficiency or alpha; no flags under
    10 responses."""
    exam = make_exam(org.qc)
    user = make_user(org.qc_division, employee_no="C900")
    version = db.session.get(QuestionVersion, bank[0].versions[0].id)
    other = db.session.get(QuestionVersion, bank[6].versions[0].id)
    add_attempt(exam, user, 1, [(version, "A", Decimal("2")), (other, "AB", Decimal("2"))])
    result = analysis.analyse_exam(exam.id)
    assert result.attempts == 1 and result.alpha is None and result.sd == 0
    assert all(item.discrimination is None and item.efficiency is None and item.flags == []
               for item in result.items)


def test_a_new_graded_attempt_is_seen_at_once(seeded, examiner):
    fixed, _drawn = seeded
    before = analysis.exam_item_analysis(examiner, fixed.id)
    assert analysis.exam_item_analysis(examiner, fixed.id) is before  # cached
    user = make_user(examiner.department, employee_no="C950")
    version = db.session.get(QuestionVersion, before.items[0].question_version_id)
    add_attempt(fixed, user, 1, [(version, "B", Decimal("0"))])
    after = analysis.exam_item_analysis(examiner, fixed.id)
    assert after.attempts == before.attempts + 1
