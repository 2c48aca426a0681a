"""Appointment dates (ngay hen tra ket qua): working days from the receipt, weekends skipped.

Pure logic. Public holidays and make-up working Saturdays are not known here: they plug in as a
WorkCalendar built from a data file (Vietnam moves days every year, so they cannot be a rule).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset needs no tz database.
VN_TZ = timezone(timedelta(hours=7), "ICT")
OFFICE_CLOSES_AT = time(17, 0)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days the office works, and when it closes."""

    holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()  # make-up working Saturdays (lam bu)
    closes_at: time = OFFICE_CLOSES_AT

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_working_days:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def first_day(self, received_at: datetime) -> date:
        """The working day a dossier counts from: today, or the next one after hours or on a day off."""
        local = to_local(received_at)
        if self.is_working_day(local.date()) and local.time() < self.closes_at:
            return local.date()
        return self.next_working_day(local.date())


WEEKDAYS = WorkCalendar()


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is needed")
    return moment.astimezone(VN_TZ)


def local_day(moment: datetime) -> date:
    """The date in Vietnam of a moment (dossier codes and queue numbers restart each local day)."""
    return to_local(moment).date()


def due_date(received_at: datetime, working_days: int, calendar: WorkCalendar = WEEKDAYS) -> date:
    """The appointment date: `working_days` working days after the day the dossier counts from (0 = that day)."""
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    d = calendar.first_day(received_at)
    for _ in range(working_days):
        d = calendar.next_working_day(d)
    return d
