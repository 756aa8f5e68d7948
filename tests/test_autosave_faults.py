"""No acknowledged autosave is lost when gunicorn workers are killed mid-request (PERFORMANCE.md: "prove it for
our code by counting").

gunicorn (3 sync workers) serves a fresh, migrated database with the demo data, 40 candidates and their
started attempts (50 items each); 6 client threads save distinct values with increasing sequence numbers while
a random worker gets SIGKILL every ~2 s, and retry on connection errors. Then the database is read and every
acknowledged save must be there (the scenario and its counting: ``bench/faults.py``; ``make bench`` runs it
longer).

The database is the test run's kind but not its database: on SQLite a temporary file; on PostgreSQL
(``TEST_DATABASE_URL``) a database of its own created next to the test database on the same server and dropped
afterwards, because gunicorn's workers commit for real while the suite's database is emptied between tests.
Skipped when gunicorn is not installed or there is no /proc to find the workers in.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from bench.faults import scenario
from bench.harness import BIN, prepared_database, sibling_database

pytestmark = [
    pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason=f"gunicorn is not installed in {BIN}"),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find gunicorn's workers"),
]


def test_no_acknowledged_save_is_lost_when_workers_are_killed(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL", "").strip() or None
    with sibling_database(url, f"faults_{os.getpid()}") as own, prepared_database(own) as env:
        report = scenario(env, seconds=12, candidates=40, threads=6, log_path=tmp_path / "gunicorn.log")
    summary = report.summary()
    print(summary)  # shown with -rA / -s: the counts of the run
    assert report.kills >= 3, f"too few kills: {summary}"
    assert report.acknowledged >= 100, f"too few saves acknowledged to prove anything: {summary}"
    assert report.anomalies == [], f"unexpected answers: {report.anomalies[:10]} ({summary})"
    expected = report.acknowledged + report.confirmed_on_retry
    assert report.found == expected, (
        f"acknowledged {expected} (of which {report.confirmed_on_retry} confirmed on retry), found "
        f"{report.found}: {report.missing[:10]} ({summary})")
    if report.failed_requests == 0:
        warnings.warn(f"no request failed during the kills, none was in flight: {summary}", stacklevel=1)
