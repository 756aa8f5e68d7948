"""The parent and organisation comparison never reveals a small group by difference."""

from __future__ import annotations

import pytest

from training.reports.report_types import Figures
from training.reports.services.figures import comparable


def figures(headcount: int) -> Figures:
    return Figures(headcount=headcount, suppressed=False, required_enrolments=10, completion_rate=50.0,
                   hours_avg=12.0, hours_at_target_rate=10.0, exam_participants=4, exam_participation_rate=40.0,
                   exam_pass_rate=75.0)


@pytest.mark.parametrize(("wider", "own", "hidden"), [(23, 20, True), (24, 20, True), (25, 20, False),
                                                      (20, 20, False), (100, 20, False)])
def test_wider_group_is_suppressed_when_it_adds_fewer_than_five_people(wider, own, hidden):
    shown = comparable(figures(wider), figures(own))
    assert shown.suppressed is hidden
    assert (shown.hours_avg is None) is hidden and shown.headcount == wider
