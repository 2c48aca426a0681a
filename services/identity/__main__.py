"""`python -m services.identity`: run the identity service until SIGTERM."""
from __future__ import annotations

import asyncio
import functools

from services.identity.app import SPEC, build_deps
from services.identity.config import load
from shared.service import run_service


async def main() -> None:
    common, cfg = load()
    await run_service(SPEC, common, functools.partial(build_deps, cfg=cfg))


if __name__ == "__main__":
    asyncio.run(main())
