"""The armed reader's rules, with a fake QR reader (the decoders are tested on real frames elsewhere)."""
from __future__ import annotations

import time

from services.scanner.qr import Decoded, RefusedCode
from services.scanner.reader import ArmedReader, Arming
from shared.messages import QrScanned


class FakeReader:
    """Codes waiting in front of the camera, in order; flush() drops them all."""

    def __init__(self) -> None:
        self.waiting: list[Decoded | RefusedCode] = []

    def poll(self) -> Decoded | None:
        if not self.waiting:
            return None
        item = self.waiting.pop(0)
        if isinstance(item, RefusedCode):
            raise item
        return item

    def flush(self) -> int:
        n = len(self.waiting)
        self.waiting.clear()
        return n


def _reader() -> tuple[ArmedReader, FakeReader, list[tuple[QrScanned, Arming]]]:
    fake, sent = FakeReader(), []

    async def publish(event: QrScanned, arming: Arming) -> None:
        sent.append((event, arming))

    return ArmedReader(fake, publish), fake, sent


def _arming(corr: str = "s1", msg_id: str = "m1", timeout: float = 30) -> Arming:
    return Arming(corr, "login", "kiosk-01", msg_id, time.monotonic() + timeout)


async def test_code_read_while_armed_is_published_once_for_that_session() -> None:
    """An armed reader publishes the first code with the session's arming, then disarms."""
    reader, fake, sent = _reader()
    await reader.arm(_arming("s1"))
    fake.waiting += [Decoded("first", "zxing-cpp"), Decoded("second", "zxing-cpp")]
    await reader.tick()
    await reader.tick()
    assert [(e.text, e.purpose, e.decoder, a.correlation_id) for e, a in sent] == [("first", "login", "zxing-cpp", "s1")]
    assert reader.armed is None


async def test_codes_shown_before_arming_or_while_idle_are_dropped() -> None:
    """Stale codes never reach a session: idle ticks and arming both throw them away."""
    reader, fake, sent = _reader()
    fake.waiting.append(Decoded("idle", "zbar"))
    await reader.tick()
    assert fake.waiting == []
    fake.waiting.append(Decoded("just before arming", "zbar"))
    await reader.arm(_arming())
    await reader.tick()
    assert sent == [] and reader.armed is not None


async def test_time_out_disarms_without_publishing() -> None:
    """After the deadline the reader disarms silently, even if a code then appears."""
    reader, fake, sent = _reader()
    await reader.arm(_arming(timeout=-1))
    fake.waiting.append(Decoded("late", "zxing-cpp"))
    await reader.tick()
    assert reader.armed is None and sent == []


async def test_new_arming_replaces_the_old_and_disarm_is_per_session() -> None:
    """Arming session B replaces A; disarming A then changes nothing; B gets the code."""
    reader, fake, sent = _reader()
    await reader.arm(_arming("A", "mA"))
    await reader.arm(_arming("B", "mB"))
    assert reader.disarm("A") is False
    fake.waiting.append(Decoded("code", "zxing-cpp"))
    await reader.tick()
    assert [a.correlation_id for _, a in sent] == ["B"]


async def test_refused_code_is_not_published_and_reader_stays_armed() -> None:
    """A code that is not UTF-8 is dropped; the next good one is still read for the session."""
    reader, fake, sent = _reader()
    await reader.arm(_arming())
    fake.waiting.append(RefusedCode("not_utf8", "zxing-cpp", 12))
    await reader.tick()
    assert sent == [] and reader.armed is not None
    fake.waiting.append(Decoded("good", "zxing-cpp"))
    await reader.tick()
    assert [e.text for e, _ in sent] == ["good"]


async def test_redelivered_arm_that_was_answered_is_ignored() -> None:
    """The same ArmQrReader delivered again after its code was read does not arm a second time."""
    reader, fake, sent = _reader()
    await reader.arm(_arming(msg_id="m1"))
    fake.waiting.append(Decoded("code", "zxing-cpp"))
    await reader.tick()
    await reader.arm(_arming(msg_id="m1"))
    assert reader.armed is None and len(sent) == 1
