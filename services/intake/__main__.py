"""Run intake: python -m services.intake"""
from __future__ import annotations

import asyncio

from services.intake.app import SPEC, build_deps
from services.intake.config import load
from shared.catalogue import load_catalogue
from shared.service import run_service


async def main() -> None:
    common, own = load()
    # A broken procedure file stops the process here, before it connects to anything.
    load_catalogue(own.catalogue_dir)
    await run_service(SPEC, common, build_deps)


if __name__ == "__main__":
    asyncio.run(main())
