"""Wiring of the identity service: its spec, and the dependencies its handlers get."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from services.identity import repository
from services.identity.config import IdentitySettings, for_common
from services.identity.handlers import HANDLERS
from services.identity.jwks import JwksCache
from services.identity.provider import VneidClient
from services.identity.tokens import Expectations
from shared.logging import get_logger
from shared.messages import utcnow
from shared.service import HEALTH_PORTS, Runtime, ServiceSpec

log = get_logger()

SPEC = ServiceSpec(
    name="identity", handlers=HANDLERS, schema="identity",
    migrations=Path(__file__).with_name("migrations"), health_port=HEALTH_PORTS["identity"],
)


@dataclass
class Deps:
    cfg: IdentitySettings
    expect: Expectations
    jwks: JwksCache
    vneid: VneidClient


async def build_deps(rt: Runtime[Any], cfg: IdentitySettings | None = None) -> Deps:
    """Build the handlers' dependencies; their background work ends when the runtime stops."""
    cfg = for_common(rt.settings, cfg or IdentitySettings())
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=cfg.http_timeout_s))
    vneid = VneidClient(session, cfg)
    deps = Deps(
        cfg=cfg,
        expect=Expectations(issuer=cfg.issuer, audience=cfg.audience,
                            accepted_acr=tuple(cfg.accepted_acr), leeway_s=cfg.leeway_s),
        jwks=JwksCache(vneid.fetch_jwks, max_age_s=cfg.jwks_max_age_s,
                       refetch_min_interval_s=cfg.jwks_refetch_min_interval_s),
        vneid=vneid,
    )
    # Runtime.stop() cancels rt.tasks: the session closes and the housekeeping ends with the service.
    rt.tasks.append(asyncio.create_task(_close_at_stop(session), name="identity-http-session"))
    if rt.pool is not None:
        rt.tasks.append(asyncio.create_task(_housekeeping(rt.pool, cfg.housekeeping_interval_s),
                                            name="identity-housekeeping"))

    async def jwks_status() -> dict[str, Any]:
        return deps.jwks.status()

    rt.health_checks["jwks"] = jwks_status
    return deps


async def _close_at_stop(session: aiohttp.ClientSession) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await session.close()


async def _housekeeping(pool: asyncpg.Pool, interval_s: float) -> None:
    """Delete spent tokens, dead codes and ended lockouts: personal data kept no longer than useful."""
    while True:
        try:
            async with pool.acquire() as conn:
                await repository.purge_expired(conn, utcnow())
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            log.warning("identity.housekeeping_failed", error=repr(exc)[:300])
        await asyncio.sleep(interval_s)
