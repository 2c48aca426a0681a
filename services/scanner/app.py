"""Wiring of the scanner service: a kiosk-local service without a database.

Queues (shared/topology.py): <ns>.scanner.<kiosk id>.commands (arm/disarm the QR reader, scan a
document, discard a session) and .events (dossier.delivered: delete the scans it names).
Besides the handlers, one background task watches the camera while the reader is armed.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.scanner import handlers
from services.scanner.adapters import DocumentFeeder, SimCamera, SimFeeder
from services.scanner.config import ScannerSettings
from services.scanner.reader import ArmedReader, Arming
from services.scanner.store import ScanStore
from shared.messages import QrScanned
from shared.service import HEALTH_PORTS, Runtime, ServiceSpec

SPEC = ServiceSpec("scanner", handlers.HANDLERS, health_port=HEALTH_PORTS["scanner"])


@dataclass
class Deps:
    settings: ScannerSettings
    qr: ArmedReader
    feeder: DocumentFeeder
    store: ScanStore


def camera_dir(var_dir: Path) -> Path:
    return var_dir / "camera" / "inbox"


def feeder_dir(var_dir: Path) -> Path:
    return var_dir / "feeder"


async def build_deps(rt: Runtime[Any], scanner_settings: ScannerSettings | None = None) -> Deps:
    """Devices, storage and the QR reader task; health checks for the device directories."""
    settings = scanner_settings or ScannerSettings()
    var_dir = rt.settings.var_dir

    async def publish(event: QrScanned, arming: Arming) -> None:
        await rt.bus.publish(event, correlation_id=arming.correlation_id, kiosk_id=arming.kiosk_id,
                             causation_id=arming.arm_message_id)

    camera = SimCamera(camera_dir(var_dir), settings.frames_per_poll)
    qr = ArmedReader(camera, publish, settings.poll_interval_s)
    deps = Deps(settings, qr, SimFeeder(feeder_dir(var_dir), settings.feeder_poll_s), ScanStore(var_dir))
    rt.tasks.append(asyncio.create_task(qr.run(), name="qr-reader"))
    rt.health_checks["camera"] = _dir_exists(camera_dir(var_dir))
    rt.health_checks["feeder"] = _dir_exists(feeder_dir(var_dir))
    return deps


def _dir_exists(path: Path) -> Any:
    async def check() -> bool:
        return await asyncio.to_thread(path.is_dir)

    return check
