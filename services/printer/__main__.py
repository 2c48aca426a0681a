"""python -m services.printer"""
from __future__ import annotations

import asyncio
import dataclasses
import functools

from services.printer.app import SPEC, build_deps
from services.printer.config import load
from shared.service import run_service


async def main() -> None:
    common, cfg = load()
    spec = dataclasses.replace(SPEC, health_port=cfg.health_port)
    await run_service(spec, common, functools.partial(build_deps, cfg=cfg))


if __name__ == "__main__":
    asyncio.run(main())
