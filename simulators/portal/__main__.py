"""`python -m simulators.portal`: the simulated Public Service Portal on 127.0.0.1:8090."""
from __future__ import annotations

from aiohttp import web

from shared.logging import configure
from simulators.portal.app import create_app
from simulators.portal.config import load


def main() -> None:
    common, sim = load()
    log = configure("portal_sim", common.log_level, common.log_format)
    log.info("portal_sim.starting", host=sim.host, port=sim.port, auth=bool(sim.token))
    web.run_app(create_app(common, sim), host=sim.host, port=sim.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
