"""Test infrastructure: the real RabbitMQ and PostgreSQL, never fakes of them.

testcontainers when a Docker engine answers; otherwise KIOSK_AMQP_URL / KIOSK_PG_DSN (defaults:
the local services). If neither answers, integration tests FAIL with a clear message: they never skip.
Each test session gets its own bus namespace and its own database, removed at the end.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest

from shared.settings import CommonSettings
from shared.topology import all_units, exchange

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no engine here
        return False


@pytest.fixture(scope="session")
def infra() -> Iterator[dict[str, str]]:
    """URLs of a real broker and database server: containers if possible, else the configured ones."""
    if _docker_answers() and not os.environ.get("KIOSK_TEST_NO_CONTAINERS"):
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13") as rmq, PostgresContainer("postgres:15") as pg:
            amqp = f"amqp://guest:guest@{rmq.get_container_host_ip()}:{rmq.get_exposed_port(5672)}/"
            dsn = pg.get_connection_url().replace("postgresql+psycopg2", "postgresql")
            yield {"amqp": amqp, "pg": dsn}
        return
    amqp = os.environ.get("KIOSK_AMQP_URL", DEFAULT_AMQP)
    pg = os.environ.get("KIOSK_PG_DSN", DEFAULT_PG)
    problems = asyncio.run(_probe(amqp, pg))
    if problems:
        pytest.fail("integration tests need a real RabbitMQ and PostgreSQL (no Docker engine answered, and "
                    "the configured ones did not either): " + "; ".join(problems) +
                    ". Start them (make services) or set KIOSK_AMQP_URL / KIOSK_PG_DSN.", pytrace=False)
    yield {"amqp": amqp, "pg": pg}


async def _probe(amqp: str, pg: str) -> list[str]:
    problems = []
    try:
        conn = await aio_pika.connect(amqp, timeout=5)
        await conn.close()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"RabbitMQ at {amqp}: {exc!r}")
    try:
        c = await asyncpg.connect(_with_db(pg, "postgres"), timeout=5)
        await c.close()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"PostgreSQL at {pg}: {exc!r}")
    return problems


def _with_db(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def test_ns() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
async def settings(infra: dict[str, str], test_ns: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[CommonSettings]:
    """Settings for one test module: its own namespace, database and var dir, so modules cannot see
    each other's leftover messages or rows."""
    dsn = _with_db(infra["pg"], f"kiosk_{test_ns}")
    s = CommonSettings(amqp_url=infra["amqp"], pg_dsn=dsn, namespace=test_ns, kiosk_id="kiosk-t1",
                       var_dir=tmp_path_factory.mktemp("var"))
    yield s
    await cleanup_namespace(infra["amqp"], test_ns, s.kiosk_id)
    admin = await asyncpg.connect(_with_db(infra["pg"], "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "kiosk_{test_ns}" WITH (FORCE)')
    finally:
        await admin.close()


async def cleanup_namespace(amqp: str, ns: str, kiosk_id: str) -> None:
    """Delete every queue and exchange of a test namespace (quorum queues otherwise linger)."""
    conn = await aio_pika.connect(amqp)
    async with conn:
        ch = await conn.channel()
        for unit in all_units(ns, kiosk_id):
            for kind in ("commands", "events", "queries", "dlq"):
                try:
                    await ch.queue_delete(unit.queue(kind))
                except Exception:  # noqa: BLE001 - already gone
                    ch = await conn.channel()
        for kind in ("event", "command", "query", "dlx"):
            try:
                await ch.exchange_delete(exchange(ns, kind))
            except Exception:  # noqa: BLE001
                ch = await conn.channel()


REPO = Path(__file__).resolve().parent.parent
