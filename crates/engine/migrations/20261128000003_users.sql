-- The user registry: one row per Zerodha account the agent trades for, and that account's current
-- Kite access token. Secrets (api_secret, access_token) are stored only as AEAD ciphertext, base64
-- text of `version byte || nonce || ciphertext+tag`, so the column type stays portable (TEXT, not a
-- sqlite BLOB / postgres BYTEA) and a key rotation can tell old values by their version byte.
CREATE TABLE users (
    zerodha_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    api_key TEXT NOT NULL,
    api_secret_enc TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE user_tokens (
    zerodha_id TEXT PRIMARY KEY REFERENCES users (zerodha_id) ON DELETE CASCADE,
    access_token_enc TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
