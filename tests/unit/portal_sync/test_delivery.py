"""Pure delivery rules of portal_sync: retry timing, document paths, change-feed events."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.portal_sync.delivery import DeliveryError, PortalChange, backoff_s, document_path, status_event


def test_backoff_doubles_from_one_second_up_to_sixty() -> None:
    """Without jitter the upper bound is 1, 2, 4, ... seconds, never more than 60."""
    assert [backoff_s(n, rand=lambda: 1.0) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff_s(10_000, rand=lambda: 1.0) == 60


def test_backoff_jitter_keeps_at_least_half_the_nominal_delay() -> None:
    """Jitter spreads a retry between half and all of the nominal delay."""
    assert backoff_s(3, rand=lambda: 0.0) == 2.0
    assert backoff_s(3, rand=lambda: 0.5) == 3.0
    assert all(2.0 <= backoff_s(3) <= 4.0 for _ in range(200))


def test_backoff_honours_configured_base_and_cap() -> None:
    """The base and the cap come from configuration."""
    assert backoff_s(1, base_s=0.5, max_s=3, rand=lambda: 1.0) == 0.5
    assert backoff_s(5, base_s=0.5, max_s=3, rand=lambda: 1.0) == 3


def test_document_path_stays_inside_the_var_dir(tmp_path: Path) -> None:
    """A relative reference resolves under var_dir; absolute or climbing references are refused."""
    assert document_path(tmp_path, "scans/s1/giay_khai_sinh.pdf") == tmp_path / "scans" / "s1" / "giay_khai_sinh.pdf"
    for hostile in ("/etc/passwd", "../secret.pdf", "scans/../../x.pdf", "", "scans\\..\\x.pdf", "a\x00b"):
        with pytest.raises(DeliveryError):
            document_path(tmp_path, hostile)


def test_status_event_carries_the_portal_sequence() -> None:
    """A change of the portal feed becomes dossier.status_changed with portal_seq = the feed's seq."""
    at = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    change = PortalChange(seq=42, dossier_code="000.00.19.H47-260105-0001", status="in_processing", at=at,
                          actor="Cán bộ một cửa", note="Đang thẩm định")
    event = status_event(change)
    assert (event.dossier_code, event.status, event.at, event.actor, event.note, event.portal_seq) == (
        "000.00.19.H47-260105-0001", "in_processing", at, "Cán bộ một cửa", "Đang thẩm định", 42)
