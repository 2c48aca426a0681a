"""The printer service on the real RabbitMQ, a real TCP printer port and real files; kill -9 included."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from services.printer.adapters import NetworkPrinter, PrinterUnavailableError
from services.printer.app import SPEC, build_deps
from services.printer.config import PrinterSettings
from services.printer.escpos_job import encode_job
from services.printer.layout import render_receipt
from services.printer.raster import render_raster
from shared.bus import Bus
from shared.messages import Message, Payload, PrintFailed, PrintReceipt, ReceiptPrinted
from shared.service import Context, Runtime, ServiceSpec
from shared.settings import CommonSettings
from tests.conftest import REPO
from tests.unit.printer.samples import LOOKUP_URL, dossier

pytestmark = pytest.mark.integration


async def _wait_for(pred: Any, deadline_s: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + deadline_s
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


class JobServer:
    """A real TCP listener standing in for a network printer: keeps what each connection sent."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._on_connection, "127.0.0.1", port)
        return self.server.sockets[0].getsockname()[1]

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client closes: one connection = one job
        if data:  # status probes connect and send nothing
            self.jobs.append(data)
        writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@asynccontextmanager
async def running_printer(settings: CommonSettings, cfg: PrinterSettings) -> AsyncIterator[Runtime[Any]]:
    rt: Runtime[Any] = Runtime(dataclasses.replace(SPEC, health_port=None), settings)
    await rt.start_infra()
    await rt.start_consuming(await build_deps(rt, cfg))
    try:
        yield rt
    finally:
        await rt.stop()


@asynccontextmanager
async def ui_listener(settings: CommonSettings) -> AsyncIterator[list[Payload]]:
    """A small "ui" runtime collecting receipt.printed and print.failed events."""
    seen: list[Payload] = []

    async def on_event(msg: Message[Any], ctx: Context[Any]) -> None:
        seen.append(msg.payload)

    rt: Runtime[Any] = Runtime(ServiceSpec("ui", {ReceiptPrinted: on_event, PrintFailed: on_event}), settings)
    await rt.start_infra()
    await rt.start_consuming(None)
    try:
        yield seen
    finally:
        await rt.stop()


def _printed(seen: list[Payload], job_id: str) -> list[Payload]:
    return [p for p in seen if isinstance(p, ReceiptPrinted) and p.job_id == job_id]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_simulated_printer_keeps_bytes_and_a_png_whose_qr_reads_the_lookup_url(settings: CommonSettings) -> None:
    """PrintReceipt -> <job>.bin and <job>.png under var/printer, ReceiptPrinted emitted, the PNG's QR decodes."""
    job_id = f"r-{uuid.uuid4().hex[:8]}"
    async with ui_listener(settings) as seen, running_printer(settings, PrinterSettings(adapter="sim")) as rt:
        await rt.bus.publish(PrintReceipt(job_id=job_id, dossier=dossier(), lookup_url=LOOKUP_URL), correlation_id="s1")
        await _wait_for(lambda: _printed(seen, job_id))
        assert (await rt.health())["checks"]["printer"] is True
    event = _printed(seen, job_id)[0]
    assert event.dossier_code == dossier().code and event.png_ref == f"printer/{job_id}.png"
    png = Image.open(settings.var_dir / event.png_ref)
    job = (settings.printer_dir / f"{job_id}.bin").read_bytes()
    assert render_raster(job).tobytes() == png.convert("1").tobytes()
    assert [r.text for r in zxingcpp.read_barcodes(png.convert("L"))] == [LOOKUP_URL]


async def test_same_command_delivered_twice_prints_once_on_a_network_printer(settings: CommonSettings) -> None:
    """Two deliveries of one job_id: the TCP printer receives exactly one job (the expected bytes), both are acknowledged."""
    server = JobServer()
    port = await server.start()
    job_id = f"d-{uuid.uuid4().hex[:8]}"
    cmd = PrintReceipt(job_id=job_id, dossier=dossier(), lookup_url=LOOKUP_URL)
    cfg = PrinterSettings(adapter="network", host="127.0.0.1", port=port, timeout_s=5)
    try:
        async with ui_listener(settings) as seen, running_printer(settings, cfg) as rt:
            await rt.bus.publish(cmd, correlation_id="d1")
            await rt.bus.publish(cmd, correlation_id="d1")
            await _wait_for(lambda: len(_printed(seen, job_id)) == 2)
        expected = encode_job(render_receipt(cmd.dossier, LOOKUP_URL, width=576), paper_dots=576)
        assert server.jobs == [expected]
        assert all(p.png_ref == "" for p in _printed(seen, job_id))  # a real printer keeps no copy
    finally:
        await server.stop()


async def test_network_adapter_sends_exact_bytes_and_reports_an_offline_printer() -> None:
    """NetworkPrinter delivers the job byte for byte; with nothing listening, send raises and status is False."""
    server = JobServer()
    port = await server.start()
    printer = NetworkPrinter("127.0.0.1", port, timeout_s=2)
    job = encode_job(render_receipt(dossier(), LOOKUP_URL))
    assert await printer.status() is True
    await printer.send("n-1", job)
    await _wait_for(lambda: server.jobs == [job])
    await server.stop()
    assert await printer.status() is False
    with pytest.raises(PrinterUnavailableError):
        await printer.send("n-2", job)


async def test_kill_9_while_a_job_is_pending_loses_nothing(settings: CommonSettings, tmp_path: Path) -> None:
    """The printer process killed with SIGKILL while retrying an offline printer prints the job once after restart."""
    port, job_id = _free_port(), f"k-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "KIOSK_AMQP_URL": settings.amqp_url, "KIOSK_NAMESPACE": settings.namespace,
           "KIOSK_KIOSK_ID": settings.kiosk_id, "KIOSK_VAR_DIR": str(tmp_path), "KIOSK_LOG_FORMAT": "json",
           "KIOSK_PRINTER_ADAPTER": "network", "KIOSK_PRINTER_HOST": "127.0.0.1", "KIOSK_PRINTER_PORT": str(port),
           "KIOSK_PRINTER_TIMEOUT_S": "2", "KIOSK_PRINTER_HEALTH_PORT": str(_free_port())}
    server, bus = JobServer(), Bus(settings.amqp_url, settings.namespace, settings.kiosk_id)
    await bus.connect()
    async with ui_listener(settings) as seen:
        first = await _start_service(env, tmp_path / "first.log")
        try:
            await bus.publish(PrintReceipt(job_id=job_id, dossier=dossier(), lookup_url=LOOKUP_URL), correlation_id="k1")
            # The printer is offline: the job is in the service's hands, unacknowledged, being retried.
            await _wait_for(lambda: _logged(tmp_path / "first.log", "message.failed"), deadline_s=20)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        await server.start(port)
        second = await _start_service(env, tmp_path / "second.log")
        try:
            await _wait_for(lambda: _printed(seen, job_id), deadline_s=20)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 15)
    await bus.close()
    await server.stop()
    assert len(server.jobs) == 1 and render_raster(server.jobs[0]).width == 576
    assert (tmp_path / "printer" / "journal" / f"{job_id}.done").is_file()


async def _start_service(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as f:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "services.printer", cwd=REPO, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=f)


def _logged(log: Path, event: str) -> bool:
    """True once the service's JSON log has a line with this event."""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            if json.loads(line).get("event") == event:
                return True
        except ValueError:
            continue
    return False
