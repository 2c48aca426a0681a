"""`python -m services.portal_sync`: deliver dossiers to the portal, bring statuses back."""
from __future__ import annotations

import asyncio
from functools import partial

from services.portal_sync.app import SPEC, build_deps
from services.portal_sync.config import load
from shared.service import run_service


async def main() -> None:
    common, config = load()
    await run_service(SPEC, common, partial(build_deps, config=config))


if __name__ == "__main__":
    asyncio.run(main())
