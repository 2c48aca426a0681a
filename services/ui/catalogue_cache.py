"""The procedure catalogue as the UI knows it: asked of intake, kept while intake is away."""
from __future__ import annotations

import asyncio
import time

from shared.bus import Bus
from shared.catalogue import Procedure
from shared.logging import get_logger
from shared.messages import GetCatalogue

log = get_logger()


class CatalogueCache:
    def __init__(self, bus: Bus, timeout_s: float, refresh_s: float = 300) -> None:
        self.bus, self.timeout_s, self.refresh_s = bus, timeout_s, refresh_s
        self.procedures: dict[str, Procedure] = {}
        self.fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Procedure]:
        """The catalogue; refreshed when stale, the old copy kept when intake does not answer."""
        if self.procedures and time.monotonic() - self.fetched_at < self.refresh_s:
            return self.procedures
        async with self._lock:
            try:
                reply = await self.bus.request(GetCatalogue(), correlation_id="catalogue", timeout=self.timeout_s)
            except (TimeoutError, OSError) as exc:
                log.warning("catalogue.unavailable", error=repr(exc))
                return self.procedures
            if reply.ok:
                procs = [Procedure.model_validate(p) for p in reply.data["procedures"]]
                self.procedures = {p.code: p for p in procs}
                self.fetched_at = time.monotonic()
        return self.procedures

    async def warm(self) -> None:
        """Keep asking until intake answers once (at start intake may still be migrating)."""
        while not self.procedures:
            await self.get()
            if not self.procedures:
                await asyncio.sleep(1)
