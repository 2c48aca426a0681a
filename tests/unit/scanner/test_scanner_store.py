"""Where scans live on the kiosk, and what may be deleted by reference."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.scanner.document import ScannedDocument
from services.scanner.store import ScanStore, UnsafePath

DOC = ScannedDocument(pdf=b"%PDF-1.4 fake", thumbnail=b"\xff\xd8 fake", pages=1, blank_pages_dropped=0)


def test_document_is_saved_under_its_session_and_re_scan_replaces_it(tmp_path: Path) -> None:
    """save_document writes <scans>/<session>/<key>.pdf/.jpg and returns var-relative refs; a re-scan replaces."""
    store = ScanStore(tmp_path)
    pdf_ref, thumb_ref, sha = store.save_document("c1", "giay_khai_sinh", DOC)
    assert (pdf_ref, thumb_ref) == ("scans/c1/giay_khai_sinh.pdf", "scans/c1/giay_khai_sinh.jpg")
    store.save_document("c1", "giay_khai_sinh", ScannedDocument(b"%PDF new", b"t", 1, 0))
    assert (tmp_path / pdf_ref).read_bytes() == b"%PDF new"
    assert sorted(p.name for p in (tmp_path / "scans/c1").iterdir()) == ["giay_khai_sinh.jpg", "giay_khai_sinh.pdf"]


@pytest.mark.parametrize("corr", ["../etc", "a/b", "..", ".hidden", "", "x" * 200])
def test_unsafe_correlation_ids_are_refused(tmp_path: Path, corr: str) -> None:
    """A correlation id that is not one plain file name component is refused."""
    with pytest.raises(UnsafePath):
        ScanStore(tmp_path).session_dir(corr)


@pytest.mark.parametrize("ref", ["scans/../secrets.pdf", "../outside/x.pdf", "/etc/passwd", "scans/c1/../../x.pdf",
                                 "scans/c1/x.jpg", "printer/c1/x.pdf", "scans/x.pdf"])
def test_delete_refuses_references_outside_the_scans_directory(tmp_path: Path, ref: str) -> None:
    """Deleting by reference refuses traversal and anything that is not a session's PDF."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/x.pdf").write_bytes(b"keep")
    with pytest.raises(UnsafePath):
        ScanStore(tmp_path).delete_document(ref)
    assert (tmp_path / "outside/x.pdf").exists()


def test_deleting_the_last_scan_removes_the_session_dir_and_is_idempotent(tmp_path: Path) -> None:
    """After the last delivered scan is deleted the session dir goes too; deleting again is harmless."""
    store = ScanStore(tmp_path)
    a, _, _ = store.save_document("c1", "a", DOC)
    b, _, _ = store.save_document("c1", "b", DOC)
    store.save_outcome("c1", "m1", {"type": "document.scanned", "payload": {}})
    assert store.delete_document(a) is True
    assert (tmp_path / "scans/c1/b.pdf").exists() and not (tmp_path / "scans/c1/a.jpg").exists()
    assert store.delete_document(b) is True
    assert not (tmp_path / "scans/c1").exists()
    assert store.delete_document(b) is False


def test_outcome_round_trip_and_discard(tmp_path: Path) -> None:
    """An outcome saved for a command is found again; discarding the session removes everything."""
    store = ScanStore(tmp_path)
    store.save_outcome("c2", "m9", {"type": "document.scan_failed", "payload": {"reason": "unreadable"}})
    assert store.load_outcome("c2", "m9") == {"type": "document.scan_failed", "payload": {"reason": "unreadable"}}
    assert store.load_outcome("c2", "other") is None
    assert store.discard_session("c2") is True
    assert not (tmp_path / "scans/c2").exists() and store.discard_session("c2") is False
