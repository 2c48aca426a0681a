"""The armed QR reader: at most one citizen session at a time may have the camera's attention.

    ArmQrReader      -> armed for (session, purpose) until a code is read or the time is up
    a code is read   -> QrScanned(purpose, text, decoder) for that session; disarmed
    DisarmQrReader   -> disarmed;  time up -> disarmed, silently (the screen has its own countdown)

While nobody is armed, frames are thrown away as they arrive: a code shown to an idle kiosk must
never log someone in later. Arming also throws away what was waiting, for the same reason.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.scanner.adapters import QrReader
from services.scanner.qr import RefusedCode
from shared.logging import get_logger
from shared.messages import QrScanned

log = get_logger()


@dataclass(frozen=True)
class Arming:
    correlation_id: str
    purpose: str
    kiosk_id: str
    arm_message_id: str
    deadline: float = field(compare=False)  # time.monotonic()


Publish = Callable[[QrScanned, Arming], Awaitable[None]]


class ArmedReader:
    def __init__(self, reader: QrReader, publish: Publish, poll_interval_s: float = 0.08) -> None:
        self.reader, self.publish, self.poll_interval_s = reader, publish, poll_interval_s
        self.armed: Arming | None = None
        self._answered: deque[str] = deque(maxlen=256)  # arm commands that already got their code

    async def arm(self, arming: Arming) -> None:
        """Arm for a session; replaces any other session's arming. A redelivered arm that was answered is ignored."""
        if arming.arm_message_id in self._answered:
            log.info("qr.arm_already_answered", arm_message_id=arming.arm_message_id)
            return
        self.armed = None  # stop a concurrent tick from answering the old session with a stale frame
        dropped = await asyncio.to_thread(self.reader.flush)
        self.armed = arming
        log.info("qr.armed", purpose=arming.purpose, stale_frames_dropped=dropped,
                 timeout_s=round(arming.deadline - time.monotonic(), 1))

    def disarm(self, correlation_id: str | None = None) -> bool:
        """Disarm (only if armed for `correlation_id`, when given); True if something was disarmed."""
        current = self.armed
        if current is None or (correlation_id is not None and current.correlation_id != correlation_id):
            return False
        self.armed = None
        return True

    async def run(self) -> None:
        """Poll for frames until cancelled; a failing tick is logged and the next one tries again."""
        while True:
            try:
                await self.tick()
            except Exception as exc:  # noqa: BLE001 - the reader must outlive one bad frame or a broker blip
                log.exception("qr.tick_failed", error=repr(exc)[:300])
            await asyncio.sleep(self.poll_interval_s)

    async def tick(self) -> None:
        arming = self.armed
        if arming is None:
            await asyncio.to_thread(self.reader.flush)
            return
        if time.monotonic() >= arming.deadline:
            self.disarm(arming.correlation_id)
            log.info("qr.timed_out", purpose=arming.purpose)
            return
        try:
            decoded = await asyncio.to_thread(self.reader.poll)
        except RefusedCode as exc:
            log.warning("qr.refused", reason=exc.reason, decoder=exc.decoder, size_bytes=exc.size)
            return
        if decoded is None or self.armed is not arming:  # nothing, or disarmed/re-armed meanwhile
            return
        # Published before disarming: if the broker is away, the next frame of the code tries again.
        await self.publish(QrScanned(purpose=arming.purpose, text=decoded.text, decoder=decoded.decoder), arming)
        self._answered.append(arming.arm_message_id)
        self.disarm(arming.correlation_id)
        log.info("qr.scanned", purpose=arming.purpose, decoder=decoded.decoder, text=decoded.text)
