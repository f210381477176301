-- Login by one-time code (issue #5): at most one pending challenge per Zerodha ID, and server-side
-- sessions. Neither secret is stored as such: a challenge keeps an HMAC of its code (keyed by the
-- server, salted per challenge) and a session is found by the SHA-256 of its random id, so a copy of
-- the database opens no account. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE otp_challenges (
    zerodha_id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    -- Verification attempts made, right or wrong; the challenge is locked at the configured maximum.
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Set once, when the right code is accepted: a code opens one session only.
    consumed_ms BIGINT
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_ms);
