"""Appointment dates: working days counted from the receipt, weekends and after-hours handled."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.schedule import VN_TZ, WorkCalendar, due_date, local_day


def _vn(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


# 2025-06-06 is a Friday.
@pytest.mark.parametrize(("received", "days", "expected"), [
    (_vn(2025, 6, 6, 14), 3, date(2025, 6, 11)),   # Friday afternoon + 3 -> Wednesday
    (_vn(2025, 6, 6, 17, 30), 3, date(2025, 6, 12)),  # Friday after hours counts from Monday -> Thursday
    (_vn(2025, 6, 7, 9), 1, date(2025, 6, 10)),     # Saturday counts from Monday -> Tuesday
    (_vn(2025, 6, 8, 9), 0, date(2025, 6, 9)),      # Sunday, 0 days -> Monday
    (_vn(2025, 6, 4, 9), 0, date(2025, 6, 4)),      # Wednesday morning, 0 days -> the same day
    (_vn(2025, 6, 4, 16, 59), 2, date(2025, 6, 6)),  # just before closing still counts today
    (_vn(2025, 6, 2, 8), 10, date(2025, 6, 16)),    # two whole weeks
])
def test_due_date_skips_weekends_and_after_hours(received: datetime, days: int, expected: date) -> None:
    """The due date counts working days from the right first day."""
    assert due_date(received, days) == expected


def test_utc_times_are_read_in_vietnam_time() -> None:
    """11:00 UTC on Friday is 18:00 in Vietnam: after hours, so it counts from Monday."""
    friday_utc = datetime(2025, 6, 6, 11, 0, tzinfo=UTC)
    assert local_day(friday_utc) == date(2025, 6, 6)
    assert due_date(friday_utc, 1) == date(2025, 6, 10)
    assert local_day(datetime(2025, 6, 6, 17, 30, tzinfo=UTC)) == date(2025, 6, 7)


def test_holidays_and_make_up_days_plug_in() -> None:
    """A calendar with holidays skips them; a make-up working Saturday counts."""
    cal = WorkCalendar(holidays=frozenset({date(2025, 9, 1), date(2025, 9, 2)}),
                       extra_working_days=frozenset({date(2025, 8, 30)}))
    assert due_date(_vn(2025, 8, 29, 10), 1, cal) == date(2025, 8, 30)
    assert due_date(_vn(2025, 8, 29, 10), 2, cal) == date(2025, 9, 3)


def test_naive_times_and_negative_days_are_refused() -> None:
    """Ambiguous input is an error, not a guess."""
    with pytest.raises(ValueError):
        due_date(datetime(2025, 6, 6, 9), 1)
    with pytest.raises(ValueError):
        due_date(_vn(2025, 6, 6, 9), -1)
    assert _vn(2025, 6, 6, 9).utcoffset() == timedelta(hours=7)
