-- Transactional outbox and inbox of one service's schema ({schema} is replaced by the schema name).
CREATE TABLE {schema}.outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    kind         text NOT NULL CHECK (kind IN ('event', 'command')),
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL;

CREATE TABLE {schema}.inbox (
    message_id uuid PRIMARY KEY,
    type       text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);
