"""Printer handlers: a command in, a job out to the printer, ReceiptPrinted (or PrintFailed) back.

De-duplication without a database: a redelivered command whose job_id is in the journal is not
printed again; its ReceiptPrinted is emitted again (the first emit may be what was lost).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from PIL import Image

from services.printer.escpos_job import encode_job
from services.printer.journal import is_safe_job_id
from services.printer.layout import UnprintableError, render_queue_ticket, render_receipt
from shared.bus import PermanentError
from shared.logging import get_logger
from shared.messages import Message, PrintFailed, PrintQueueTicket, PrintReceipt, ReceiptPrinted
from shared.service import Context

if TYPE_CHECKING:  # app imports this module for HANDLERS
    from services.printer.app import Deps

log = get_logger()


async def on_print_receipt(msg: Message[PrintReceipt], ctx: Context[Deps]) -> None:
    """Consumes PrintReceipt; prints the receipt and appointment slip; emits ReceiptPrinted or PrintFailed."""
    p, width = msg.payload, ctx.deps.paper_dots
    await _print(ctx, p.job_id, p.dossier.code, lambda copy: render_receipt(p.dossier, p.lookup_url, width=width, copy=copy))


async def on_print_queue_ticket(msg: Message[PrintQueueTicket], ctx: Context[Deps]) -> None:
    """Consumes PrintQueueTicket; prints the queue ticket; emits ReceiptPrinted (no dossier code) or PrintFailed."""
    p, width, agency = msg.payload, ctx.deps.paper_dots, ctx.deps.common.agency_name
    await _print(ctx, p.job_id, "", lambda copy: render_queue_ticket(p, agency_name=agency, width=width, copy=copy))


async def _print(ctx: Context[Deps], job_id: str, dossier_code: str, render: Callable[[bool], Image.Image]) -> None:
    deps = ctx.deps
    if not is_safe_job_id(job_id):
        await _fail(ctx, job_id[:128], "job_id must be 1-128 characters of A-Z a-z 0-9 . _ - (not starting with .)")
    is_copy = False
    async with deps.lock:
        if deps.journal.is_done(job_id):
            log.info("print.duplicate_not_reprinted", job_id=job_id)
        elif deps.journal.was_sending(job_id) and await deps.printer.printed(job_id):
            # Killed after the job went out, before it was marked: it printed; don't print it twice.
            await asyncio.to_thread(deps.journal.mark_done, job_id, {"dossier_code": dossier_code, "recovered": True})
            log.info("print.recovered_after_crash", job_id=job_id)
        else:
            # Killed mid-job on a printer that cannot say what it printed: print again, marked as a reprint,
            # so the citizen never leaves without a slip (at-least-once; the copy is labelled).
            is_copy = deps.journal.was_sending(job_id)
            await _print_now(ctx, job_id, dossier_code, lambda: render(is_copy))
    png_ref = f"printer/{job_id}.png" if deps.printer.keeps_copy else ""
    await ctx.emit(ReceiptPrinted(job_id=job_id, dossier_code=dossier_code, png_ref=png_ref, is_copy=is_copy))


async def _print_now(ctx: Context[Deps], job_id: str, dossier_code: str, render: Callable[[], Image.Image]) -> None:
    deps = ctx.deps
    try:  # layout and encoding are CPU work: off the event loop, which keeps the bus heartbeats going
        job = await asyncio.to_thread(lambda: encode_job(render(), paper_dots=deps.paper_dots))
    except UnprintableError as exc:
        await _fail(ctx, job_id, f"unprintable: {exc}")
    await asyncio.to_thread(deps.journal.mark_sending, job_id)
    try:
        await deps.printer.send(job_id, job)  # printer offline -> raises -> retried with back-off
    except Exception:
        await asyncio.to_thread(deps.journal.clear_sending, job_id)
        raise
    await asyncio.to_thread(deps.journal.mark_done, job_id, {"dossier_code": dossier_code, "bytes": len(job)})
    log.info("print.printed", job_id=job_id, dossier_code=dossier_code, bytes=len(job))


async def _fail(ctx: Context[Deps], job_id: str, reason: str) -> NoReturn:
    """Tell the UI the job will never print, then dead-letter the command.

    The runtime only flushes a handler's emits when it returns, so PrintFailed is published here,
    before the PermanentError that dead-letters the command.
    """
    await ctx.emit(PrintFailed(job_id=job_id, reason=reason))
    await ctx.flush()
    raise PermanentError(reason)


HANDLERS = {PrintReceipt: on_print_receipt, PrintQueueTicket: on_print_queue_ticket}
