-- The trading journal: every strategy a user configured, every order the engine placed (one row per
-- tag, the idempotency key), every fill (one row per broker trade id, so a fill is journalled exactly
-- once however often it is seen), every signal with the risk manager's verdict, risk events, and
-- per-user settings (risk limits, kill switch) that must survive a restart. Every row carries its
-- user: queries always filter by it.
CREATE TABLE strategies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    instrument TEXT NOT NULL,
    params TEXT NOT NULL,
    bar_seconds BIGINT NOT NULL,
    product TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_ms BIGINT NOT NULL,
    removed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX strategies_user ON strategies (user_id);

CREATE TABLE orders (
    user_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    order_id TEXT,
    strategy_id BIGINT,
    basket TEXT,
    exchange TEXT NOT NULL,
    tradingsymbol TEXT NOT NULL,
    side TEXT NOT NULL,
    product TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    filled_quantity BIGINT NOT NULL,
    price DOUBLE PRECISION,
    average_price DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    modifications BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX orders_user_order_id ON orders (user_id, order_id);
CREATE INDEX orders_user_status ON orders (user_id, status);

CREATE TABLE fills (
    user_id TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    strategy_id BIGINT,
    exchange TEXT NOT NULL,
    tradingsymbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    charges DOUBLE PRECISION NOT NULL,
    ts_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, trade_id)
);
CREATE INDEX fills_user_ts ON fills (user_id, ts_ms);

CREATE TABLE signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    strategy_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    instrument TEXT NOT NULL,
    side TEXT NOT NULL,
    strength DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    verdict TEXT NOT NULL
);
CREATE INDEX signals_user_ts ON signals (user_id, ts_ms);

CREATE TABLE risk_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX risk_events_user_ts ON risk_events (user_id, ts_ms);

CREATE TABLE user_settings (
    user_id TEXT NOT NULL,
    setting_key TEXT NOT NULL,
    setting_value TEXT NOT NULL,
    PRIMARY KEY (user_id, setting_key)
);
