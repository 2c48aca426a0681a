"""Queue tickets (so thu tu): numbers per service area, restarting every day. Pure logic."""
from __future__ import annotations

from datetime import date


def ticket_number(prefix: str, seq: int) -> str:
    """A001, A002, ... (a fourth digit appears after 999 rather than wrapping to a duplicate)."""
    return f"{prefix}{seq:03d}"


def ticket_job_id(day: date, number: str) -> str:
    return f"ticket-{day:%Y%m%d}-{number}"
