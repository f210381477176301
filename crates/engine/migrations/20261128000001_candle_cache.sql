-- Candle cache: bars fetched from Kite's historical API, so a chart or a scan never asks twice.
-- ts is the bar's start as IST wall-clock seconds since 1970-01-01 (Kite's timestamps are IST).
CREATE TABLE candles (
    instrument_token BIGINT NOT NULL,
    candle_interval TEXT NOT NULL,
    ts BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    volume BIGINT NOT NULL,
    oi BIGINT,
    PRIMARY KEY (instrument_token, candle_interval, ts)
);

-- Ranges [from_ts, to_ts] (inclusive, same clock as candles.ts) already fetched for a token and
-- interval. A range can hold no candle at all (holidays), which is why coverage is kept apart from
-- the candles: only what is not covered is fetched again. Overlapping ranges are merged on write.
CREATE TABLE candle_coverage (
    instrument_token BIGINT NOT NULL,
    candle_interval TEXT NOT NULL,
    from_ts BIGINT NOT NULL,
    to_ts BIGINT NOT NULL,
    PRIMARY KEY (instrument_token, candle_interval, from_ts)
);

-- Where the cached candles came from ("kite", "sandbox:<seed>"). Real Kite and the sandbox share
-- instrument tokens, so a cache filled by one must never answer for the other.
CREATE TABLE cache_meta (
    meta_key TEXT PRIMARY KEY,
    meta_value TEXT NOT NULL
);
