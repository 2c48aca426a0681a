-- Login tokens already used (single use). Kept until they would have expired anyway.
CREATE TABLE identity.used_tokens (
    jti        text PRIMARY KEY CHECK (length(jti) <= 256),
    expires_at timestamptz NOT NULL
);
CREATE INDEX used_tokens_expires_at ON identity.used_tokens (expires_at);

-- One confirmation code per session (correlation id); only a salted hash of the code is kept.
CREATE TABLE identity.otp_challenges (
    correlation_id text PRIMARY KEY,
    id_number      text NOT NULL CHECK (id_number ~ '^[0-9]{12}$'),
    code_hash      bytea NOT NULL,
    salt           bytea NOT NULL,
    expires_at     timestamptz NOT NULL,
    attempts       int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_challenges_expires_at ON identity.otp_challenges (expires_at);

-- Citizens who entered a wrong code too many times, until when.
CREATE TABLE identity.otp_lockouts (
    id_number    text PRIMARY KEY CHECK (id_number ~ '^[0-9]{12}$'),
    locked_until timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
