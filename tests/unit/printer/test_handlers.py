"""Printer handlers with a fake printer and a fake bus: de-duplication, failures, what is emitted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.printer.adapters import PrinterUnavailableError
from services.printer.app import Deps
from services.printer.config import PrinterSettings
from services.printer.handlers import on_print_queue_ticket, on_print_receipt
from services.printer.journal import Journal
from services.printer.raster import render_raster
from shared.bus import PermanentError
from shared.messages import Envelope, Message, Payload, PrintFailed, PrintReceipt, ReceiptPrinted, envelope_for
from shared.service import Context
from shared.settings import CommonSettings

from .samples import LOOKUP_URL, dossier, queue_ticket


class FakePrinter:
    keeps_copy = True

    def __init__(self, offline: bool = False, knows: bool | None = None) -> None:
        self.jobs: list[tuple[str, bytes]] = []
        self.offline = offline
        self.knows = knows  # what printed() answers for a job it has no record of in self.jobs

    async def send(self, job_id: str, job: bytes) -> None:
        if self.offline:
            raise PrinterUnavailableError("offline")
        self.jobs.append((job_id, job))

    async def status(self) -> bool:
        return not self.offline

    async def printed(self, job_id: str) -> bool | None:
        return True if any(j == job_id for j, _ in self.jobs) else self.knows


class FakeBus:
    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def publish_envelope(self, env: Envelope, kind: str) -> None:
        self.published.append(env)


def _ctx(payload: Payload, printer: FakePrinter, tmp_path: Path, bus: FakeBus) -> tuple[Message[Any], Context[Deps]]:
    common = CommonSettings(var_dir=tmp_path, kiosk_id="kiosk-t1")
    deps = Deps(common, PrinterSettings(), printer, Journal(tmp_path / "printer" / "journal"), 576)
    env = envelope_for(payload, correlation_id="c1", kiosk_id="kiosk-t1")
    msg: Message[Any] = Message(envelope=env, payload=payload)
    return msg, Context(msg, deps, bus, "kiosk-t1")  # type: ignore[arg-type]  # a fake bus


def _emitted(ctx: Context[Any]) -> list[Payload]:
    return [env.payload for env, _ in ctx.pending]


async def test_receipt_prints_once_and_a_redelivery_only_repeats_the_event(tmp_path: Path) -> None:
    """The first delivery prints and emits ReceiptPrinted; the same job_id again prints nothing but emits it again."""
    printer, bus = FakePrinter(), FakeBus()
    cmd = PrintReceipt(job_id="r-1", dossier=dossier(), lookup_url=LOOKUP_URL)
    for _ in range(2):
        msg, ctx = _ctx(cmd, printer, tmp_path, bus)
        await on_print_receipt(msg, ctx)
        assert _emitted(ctx) == [{"job_id": "r-1", "dossier_code": dossier().code,
                                  "png_ref": "printer/r-1.png", "is_copy": False}]
    assert [j for j, _ in printer.jobs] == ["r-1"]
    assert render_raster(printer.jobs[0][1]).width == 576
    assert (tmp_path / "printer" / "journal" / "r-1.done").is_file()


async def test_queue_ticket_emits_receipt_printed_without_dossier_code(tmp_path: Path) -> None:
    """A queue ticket prints and its ReceiptPrinted has an empty dossier code."""
    printer, bus = FakePrinter(), FakeBus()
    msg, ctx = _ctx(queue_ticket("q-7"), printer, tmp_path, bus)
    await on_print_queue_ticket(msg, ctx)
    assert ReceiptPrinted.model_validate(_emitted(ctx)[0]).dossier_code == ""
    assert len(printer.jobs) == 1


async def test_offline_printer_raises_for_a_retry_and_emits_nothing(tmp_path: Path) -> None:
    """An unavailable printer raises a transient error; nothing is emitted and no journal marker is written."""
    printer, bus = FakePrinter(offline=True), FakeBus()
    msg, ctx = _ctx(PrintReceipt(job_id="r-2", dossier=dossier(), lookup_url=LOOKUP_URL), printer, tmp_path, bus)
    with pytest.raises(PrinterUnavailableError):
        await on_print_receipt(msg, ctx)
    assert ctx.pending == [] and bus.published == []
    assert not (tmp_path / "printer" / "journal" / "r-2.done").exists()


@pytest.mark.parametrize(("job_id", "full_name", "reason"), [
    ("../etc/passwd", "Nguyễn Văn An", "job_id"),
    ("r-3", "Nguyễn 中", "unprintable"),
])
async def test_bad_job_id_or_unprintable_text_is_permanent_and_announced(
        tmp_path: Path, job_id: str, full_name: str, reason: str) -> None:
    """A job_id that is not a safe file name, or text the font lacks, publishes PrintFailed then raises PermanentError."""
    printer, bus = FakePrinter(), FakeBus()
    msg, ctx = _ctx(PrintReceipt(job_id=job_id, dossier=dossier(full_name=full_name), lookup_url=LOOKUP_URL),
               printer, tmp_path, bus)
    with pytest.raises(PermanentError, match=reason):
        await on_print_receipt(msg, ctx)
    assert [e.type for e in bus.published] == [PrintFailed.TYPE]
    assert bus.published[0].payload["job_id"] == job_id and reason in bus.published[0].payload["reason"]
    assert printer.jobs == []
    assert not any((tmp_path / "etc").glob("*"))


async def test_killed_after_sending_on_a_printer_that_can_tell_does_not_print_again(tmp_path: Path) -> None:
    """A job marked "sending" that the printer reports printed is marked done, not printed a second time."""
    printer, bus = FakePrinter(), FakeBus()
    msg, ctx = _ctx(PrintReceipt(job_id="r-1", dossier=dossier(), lookup_url=LOOKUP_URL), printer, tmp_path, bus)
    await on_print_receipt(msg, ctx)
    ctx.deps.journal._path("r-1").unlink()  # as if killed between send and the done marker
    msg2, ctx2 = _ctx(PrintReceipt(job_id="r-1", dossier=dossier(), lookup_url=LOOKUP_URL), printer, tmp_path, bus)
    ctx2.deps.printer = printer
    await on_print_receipt(msg2, ctx2)
    assert len(printer.jobs) == 1
    assert ctx2.deps.journal.is_done("r-1")
    assert [env.payload["is_copy"] for env, _ in ctx2.pending if env.type == "receipt.printed"] == [False]


async def test_killed_after_sending_on_a_printer_that_cannot_tell_reprints_marked_as_a_copy(tmp_path: Path) -> None:
    """With no way to know, the job prints again with a "BẢN IN LẠI" banner and the event says it is a copy."""
    printer, bus = FakePrinter(knows=None), FakeBus()
    msg, ctx = _ctx(PrintReceipt(job_id="r-2", dossier=dossier(), lookup_url=LOOKUP_URL), printer, tmp_path, bus)
    ctx.deps.journal.mark_sending("r-2")  # the previous life sent it (or not) and died
    await on_print_receipt(msg, ctx)
    assert len(printer.jobs) == 1
    original = render_raster(printer.jobs[0][1])
    plain = FakePrinter()
    m3, c3 = _ctx(PrintReceipt(job_id="r-3", dossier=dossier(), lookup_url=LOOKUP_URL), plain, tmp_path, bus)
    await on_print_receipt(m3, c3)
    assert original.height > render_raster(plain.jobs[0][1]).height  # the banner line is on the copy
    assert [env.payload["is_copy"] for env, _ in ctx.pending if env.type == "receipt.printed"] == [True]


async def test_a_failed_send_is_not_taken_for_a_print(tmp_path: Path) -> None:
    """Printer offline: the retry prints the original, not a copy."""
    printer, bus = FakePrinter(offline=True, knows=None), FakeBus()
    msg, ctx = _ctx(PrintReceipt(job_id="r-4", dossier=dossier(), lookup_url=LOOKUP_URL), printer, tmp_path, bus)
    with pytest.raises(PrinterUnavailableError):
        await on_print_receipt(msg, ctx)
    printer.offline = False
    await on_print_receipt(msg, ctx)
    assert len(printer.jobs) == 1
    assert [env.payload["is_copy"] for env, _ in ctx.pending if env.type == "receipt.printed"] == [False]
