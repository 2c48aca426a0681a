"""portal_sync wiring: SPEC for the runtime, build_deps() for the portal client and the background loops."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.portal_sync.config import PortalSyncSettings, for_common
from services.portal_sync.handlers import HANDLERS
from services.portal_sync.portal import PortalClient
from services.portal_sync.workers import DeliveryWorker, StatusPoller
from shared.service import HEALTH_PORTS, Runtime, ServiceSpec

SPEC = ServiceSpec("portal_sync", HANDLERS, schema="portal_sync",
                   migrations=Path(__file__).with_name("migrations"), health_port=HEALTH_PORTS["portal_sync"])


@dataclass
class Deps:
    portal: PortalClient
    config: PortalSyncSettings
    var_dir: Path  # where the kiosk's scans are (document.file_ref is relative to it)
    wake: asyncio.Event  # set when a new dossier is queued (through NOTIFY, i.e. after commit)


async def build_deps(rt: Runtime[Any], config: PortalSyncSettings | None = None) -> Deps:
    """Create the portal client, register the portal health check, start the delivery loop and the poller."""
    cfg = for_common(rt.settings, config)
    portal = PortalClient(cfg.url, cfg.token, timeout_s=cfg.timeout_s, document_timeout_s=cfg.document_timeout_s)
    deps = Deps(portal, cfg, rt.settings.var_dir, asyncio.Event())

    async def portal_answers() -> bool:
        return await portal.ping(cfg.health_timeout_s)

    async def run_workers() -> None:
        try:
            await asyncio.gather(DeliveryWorker(rt, deps).run(), StatusPoller(rt, deps).run())
        finally:
            await portal.close()

    rt.health_checks["portal"] = portal_answers
    rt.tasks.append(asyncio.create_task(run_workers(), name="portal-sync-workers"))
    return deps
