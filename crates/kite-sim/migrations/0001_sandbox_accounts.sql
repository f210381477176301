-- The sandbox's accounts: one row per user for funds and counters, and the rows of each order's history,
-- its bookkeeping, trades, holdings and GTTs. Objects are stored as JSON text in Kite's own shapes, so the
-- tables stay portable (SQLite now, Postgres by configuration) and a restore rebuilds them exactly.
CREATE TABLE IF NOT EXISTS sim_accounts (
    user_id TEXT PRIMARY KEY,
    funds TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sim_order_states (
    user_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);
CREATE INDEX IF NOT EXISTS sim_order_states_user ON sim_order_states (user_id);

CREATE TABLE IF NOT EXISTS sim_order_extras (
    order_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    extra TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sim_trades (
    user_id TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    trade TEXT NOT NULL,
    PRIMARY KEY (user_id, trade_id)
);

CREATE TABLE IF NOT EXISTS sim_holdings (
    user_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    holding TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE IF NOT EXISTS sim_gtts (
    user_id TEXT NOT NULL,
    gtt_id BIGINT NOT NULL,
    gtt TEXT NOT NULL,
    PRIMARY KEY (gtt_id)
);
