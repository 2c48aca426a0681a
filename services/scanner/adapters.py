"""Device adapters: the QR reader and the document feeder, behind small interfaces.

Only the simulated devices exist yet. They read what simulators/devices.py writes:

    <var>/camera/inbox/*.png            camera frames, oldest first, each deleted once looked at
    <var>/feeder/<batch>/.ready         a stack of pages ready to be taken
    <var>/feeder/.claimed/<claim id>/   a stack taken by one ScanDocument command (see SimFeeder)

A keyboard-wedge or serial QR reader would implement QrReader by returning the text it received; a
SANE feeder would implement DocumentFeeder by scanning when `take` is called.
"""
from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from services.scanner.qr import Decoded, decode_frame
from shared.logging import get_logger

log = get_logger()
FRAME_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
MAX_FRAME_BYTES = 30_000_000


class QrReader(Protocol):
    def poll(self) -> Decoded | None:
        """Blocking, short: the next code read, if any. May raise qr.RefusedCode."""

    def flush(self) -> int:
        """Drop whatever the reader holds (stale frames must not log anyone in later)."""


class DocumentFeeder(Protocol):
    async def take(self, claim_id: str, wait_s: float) -> list[bytes] | None:
        """The pages of the next document (None if none came within wait_s); same claim, same pages."""

    async def release(self, claim_id: str) -> None:
        """The pages are handled: hand the originals back."""


class SimCamera:
    """Frames dropped as image files into a directory, like a camera driver's frame queue."""

    def __init__(self, inbox: Path, frames_per_poll: int = 10) -> None:
        self.inbox, self.frames_per_poll = inbox, frames_per_poll
        inbox.mkdir(parents=True, exist_ok=True)

    def frames(self) -> list[Path]:
        """Complete frames, oldest first (names start with a nanosecond timestamp)."""
        found = [p for p in self.inbox.iterdir() if not p.name.startswith(".") and p.suffix.lower() in FRAME_SUFFIXES]
        return sorted(found, key=lambda p: p.name)

    def poll(self) -> Decoded | None:
        for frame in self.frames()[: self.frames_per_poll]:
            image = _read_frame(frame)
            frame.unlink(missing_ok=True)  # consumed, whatever it held
            if image is not None:
                decoded = decode_frame(image)  # RefusedCode propagates: the caller logs it
                if decoded is not None:
                    return decoded
        return None

    def flush(self) -> int:
        frames = self.frames()
        for frame in frames:
            frame.unlink(missing_ok=True)
        return len(frames)


def _read_frame(path: Path) -> np.ndarray | None:
    try:
        if path.stat().st_size > MAX_FRAME_BYTES:
            log.warning("qr.frame_too_large", frame=path.name)
            return None
    except FileNotFoundError:
        return None
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        log.warning("qr.frame_unreadable", frame=path.name)
    return image


class SimFeeder:
    """Stacks of page files in per-batch directories; the oldest ready batch is taken first.

    Taking is an atomic rename into .claimed/<claim id>: two commands never get the same stack,
    and a command redelivered after a crash finds the stack it had already taken.
    """

    def __init__(self, root: Path, poll_s: float = 0.1) -> None:
        self.root, self.poll_s = root, poll_s
        self.claimed = root / ".claimed"
        self.claimed.mkdir(parents=True, exist_ok=True)

    async def take(self, claim_id: str, wait_s: float) -> list[bytes] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            batch = await asyncio.to_thread(self._claim, claim_id)
            if batch is not None:
                return await asyncio.to_thread(_read_pages, batch)
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(min(self.poll_s, max(deadline - loop.time(), 0)))

    async def release(self, claim_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.claimed / claim_id, True)

    def ready_batches(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / ".ready").exists())

    def _claim(self, claim_id: str) -> Path | None:
        target = self.claimed / claim_id
        if target.is_dir():
            return target
        for batch in self.ready_batches():
            try:
                os.rename(batch, target)
                return target
            except OSError:  # taken by a concurrent command a moment ago: try the next
                continue
        return None


def _read_pages(batch: Path) -> list[bytes]:
    pages = sorted(p for p in batch.iterdir() if p.is_file() and not p.name.startswith("."))
    return [p.read_bytes() for p in pages]
