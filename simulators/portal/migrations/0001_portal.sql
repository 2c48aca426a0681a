-- The simulated portal's own state: dossiers it received, their documents and status history.
CREATE TABLE portal_sim.dossiers (
    code            text PRIMARY KEY,
    ref             text NOT NULL UNIQUE,
    idempotency_key text NOT NULL UNIQUE,
    body_sha256     text NOT NULL,
    dossier         jsonb NOT NULL,
    status          text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_newest ON portal_sim.dossiers (received_at DESC);

CREATE TABLE portal_sim.documents (
    dossier_code text NOT NULL REFERENCES portal_sim.dossiers (code),
    document_key text NOT NULL,
    sha256       text NOT NULL,
    size_bytes   int NOT NULL,
    content      bytea NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_code, document_key)
);

-- History of every dossier. Rows with in_feed are the change feed the kiosk polls by seq; the
-- portal's own "received" row is history only (the kiosk learns about it from the POST answer).
CREATE TABLE portal_sim.history (
    seq          bigserial PRIMARY KEY,
    dossier_code text NOT NULL REFERENCES portal_sim.dossiers (code),
    status       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    in_feed      boolean NOT NULL
);
CREATE INDEX history_by_dossier ON portal_sim.history (dossier_code, seq);
CREATE INDEX history_feed ON portal_sim.history (seq) WHERE in_feed;
