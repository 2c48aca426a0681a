-- intake: dossiers (ho so), their documents and status history, the daily counters, queue tickets.

CREATE TABLE intake.dossiers (
    code                text PRIMARY KEY,              -- <agency code>-<YYMMDD>-<NNNN>
    submission_id       uuid NOT NULL UNIQUE,          -- a retried submit lands once
    agency_code         text NOT NULL,
    agency_name         text NOT NULL,
    procedure_code      text NOT NULL,
    procedure_name      text NOT NULL,
    applicant           jsonb NOT NULL,                -- personal data: never in logs or status replies
    form                jsonb NOT NULL,
    fee_vnd             integer NOT NULL CHECK (fee_vnd >= 0),
    received_at         timestamptz NOT NULL,
    due_date            date NOT NULL,
    status              text NOT NULL,
    status_seq          bigint NOT NULL DEFAULT 0,     -- last portal_seq applied
    kiosk_id            text NOT NULL,
    correlation_id      text NOT NULL,
    otp_confirmation_id uuid NOT NULL,
    delivered_at        timestamptz,
    portal_ref          text,
    receipt_printed_at  timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intake.dossier_documents (
    dossier_code text NOT NULL REFERENCES intake.dossiers (code),
    position     integer NOT NULL,
    document_key text NOT NULL,
    name         text NOT NULL,
    file_ref     text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    pages        integer NOT NULL CHECK (pages >= 1),
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    PRIMARY KEY (dossier_code, position)
);

CREATE TABLE intake.status_history (
    id           bigserial PRIMARY KEY,
    dossier_code text NOT NULL REFERENCES intake.dossiers (code),
    status       text NOT NULL,
    at           timestamptz NOT NULL,
    actor        text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    portal_seq   bigint NOT NULL DEFAULT 0
);
CREATE INDEX status_history_dossier ON intake.status_history (dossier_code, at, id);

-- One row per (agency, day); INSERT ... ON CONFLICT DO UPDATE ... RETURNING hands out numbers
-- atomically, so several intake instances never give two dossiers the same code.
CREATE TABLE intake.dossier_sequences (
    agency_code text NOT NULL,
    day         date NOT NULL,
    last_value  integer NOT NULL,
    PRIMARY KEY (agency_code, day)
);

CREATE TABLE intake.queue_sequences (
    area       text NOT NULL,
    day        date NOT NULL,
    last_value integer NOT NULL,
    PRIMARY KEY (area, day)
);

CREATE TABLE intake.queue_tickets (
    request_id uuid PRIMARY KEY,
    area       text NOT NULL,
    day        date NOT NULL,
    seq        integer NOT NULL,
    number     text NOT NULL,
    kiosk_id   text NOT NULL,
    issued_at  timestamptz NOT NULL,
    called_at  timestamptz,                            -- set by the counter side (later issue)
    UNIQUE (area, day, seq)
);
