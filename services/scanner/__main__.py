"""`python -m services.scanner`: run the scanner service with settings from KIOSK_* variables."""
from __future__ import annotations

import asyncio
from functools import partial

from services.scanner.app import SPEC, build_deps
from services.scanner.config import load
from shared.service import run_service


async def main() -> None:
    common, scanner = load()
    await run_service(SPEC, common, partial(build_deps, scanner_settings=scanner))


if __name__ == "__main__":
    asyncio.run(main())
