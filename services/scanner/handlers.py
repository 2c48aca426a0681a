"""The scanner's message handlers: one function per message, HANDLERS at the bottom."""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from services.scanner.document import ScannedDocument, ScanRefused, build_document
from services.scanner.reader import Arming
from services.scanner.store import UnsafePath
from shared.bus import PermanentError
from shared.i18n import t
from shared.logging import get_logger
from shared.messages import (
    ArmQrReader,
    DisarmQrReader,
    DiscardSession,
    DocumentRef,
    DocumentScanFailed,
    DocumentScanned,
    DossierDelivered,
    Message,
    Payload,
    ScanDocument,
    utcnow,
)
from shared.service import Context

if TYPE_CHECKING:
    from services.scanner.app import Deps

log = get_logger()
OUTCOMES: dict[str, type[Payload]] = {DocumentScanned.TYPE: DocumentScanned, DocumentScanFailed.TYPE: DocumentScanFailed}


async def on_arm_qr_reader(msg: Message[ArmQrReader], ctx: Context[Deps]) -> None:
    """Consumes ArmQrReader; arms the camera for this session (the reader task later emits QrScanned)."""
    # The countdown starts when the screen asked, not when the command arrived (it may have queued).
    waited = max((utcnow() - msg.envelope.time).total_seconds(), 0.0)
    remaining = msg.payload.timeout_s - waited
    if remaining <= 0:
        log.info("qr.arm_expired_on_arrival", waited_s=round(waited, 1))
        return
    await ctx.deps.qr.arm(Arming(msg.correlation_id, msg.payload.purpose, msg.kiosk_id,
                                 str(msg.message_id), time.monotonic() + remaining))


async def on_disarm_qr_reader(msg: Message[DisarmQrReader], ctx: Context[Deps]) -> None:
    """Consumes DisarmQrReader; stops reading for this session (emits nothing)."""
    if ctx.deps.qr.disarm(msg.correlation_id):
        log.info("qr.disarmed")


async def on_scan_document(msg: Message[ScanDocument], ctx: Context[Deps]) -> None:
    """Consumes ScanDocument; takes the pages from the feeder and emits DocumentScanned or DocumentScanFailed."""
    deps, corr, claim = ctx.deps, msg.correlation_id, str(msg.message_id)
    try:
        done = await asyncio.to_thread(deps.store.load_outcome, corr, claim)
    except UnsafePath as exc:
        raise PermanentError(str(exc)) from exc
    if done is not None:  # a redelivery: announce again what was done, take nothing new
        await ctx.emit(OUTCOMES[done["type"]].model_validate(done["payload"]))
        return
    pages = await deps.feeder.take(claim, msg.payload.wait_s)
    outcome = await _scan(pages, msg, deps)
    await asyncio.to_thread(deps.store.save_outcome, corr, claim,
                            {"type": outcome.TYPE, "payload": outcome.model_dump(mode="json")})
    if pages is not None:
        await deps.feeder.release(claim)
    await ctx.emit(outcome)


async def _scan(pages: list[bytes] | None, msg: Message[ScanDocument], deps: Deps) -> Payload:
    """The outcome of scanning these pages: the stored document, or why there is none."""
    cmd = msg.payload
    try:
        if pages is None:
            raise ScanRefused("feeder_empty", f"no pages within {cmd.wait_s} s")
        doc: ScannedDocument = await asyncio.to_thread(
            build_document, pages, max_pages=cmd.max_pages, max_bytes=deps.settings.max_document_bytes,
            jpeg_quality=deps.settings.jpeg_quality, thumbnail_width=deps.settings.thumbnail_width)
    except ScanRefused as exc:
        log.info("document.scan_failed", reason=exc.reason, why=exc.detail, document_key=cmd.document_key)
        return DocumentScanFailed(document_key=cmd.document_key, reason=exc.reason,
                                  detail=t(f"scanner.scan_failed.{exc.reason}"))
    pdf_ref, thumb_ref, sha = await asyncio.to_thread(deps.store.save_document, msg.correlation_id,
                                                      cmd.document_key, doc)
    log.info("document.scanned", document_key=cmd.document_key, pages=doc.pages,
             blank_pages_dropped=doc.blank_pages_dropped, size_bytes=len(doc.pdf))
    ref = DocumentRef(document_key=cmd.document_key, name=cmd.document_name, file_ref=pdf_ref, sha256=sha,
                      pages=doc.pages, size_bytes=len(doc.pdf))
    return DocumentScanned(document=ref, thumbnail_ref=thumb_ref, blank_pages_dropped=doc.blank_pages_dropped)


async def on_discard_session(msg: Message[DiscardSession], ctx: Context[Deps]) -> None:
    """Consumes DiscardSession; disarms the reader for the session and deletes its scans (emits nothing)."""
    ctx.deps.qr.disarm(msg.correlation_id)
    try:
        existed = await asyncio.to_thread(ctx.deps.store.discard_session, msg.correlation_id)
    except UnsafePath as exc:
        raise PermanentError(str(exc)) from exc
    log.info("session.discarded", had_scans=existed)


async def on_dossier_delivered(msg: Message[DossierDelivered], ctx: Context[Deps]) -> None:
    """Consumes DossierDelivered; deletes the delivered scans from this kiosk (emits nothing)."""
    deleted, refused = await asyncio.to_thread(_delete_all, ctx.deps, msg.payload.document_refs)
    log.info("scans.deleted_after_delivery", deleted=deleted, refused=refused)


def _delete_all(deps: Deps, refs: list[str]) -> tuple[int, int]:
    """Delete each referenced scan; a reference outside the scans directory is refused and logged."""
    deleted = refused = 0
    for ref in refs:
        try:
            deleted += deps.store.delete_document(ref)
        except UnsafePath as exc:
            refused += 1
            log.warning("scans.ref_refused", error=str(exc))
    return deleted, refused


HANDLERS: dict[type[Payload], Any] = {
    ArmQrReader: on_arm_qr_reader,
    DisarmQrReader: on_disarm_qr_reader,
    ScanDocument: on_scan_document,
    DiscardSession: on_discard_session,
    DossierDelivered: on_dossier_delivered,
}
