#!/usr/bin/env python3
"""Drives a running Kite sandbox with Zerodha's official Python client (`kiteconnect`).

The sandbox claims to be wire-compatible with Kite Connect v3; this script is the proof from the
outside: the browser login flow, the checksum exchange, orders, portfolio, quotes, the instrument dump,
historical candles and full-mode ticks over the official `KiteTicker` (Twisted + autobahn).

    python3 scripts/python_client/check_sandbox.py --http-url http://127.0.0.1:5100 \
        --ws-url ws://127.0.0.1:5101 --api-key sandbox_api_key --api-secret sandbox_api_secret

Exit status 0 when everything worked; otherwise 1 with a `FAIL:` line saying what broke.
"""

import argparse
import datetime as dt
import html.parser
import os
import sys
import threading
import time
import urllib.parse

try:
    import requests
    from kiteconnect import KiteConnect, KiteTicker
    from kiteconnect import exceptions as kex
except ImportError as e:  # pragma: no cover - the Rust test checks this first
    print(f"FAIL: the kiteconnect package is not importable ({e}); run scripts/setup.sh", file=sys.stderr)
    sys.exit(1)


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def ok(message):
    print(f"ok: {message}", flush=True)


class FormParser(html.parser.HTMLParser):
    """The login page's first form: its action and every named input with its value."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done:
            self.action = a.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def request_token_via_browser(login_url, user_id, password):
    """What a browser does: load the login page, submit its form, read the redirect."""
    page = requests.get(login_url, timeout=10)
    check(page.status_code == 200, f"login page {login_url}: HTTP {page.status_code}")
    form = FormParser()
    form.feed(page.text)
    check(form.action is not None, "login page has no <form>")
    check("user_id" in form.fields and "password" in form.fields,
          f"login form lacks user_id/password inputs: {sorted(form.fields)}")
    fields = dict(form.fields)
    fields["user_id"] = user_id
    fields["password"] = password
    action = urllib.parse.urljoin(login_url, form.action)
    resp = requests.post(action, data=fields, allow_redirects=False, timeout=10)
    check(resp.status_code in (301, 302, 303, 307),
          f"login form post: HTTP {resp.status_code}, expected a redirect: {resp.text[:200]}")
    location = resp.headers.get("Location", "")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    check(query.get("status") == ["success"], f"redirect without status=success: {location}")
    token = query.get("request_token", [""])[0]
    check(token, f"redirect without request_token: {location}")
    ok(f"login form for {user_id} redirected to {location.split('?')[0]} with a request token")
    return token


def polite(fn, *args, **kwargs):
    """Kite answers 429 past its per-second limits and the client does not retry: wait and retry.

    Refused requests count against the one-second window too, so the wait is a whole window."""
    for _ in range(10):
        try:
            return fn(*args, **kwargs)
        except kex.NetworkException as e:
            if "Too many requests" not in str(e):
                raise
            time.sleep(1.05)
    raise Failure(f"{fn.__name__}: still rate-limited after 10 s")


def wait_for_status(kite, order_id, wanted, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        history = polite(kite.order_history, order_id)
        check(isinstance(history, list) and history, f"order_history({order_id}) is empty")
        status = history[-1]["status"]
        if status == wanted:
            return history
        check(status not in ("REJECTED", "CANCELLED") or status == wanted,
              f"order {order_id} ended {status}: {history[-1].get('status_message')}")
        check(time.monotonic() < deadline, f"order {order_id} still {status} after {timeout} s")
        time.sleep(0.1)


def rest_checks(kite, args):
    profile = polite(kite.profile)
    check(profile["user_id"] == args.user_id.upper(), f"profile user_id {profile['user_id']}")
    margins = polite(kite.margins)
    check(isinstance(margins["equity"]["available"]["live_balance"], (int, float)),
          "margins: equity.available.live_balance is not a number")
    ok(f"profile {profile['user_id']}, equity live balance {margins['equity']['available']['live_balance']}")

    # The instrument dump, parsed by the client into dicts with typed fields.
    nse = polite(kite.instruments, "NSE")
    by_symbol = {i["tradingsymbol"]: i for i in nse}
    check("INFY" in by_symbol and "RELIANCE" in by_symbol, "INFY/RELIANCE missing from instruments('NSE')")
    infy = by_symbol["INFY"]
    check(isinstance(infy["instrument_token"], int) and infy["lot_size"] == 1,
          f"INFY instrument row: {infy}")
    nfo = polite(kite.instruments, "NFO")
    futures = [i for i in nfo if i["instrument_type"] == "FUT" and i["name"] == "NIFTY"]
    check(futures, "no NIFTY future in instruments('NFO')")
    future = min(futures, key=lambda i: i["expiry"])
    check(isinstance(future["expiry"], dt.date), f"expiry not parsed as a date: {future['expiry']!r}")
    ok(f"instruments: {len(nse)} NSE rows, {len(nfo)} NFO rows; nearest NIFTY future {future['tradingsymbol']}")

    # Quotes.
    keys = ["NSE:INFY", "NSE:RELIANCE"]
    quote = polite(kite.quote, keys)
    for k in keys:
        q = quote.get(k)
        check(q is not None, f"quote lacks {k}")
        check(len(q["depth"]["buy"]) == 5 and len(q["depth"]["sell"]) == 5, f"{k}: depth is not 5x5")
        check(isinstance(q["timestamp"], dt.datetime), f"{k}: timestamp not parsed: {q['timestamp']!r}")
    ltp = polite(kite.ltp, keys)
    ohlc = polite(kite.ohlc, keys)
    check(set(ltp) == set(keys) and set(ohlc) == set(keys), "ltp/ohlc keys differ from the request")
    check(ltp["NSE:INFY"]["last_price"] > 0, "INFY ltp is not positive")
    ok(f"quote/ltp/ohlc: INFY {ltp['NSE:INFY']['last_price']}, RELIANCE {ltp['NSE:RELIANCE']['last_price']}")

    # Historical candles: a week of minutes and a year of days; the client parses dates.
    today = dt.date.today()
    minutes = polite(kite.historical_data, infy["instrument_token"],
                     today - dt.timedelta(days=7), today, "minute")
    check(minutes, "historical_data(minute) is empty")
    c = minutes[-1]
    check(isinstance(c["date"], dt.datetime) and c["date"].tzinfo is not None,
          f"candle date not a tz-aware datetime: {c['date']!r}")
    check(c["low"] <= min(c["open"], c["close"]) and c["high"] >= max(c["open"], c["close"]),
          f"candle out of order: {c}")
    days = polite(kite.historical_data, infy["instrument_token"],
                  today - dt.timedelta(days=365), today, "day")
    check(len(days) > 200, f"only {len(days)} daily candles in a year")
    with_oi = polite(kite.historical_data, future["instrument_token"],
                     today - dt.timedelta(days=5), today, "5minute", oi=True)
    check(with_oi and "oi" in with_oi[-1], "historical_data(oi=True) has no oi")
    ok(f"historical: {len(minutes)} minute, {len(days)} day, {len(with_oi)} 5minute+oi candles")

    # Orders: a market buy that fills, a limit far from the market to modify and cancel.
    order_id = polite(kite.place_order, variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
                      tradingsymbol="INFY", transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1,
                      product=kite.PRODUCT_CNC, order_type=kite.ORDER_TYPE_MARKET, tag="pycheck")
    check(isinstance(order_id, str) and order_id, f"place_order returned {order_id!r}")
    history = wait_for_status(kite, order_id, "COMPLETE")
    filled = history[-1]
    check(filled["filled_quantity"] == 1 and filled["average_price"] > 0, f"filled order: {filled}")
    trades = polite(kite.order_trades, order_id)
    check(len(trades) == 1 and trades[0]["quantity"] == 1, f"order_trades: {trades}")
    ok(f"market order {order_id} filled at {filled['average_price']}")

    low = round(ltp["NSE:INFY"]["last_price"] * 0.9 * 20) / 20
    limit_id = polite(kite.place_order, variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
                      tradingsymbol="INFY", transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1,
                      product=kite.PRODUCT_CNC, order_type=kite.ORDER_TYPE_LIMIT, price=low)
    wait_for_status(kite, limit_id, "OPEN")
    polite(kite.modify_order, variety=kite.VARIETY_REGULAR, order_id=limit_id, price=low - 1, quantity=2)
    modified = wait_for_status(kite, limit_id, "OPEN")[-1]
    check(modified["quantity"] == 2 and abs(modified["price"] - (low - 1)) < 1e-6,
          f"modify not applied: {modified}")
    polite(kite.cancel_order, variety=kite.VARIETY_REGULAR, order_id=limit_id)
    wait_for_status(kite, limit_id, "CANCELLED")
    ok(f"limit order {limit_id} placed, modified, cancelled")

    orders = polite(kite.orders)
    ids = {o["order_id"] for o in orders}
    check({order_id, limit_id} <= ids, f"orders() lacks {order_id}/{limit_id}")
    check(isinstance(orders[0]["order_timestamp"], dt.datetime), "order_timestamp not parsed")
    check(any(t["order_id"] == order_id for t in polite(kite.trades)), "trades() lacks the fill")
    positions = polite(kite.positions)
    check(any(p["tradingsymbol"] == "INFY" and p["quantity"] >= 1 for p in positions["net"]),
          f"positions().net has no INFY: {positions['net']}")
    holdings = polite(kite.holdings)
    check(isinstance(holdings, list) and holdings, "holdings() is empty")
    check(all("tradingsymbol" in h and "quantity" in h for h in holdings), "holding without keys")
    ok(f"orders {len(orders)}, positions net {len(positions['net'])}, holdings {len(holdings)}")
    return [infy["instrument_token"], by_symbol["RELIANCE"]["instrument_token"], future["instrument_token"]]


def ticker_checks(kite, args, access_token, tokens):
    """Full-mode ticks for every token, with depth, and an order update for an order placed meanwhile."""
    seen = {}
    updates = []
    errors = []
    all_seen = threading.Event()
    got_update = threading.Event()
    connected = threading.Event()

    kws = KiteTicker(args.api_key, access_token, root=args.ws_url, reconnect=False)

    def on_connect(ws, response):
        ws.subscribe(tokens)
        ws.set_mode(ws.MODE_FULL, tokens)
        connected.set()

    def on_ticks(ws, ticks):
        for t in ticks:
            if t.get("mode") != "full":
                continue
            depth = t.get("depth") or {}
            if len(depth.get("buy", [])) != 5 or len(depth.get("sell", [])) != 5:
                errors.append(f"full tick without 5x5 depth: {t}")
                continue
            seen[t["instrument_token"]] = t
        if all(tok in seen for tok in tokens):
            all_seen.set()

    def on_order_update(ws, data):
        updates.append(data)
        got_update.set()

    def on_error(ws, code, reason):
        errors.append(f"ticker error {code}: {reason}")

    def on_close(ws, code, reason):
        if not all_seen.is_set():
            errors.append(f"ticker closed early {code}: {reason}")

    kws.on_connect = on_connect
    kws.on_ticks = on_ticks
    kws.on_order_update = on_order_update
    kws.on_error = on_error
    kws.on_close = on_close
    kws.connect(threaded=True)

    try:
        check(connected.wait(10), f"KiteTicker did not connect to {args.ws_url}: {errors}")
        all_seen.wait(args.seconds)
        check(not errors, "; ".join(errors[:3]))
        missing = [t for t in tokens if t not in seen]
        check(not missing, f"no full tick with depth for {missing} in {args.seconds} s")
        for tok in tokens:
            t = seen[tok]
            check(t["last_price"] > 0 and isinstance(t.get("exchange_timestamp"), dt.datetime),
                  f"tick for {tok} lacks a price or exchange_timestamp: {t}")
        fut = seen[tokens[-1]]
        check(fut.get("oi", 0) > 0, f"future tick has no open interest: {fut}")
        ok("full-mode ticks with 5x5 depth for " + ", ".join(
            f"{tok} @ {seen[tok]['last_price']}" for tok in tokens))

        order_id = polite(kite.place_order, variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
                          tradingsymbol="RELIANCE", transaction_type=kite.TRANSACTION_TYPE_BUY,
                          quantity=1, product=kite.PRODUCT_MIS, order_type=kite.ORDER_TYPE_MARKET)
        deadline = time.monotonic() + 10
        while not any(u.get("order_id") == order_id and u.get("status") == "COMPLETE" for u in updates):
            check(time.monotonic() < deadline,
                  f"no COMPLETE order update for {order_id} on the ticker: {[u.get('status') for u in updates]}")
            got_update.wait(0.2)
            got_update.clear()
        ok(f"order update COMPLETE for {order_id} on the ticker")
    finally:
        kws.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--http-url", required=True, help="REST root, e.g. http://127.0.0.1:5100")
    ap.add_argument("--ws-url", required=True, help="ticker root, e.g. ws://127.0.0.1:5101")
    ap.add_argument("--api-key", default="sandbox_api_key")
    ap.add_argument("--api-secret", default="sandbox_api_secret")
    ap.add_argument("--user-id", default="DEMO01")
    ap.add_argument("--password", default="sandbox")
    ap.add_argument("--login-url", help="default: <http-url>/connect/login?api_key=..&v=3")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to wait for ticks")
    args = ap.parse_args()

    login_url = args.login_url or "{}/connect/login?{}".format(
        args.http_url.rstrip("/"), urllib.parse.urlencode({"api_key": args.api_key, "v": "3"}))
    kite = KiteConnect(args.api_key, root=args.http_url.rstrip("/"))
    token = request_token_via_browser(login_url, args.user_id, args.password)
    session = kite.generate_session(token, api_secret=args.api_secret)
    access_token = session["access_token"]
    check(session["user_id"] == args.user_id.upper(), f"session for {session['user_id']}")
    check(isinstance(session["login_time"], dt.datetime), f"login_time not parsed: {session['login_time']!r}")
    kite.set_access_token(access_token)
    ok(f"generate_session: access token for {session['user_id']}")

    tokens = rest_checks(kite, args)
    ticker_checks(kite, args, access_token, tokens)
    print("PASS: the official Python client works against the sandbox", flush=True)


if __name__ == "__main__":
    code = 0
    try:
        main()
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        code = 1
    except kex.KiteException as e:
        print(f"FAIL: Kite error {type(e).__name__} (HTTP {e.code}): {e}", file=sys.stderr, flush=True)
        code = 1
    except Exception as e:  # noqa: BLE001 - any other failure is a failure of the check
        import traceback
        traceback.print_exc()
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # The ticker's Twisted reactor runs in a non-daemon thread that does not always stop on close().
    os._exit(code)
