"""Printer adapters: where a job's ESC/POS bytes go. Chosen by KIOSK_PRINTER_ADAPTER.

    sim      keeps <printer_dir>/<job_id>.bin (the bytes) and <job_id>.png (rendered FROM the bytes)
    network  raw TCP to host:9100, the port ESC/POS network printers listen on

USB, serial and CUPS adapters come later (python-escpos has Usb, Serial and CupsPrinter).
"""
from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Protocol

from services.printer.config import PrinterSettings
from services.printer.journal import is_safe_job_id
from services.printer.raster import render_raster
from shared.files import atomic_write


class PrinterUnavailableError(Exception):
    """The printer could not take the job now (offline, unreachable, timed out): worth retrying."""


class Printer(Protocol):
    keeps_copy: bool  # True if send() keeps <job_id>.png under the printer dir

    async def send(self, job_id: str, job: bytes) -> None: ...

    async def status(self) -> bool: ...

    async def printed(self, job_id: str) -> bool | None:
        """Whether a job was printed, when the printer can tell (None: it cannot)."""
        ...


class SimulatedPrinter:
    """Prints to files: the raw job and what it would look like on paper."""

    keeps_copy = True

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    async def send(self, job_id: str, job: bytes) -> None:
        if not is_safe_job_id(job_id):
            raise ValueError("job_id is not a safe file name component")
        await asyncio.to_thread(self._write, job_id, job)

    def _write(self, job_id: str, job: bytes) -> None:
        png = io.BytesIO()
        render_raster(job).save(png, format="PNG")
        # PNG first: once the .bin exists, everything about the job does.
        atomic_write(self.dir / f"{job_id}.png", png.getvalue())
        atomic_write(self.dir / f"{job_id}.bin", job)

    async def status(self) -> bool:
        self.dir.mkdir(parents=True, exist_ok=True)
        return self.dir.is_dir()

    async def printed(self, job_id: str) -> bool | None:
        # The .bin is written last and atomically: it exists if and only if the job went out.
        return (self.dir / f"{job_id}.bin").is_file()


class NetworkPrinter:
    """Raw TCP (port 9100), with asyncio streams rather than python-escpos's Network class.

    Network is a blocking socket (it would stall the event loop, bus heartbeats included, for as
    long as the printer is slow) and its close() swallows socket errors. An asyncio stream with a
    deadline on connect, write and close lets every failure surface as PrinterUnavailableError,
    which the bus retries with back-off.
    """

    keeps_copy = False

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s

    async def send(self, job_id: str, job: bytes) -> None:
        try:
            async with asyncio.timeout(self.timeout_s):
                _, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    writer.write(job)
                    await writer.drain()
                finally:
                    writer.close()
                    await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            raise PrinterUnavailableError(f"printer {self.host}:{self.port} unavailable: {exc!r}") from exc

    async def status(self) -> bool:
        """Reachable = accepts a TCP connection within the timeout (paper-out is not detected yet)."""
        try:
            async with asyncio.timeout(min(self.timeout_s, 3.0)):
                _, writer = await asyncio.open_connection(self.host, self.port)
                writer.close()
                await writer.wait_closed()
            return True
        except (OSError, TimeoutError):
            return False

    async def printed(self, job_id: str) -> bool | None:
        return None  # a raw 9100 printer keeps no record of what it printed


def make_printer(cfg: PrinterSettings, printer_dir: Path) -> Printer:
    if cfg.adapter == "network":
        return NetworkPrinter(cfg.host, cfg.port, cfg.timeout_s)
    return SimulatedPrinter(printer_dir)
