"""The scanner's user-facing messages exist for every failure it can report."""
from __future__ import annotations

from typing import get_args

from shared.i18n import t
from shared.messages import DocumentScanFailed


def test_every_scan_failure_reason_has_a_vietnamese_message() -> None:
    """Each DocumentScanFailed reason has a non-empty message in shared/locale/vi/scanner.json."""
    reasons = get_args(DocumentScanFailed.model_fields["reason"].annotation)
    assert set(reasons) == {"feeder_empty", "unreadable", "too_many_pages", "too_large", "device_error"}
    for reason in reasons:
        assert t(f"scanner.scan_failed.{reason}").strip()
