-- Dossiers to deliver to the portal (one row per dossier), and the position in the portal's change feed.
CREATE TABLE portal_sync.deliveries (
    dossier_code    text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,           -- the submission id: the portal keeps one dossier per key
    dossier         jsonb NOT NULL,
    kiosk_id        text NOT NULL,
    correlation_id  text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    portal_ref      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX deliveries_pending ON portal_sync.deliveries (created_at) WHERE state = 'pending';

CREATE TABLE portal_sync.status_cursor (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),  -- exactly one row
    last_seq bigint NOT NULL
);
INSERT INTO portal_sync.status_cursor (id, last_seq) VALUES (true, 0);
