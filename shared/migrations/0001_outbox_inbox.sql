-- Transactional outbox and inbox of one service's schema ({schema} is replaced by the schema name).
CREATE TABLE {schema}.outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    kind         text NOT NULL CHECK (kind IN ('event', 'command')),
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    -- A row the broker keeps refusing (an unroutable command) is retried, then set aside as dead
    -- with its reason, so it never blocks the rows behind it.
    attempts     int NOT NULL DEFAULT 0,
    last_error   text,
    dead_at      timestamptz
);
CREATE INDEX outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL AND dead_at IS NULL;

CREATE TABLE {schema}.inbox (
    message_id uuid PRIMARY KEY,
    type       text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_handled_at ON {schema}.inbox (handled_at);
