"""Numbered migrations on the real PostgreSQL: applied once, in order, the shared outbox/inbox included."""
from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from shared import db
from shared.settings import CommonSettings
from shared.topology import CENTRAL

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


async def test_every_service_schema_migrates_once_with_its_outbox(settings: CommonSettings) -> None:
    """kiosk migrate's work: each stateful service's schema gets its tables and the shared outbox/inbox; a second run does nothing."""
    await db.ensure_database(settings.pg_dsn)
    conn = await asyncpg.connect(settings.pg_dsn)
    try:
        first = []
        for schema in CENTRAL:
            first += await db.migrate(conn, schema, REPO / "services" / schema / "migrations")
        assert "intake/shared/0001_outbox_inbox.sql" in first and "intake/0001_dossiers.sql" in first
        again = []
        for schema in CENTRAL:
            again += await db.migrate(conn, schema, REPO / "services" / schema / "migrations")
        assert again == []
        for schema in CENTRAL:
            cols = {r["column_name"] for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'outbox'", schema)}
            assert {"message_id", "body", "published_at", "dead_at", "last_error"} <= cols
    finally:
        await conn.close()


def test_a_misnamed_migration_file_is_refused(tmp_path: Path) -> None:
    """A file not named NNNN_name.sql stops the migration with a message naming it."""
    (tmp_path / "1_oops.sql").write_text("SELECT 1")
    with pytest.raises(RuntimeError, match="1_oops.sql"):
        db.migration_files(tmp_path)
