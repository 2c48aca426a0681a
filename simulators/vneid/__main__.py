"""`python -m simulators.vneid`: serve the simulated VNeID until SIGTERM/SIGINT."""
from __future__ import annotations

from aiohttp import web

from shared.logging import configure
from shared.settings import CommonSettings
from simulators.vneid import SimSettings, create_app


def main() -> None:
    common, sim = CommonSettings(), SimSettings()
    configure("vneid_sim", common.log_level, common.log_format)
    web.run_app(create_app(common, sim), host=sim.host, port=sim.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
