"""PostgreSQL through asyncpg: the pool, database creation, numbered plain-SQL migrations."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.logging import get_logger

log = get_logger()
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# The outbox and inbox every stateful service has, as numbered migrations of their own ({schema}
# stands for the service's schema), tracked apart from the service's migrations as "<schema>/shared".
SHARED_MIGRATIONS = Path(__file__).with_name("migrations")


async def ensure_database(dsn: str) -> None:
    """Create the database named in the DSN if it does not exist yet."""
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/") or "postgres"
    try:
        conn = await asyncpg.connect(dsn)
        await conn.close()
        return
    except asyncpg.InvalidCatalogNameError:
        pass
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        log.info("db.created", database=name)
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await admin.close()


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30)


def migration_files(directory: Path) -> list[tuple[int, Path]]:
    out = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_RE.match(path.name)
        if not m:
            raise RuntimeError(f"migration file name must be NNNN_name.sql: {path}")
        out.append((int(m.group(1)), path))
    versions = [v for v, _ in out]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number in {directory}")
    return out


async def migrate(conn: asyncpg.Connection, schema: str, directory: Path, *, with_outbox: bool = True) -> list[str]:
    """Apply the schema's migrations not yet applied, each in its own transaction; returns their names."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock(hashtext('kiosk_migrations'))")
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS public.kiosk_migrations (schema_name text NOT NULL, version int NOT NULL,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, version))")
        steps: list[tuple[str, int, str, str]] = []
        if with_outbox:
            steps += [(f"{schema}/shared", v, p.name, p.read_text().replace("{schema}", schema))
                      for v, p in migration_files(SHARED_MIGRATIONS)]
        steps += [(schema, v, p.name, p.read_text()) for v, p in migration_files(directory)]
        done = {(r["schema_name"], r["version"]) for r in await conn.fetch(
            "SELECT schema_name, version FROM public.kiosk_migrations WHERE schema_name IN ($1, $2)",
            schema, f"{schema}/shared")}
        for track, version, name, sql in steps:
            if (track, version) in done:
                continue
            async with conn.transaction():
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                await conn.execute(sql)
                await conn.execute("INSERT INTO public.kiosk_migrations (schema_name, version, name) VALUES ($1, $2, $3)",
                                   track, version, name)
            applied.append(f"{track}/{name}")
            log.info("db.migrated", schema=track, migration=name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext('kiosk_migrations'))")
    return applied
