"""The scanner service on the real RabbitMQ, with the simulated camera and feeder and the real decoders."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from services.scanner.app import SPEC, Deps, build_deps
from services.scanner.config import ScannerSettings
from shared.messages import (
    ArmQrReader,
    DiscardSession,
    DocumentScanFailed,
    DocumentScanned,
    DossierDelivered,
    Message,
    QrScanned,
    ScanDocument,
    envelope_for,
    utcnow,
)
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import CommonSettings
from shared.topology import all_units
from simulators.devices import insert_documents, present_qr, render_document_photo

pytestmark = pytest.mark.integration

CCCD = "001092012345||Nguyễn Văn An|01011990|Nam|Thôn Lý Trường, Bình Phú, Thăng Bình, Quảng Nam|15082021"


@dataclasses.dataclass
class Scanner:
    rt: Runtime[Any]
    deps: Deps
    var_dir: Path
    seen: list[Message[Any]]  # what the "ui" listener received

    def events(self, corr: str, kind: type) -> list[Any]:
        return [m.payload for m in self.seen if m.correlation_id == corr and isinstance(m.payload, kind)]


async def _wait_for(pred: Callable[[], Any], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
async def scanner(settings: CommonSettings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scanner]:
    """The scanner service in-process (own var dir, no health port) and a 'ui' listener for its events."""
    var_dir = tmp_path_factory.mktemp("scanner-var")
    s = settings.model_copy(update={"var_dir": var_dir})
    rt: Runtime[Any] = Runtime(dataclasses.replace(SPEC, health_port=None), s)
    await rt.start_infra()
    deps = await build_deps(rt, ScannerSettings(poll_interval_s=0.05, feeder_poll_s=0.05))
    await rt.start_consuming(deps)
    seen: list[Message[Any]] = []

    async def record(msg: Message[Any], ctx: Context[Any]) -> None:
        seen.append(msg)

    ui = Runtime(ServiceSpec("ui", {QrScanned: record, DocumentScanned: record, DocumentScanFailed: record}), s)
    await ui.start_infra()
    await ui.start_consuming(None)
    try:
        yield Scanner(rt, deps, var_dir, seen)
    finally:
        await ui.stop()
        await _purge_events(rt)
        await rt.stop()


async def _purge_events(rt: Runtime[Any]) -> None:
    """Drop the events this module caused from other services' queues (identity gets qr.scanned, intake
    dossier.delivered): the namespace is shared by the whole test session, and a later test's runtime
    would otherwise consume them."""
    assert rt.bus.conn is not None
    ch = await rt.bus.conn.channel()
    try:
        for unit in all_units(rt.settings.namespace, rt.settings.kiosk_id):
            queue = await ch.get_queue(unit.queue("events"), ensure=False)
            await queue.purge()
    finally:
        await ch.close()


def _corr() -> str:
    return uuid.uuid4().hex


async def test_armed_reader_reports_the_code_shown_with_the_session_id(scanner: Scanner) -> None:
    """ArmQrReader, then a Vietnamese CCCD code in front of the camera -> QrScanned with that exact text."""
    corr = _corr()
    await scanner.rt.bus.publish(ArmQrReader(purpose="login", timeout_s=20), correlation_id=corr)
    await _wait_for(lambda: scanner.deps.qr.armed is not None and scanner.deps.qr.armed.correlation_id == corr)
    present_qr(scanner.var_dir, CCCD, seed=21)
    await _wait_for(lambda: scanner.events(corr, QrScanned))
    [event] = scanner.events(corr, QrScanned)
    assert (event.text, event.purpose, event.decoder) == (CCCD, "login", "zxing-cpp")
    await _wait_for(lambda: scanner.deps.qr.armed is None)


async def test_code_shown_before_arming_is_never_reported(scanner: Scanner) -> None:
    """A frame presented while the reader is idle is discarded; arming afterwards reports nothing."""
    corr = _corr()
    frame = present_qr(scanner.var_dir, "stale-code-from-an-earlier-citizen", seed=22)
    await scanner.rt.bus.publish(ArmQrReader(purpose="lookup", timeout_s=1), correlation_id=corr)
    await _wait_for(lambda: scanner.deps.qr.armed is not None and scanner.deps.qr.armed.correlation_id == corr)
    assert not frame.exists()
    await _wait_for(lambda: scanner.deps.qr.armed is None, within=5)  # timed out, silently
    assert not [m for m in scanner.seen if isinstance(m.payload, QrScanned) and "stale" in m.payload.text]


async def test_document_is_scanned_to_a_pdf_whose_hash_matches(scanner: Scanner, tmp_path: Path) -> None:
    """Two page photos and a blank sheet -> DocumentScanned: a 2-page PDF with the right SHA-256, a thumbnail."""
    corr = _corr()
    lines = ["Họ và tên: Nguyễn Văn An", "Nơi cư trú: Thôn Lý Trường, xã Bình Phú"]
    pages = [render_document_photo(tmp_path / "p1.jpg", "GIẤY KHAI SINH", lines, seed=1),
             render_document_photo(tmp_path / "blank.jpg", "", [], seed=2),
             render_document_photo(tmp_path / "p2.jpg", "SỔ HỘ KHẨU", lines, seed=3)]
    batch = insert_documents(scanner.var_dir, pages)
    await scanner.rt.bus.publish(ScanDocument(document_key="giay_khai_sinh", document_name="Giấy khai sinh", wait_s=5),
                                 correlation_id=corr)
    await _wait_for(lambda: scanner.events(corr, DocumentScanned), within=20)
    [event] = scanner.events(corr, DocumentScanned)
    doc = event.document
    pdf = (scanner.var_dir / doc.file_ref).read_bytes()
    assert doc.file_ref == f"scans/{corr}/giay_khai_sinh.pdf" and doc.name == "Giấy khai sinh"
    assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and len(pdf) == doc.size_bytes
    assert (doc.pages, event.blank_pages_dropped) == (2, 1)
    thumb = cv2.imread(str(scanner.var_dir / event.thumbnail_ref), cv2.IMREAD_GRAYSCALE)
    assert event.thumbnail_ref == f"scans/{corr}/giay_khai_sinh.jpg" and thumb.shape[1] == 300
    assert not batch.exists()  # the originals came back out of the feeder


async def test_redelivered_scan_command_reannounces_and_takes_no_new_pages(scanner: Scanner, tmp_path: Path) -> None:
    """The same ScanDocument message delivered twice emits the same result and leaves the next stack alone."""
    corr = _corr()
    page = render_document_photo(tmp_path / "p.jpg", "ĐƠN ĐỀ NGHỊ", ["Kính gửi: UBND xã Bình Phú"], seed=5)
    insert_documents(scanner.var_dir, [page])
    env = envelope_for(ScanDocument(document_key="don", document_name="Đơn", wait_s=5),
                       correlation_id=corr, kiosk_id=scanner.rt.settings.kiosk_id)
    await scanner.rt.bus.publish_envelope(env, "command")
    await _wait_for(lambda: scanner.events(corr, DocumentScanned), within=20)
    next_citizens_stack = insert_documents(scanner.var_dir, [page])
    await scanner.rt.bus.publish_envelope(env, "command")
    await _wait_for(lambda: len(scanner.events(corr, DocumentScanned)) == 2, within=20)
    first, second = scanner.events(corr, DocumentScanned)
    assert first == second
    assert next_citizens_stack.exists()
    await scanner.deps.feeder.take("cleanup", 0)
    await scanner.deps.feeder.release("cleanup")


async def test_all_black_page_is_unreadable(scanner: Scanner, tmp_path: Path) -> None:
    """An all-black image in the feeder -> DocumentScanFailed(unreadable) with a Vietnamese message."""
    corr = _corr()
    black = tmp_path / "black.png"
    cv2.imwrite(str(black), np.zeros((1100, 800, 3), np.uint8))
    insert_documents(scanner.var_dir, [black])
    await scanner.rt.bus.publish(ScanDocument(document_key="cccd", document_name="Căn cước", wait_s=5),
                                 correlation_id=corr)
    await _wait_for(lambda: scanner.events(corr, DocumentScanFailed), within=20)
    [failed] = scanner.events(corr, DocumentScanFailed)
    assert (failed.reason, failed.document_key) == ("unreadable", "cccd")
    assert "Không đọc được" in failed.detail


async def test_empty_feeder_reports_feeder_empty(scanner: Scanner) -> None:
    """ScanDocument with nothing in the feeder and wait_s=0.5 -> DocumentScanFailed(feeder_empty)."""
    corr = _corr()
    await scanner.rt.bus.publish(ScanDocument(document_key="cccd", document_name="Căn cước", wait_s=0.5),
                                 correlation_id=corr)
    await _wait_for(lambda: scanner.events(corr, DocumentScanFailed), within=10)
    assert [f.reason for f in scanner.events(corr, DocumentScanFailed)] == ["feeder_empty"]


async def test_delivery_and_discard_delete_scans_from_the_kiosk(scanner: Scanner, tmp_path: Path) -> None:
    """DossierDelivered deletes the named scans (not others, nothing outside); DiscardSession deletes the rest."""
    corr = _corr()
    page = render_document_photo(tmp_path / "p.jpg", "GIẤY KHAI SINH", ["Họ và tên: Nguyễn Văn An"], seed=6)
    for key in ("a", "b"):
        insert_documents(scanner.var_dir, [page])
        await scanner.rt.bus.publish(ScanDocument(document_key=key, document_name=key, wait_s=5), correlation_id=corr)
        await _wait_for(lambda k=key: any(e.document.document_key == k for e in scanner.events(corr, DocumentScanned)),
                        within=20)
    outside = scanner.var_dir / "keep.pdf"
    outside.write_bytes(b"not a scan")
    delivered = DossierDelivered(dossier_code="000.00.19.H47-260105-0001", portal_ref="P-1", delivered_at=utcnow(),
                                 document_refs=[f"scans/{corr}/a.pdf", "scans/../keep.pdf"])
    await scanner.rt.bus.publish(delivered, correlation_id=corr)
    session = scanner.var_dir / "scans" / corr
    await _wait_for(lambda: not (session / "a.pdf").exists() and not (session / "a.jpg").exists())
    assert (session / "b.pdf").exists() and outside.exists()
    await scanner.rt.bus.publish(DiscardSession(), correlation_id=corr)
    await _wait_for(lambda: not session.exists())


async def test_health_reports_the_device_directories(scanner: Scanner) -> None:
    """The health report includes the camera and feeder checks, both true."""
    health = await scanner.rt.health()
    assert health["checks"]["camera"] is True and health["checks"]["feeder"] is True and health["ok"]
