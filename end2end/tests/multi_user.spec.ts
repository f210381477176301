// Logins and two users side by side (issue #5). Nothing is reachable without a login; a code request
// never tells whether an ID exists; TRADER2 (registered with the CLI, no Kite session) connects Kite
// through the sandbox's login page with their own app; then each user sees only their own account,
// and logging out ends the session on the server.
import { test, expect, Page, BrowserContext, APIRequestContext } from '@playwright/test';
import {
  ANONYMOUS, BASE_URL, DEMO01, DEMO01_STATE, TRADER2,
  codeFromOutbox, logInThroughPage, mailsMentioning, outboxSnapshot, requestCode,
} from '../support/auth';

// This file's own `page` and `request` are anonymous; DEMO01 and TRADER2 get contexts of their own.
test.use({ storageState: ANONYMOUS });

const badge = (page: Page) => page.getByTestId('connection-badge');

/** Every `tradingsymbol` anywhere in a JSON reply (positions come as {net, day}, journals nest them). */
function symbols(json: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'tradingsymbol' && typeof x === 'string') out.add(x);
        else walk(x);
      }
    }
  };
  walk(json);
  return out;
}

async function getJson(request: APIRequestContext, path: string) {
  const res = await request.get(path);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return res.json();
}

test.describe('anonymous', () => {
  test('pages redirect to the login page and the API answers 401 JSON', async ({ page, request }) => {
    const health = await request.get('/api/health');
    expect(health.status()).toBe(200);
    const h = await health.json();
    expect(h.status).toBe('ok');
    expect(h.mode).toBe('sandbox');

    for (const path of ['/api/status', '/api/positions', '/api/journal', '/ws/live', '/kite/login']) {
      const res = await request.get(path, { maxRedirects: 0 });
      expect(res.status(), path).toBe(401);
      expect(res.headers()['content-type'], path).toContain('application/json');
      expect(typeof (await res.json()).code, path).toBe('string');
    }
    const orders = await request.get('/orders', { maxRedirects: 0 });
    expect(orders.status()).toBe(303);
    expect(orders.headers()['location']).toBe('/login?next=%2Forders');

    await page.goto('/');
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
    await expect(page.getByTestId('login-card')).toBeVisible();
    await expect(page.getByTestId('login-send')).toBeEnabled();
    await expect(page.getByTestId('user-id')).toHaveCount(0);
  });

  test('an unknown ID gets the same reply as a known one, and a wrong code is refused', async ({ page }) => {
    const unknown = `NOONE${Date.now() % 100_000}`;
    const before = outboxSnapshot();
    await page.goto('/login');
    const unknownReply = await requestCode(page, unknown, 'nobody@sandbox.local');
    await page.getByTestId('login-back').click();
    await expect(page.getByTestId('login-message')).toHaveCount(0);
    const knownReply = await requestCode(page, DEMO01.id, DEMO01.email);
    expect(knownReply.trim()).not.toBe('');
    expect(knownReply).toBe(unknownReply);

    // Only the registered pair got a mail.
    const code = await codeFromOutbox(DEMO01.id, before);
    expect(mailsMentioning(before, unknown)).toEqual([]);

    // The right code with one digit changed.
    const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
    await page.getByTestId('login-code').fill(wrong);
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toBeVisible();
    await expect(page.getByTestId('login-error')).toContainText('wrong');
    await expect(page).toHaveURL(/\/login/);
    expect((await page.context().cookies()).find((c) => c.name === 'kta_session')).toBeUndefined();
    expect((await page.request.get('/auth/session')).status()).toBe(401);
  });
});

test.describe('two users', () => {
  // TRADER2's login is shared by the steps below, so they run in order.
  test.describe.configure({ mode: 'serial' });
  let trader: BrowserContext;
  let demo: BrowserContext;

  test.beforeAll(async ({ browser }) => {
    trader = await browser.newContext({ baseURL: BASE_URL, storageState: ANONYMOUS });
    demo = await browser.newContext({ baseURL: BASE_URL, storageState: DEMO01_STATE });
  });

  test.afterAll(async () => {
    await trader?.close();
    await demo?.close();
  });

  test('TRADER2 logs in by code, connects Kite through the sandbox and gets live data', async () => {
    test.setTimeout(90_000);
    const page = await trader.newPage();
    await logInThroughPage(page, TRADER2);

    // Logged in here, but no Kite session yet: the banner offers the connection.
    const kite = await getJson(trader.request, '/api/kite/session');
    expect(kite.connected).toBe(false);
    await expect(page.getByTestId('kite-banner')).toBeVisible({ timeout: 20_000 });
    const connect = page.getByTestId('connect-kite');
    await expect(connect).toHaveAttribute('href', '/kite/login');
    await connect.click();

    // The sandbox's login page, for TRADER2's own Kite app.
    await page.waitForURL(/\/connect\/login\?/);
    const login = new URL(page.url());
    expect(login.origin).not.toBe(new URL(BASE_URL).origin);
    expect(login.searchParams.get('api_key')).toBe('trader2_app');
    await expect(page.getByTestId('kite-login')).toBeVisible();
    await page.locator('input[name="user_id"]').fill(TRADER2.id);
    await page.locator('input[name="password"]').fill('practice-password');
    const checked = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/kite/session');
    await page.getByRole('button', { name: 'Login' }).click();

    // Back home through /kite/callback, connected: no banner, live prices.
    await page.waitForURL((url) => url.origin === new URL(BASE_URL).origin && url.pathname === '/');
    expect((await (await checked).json()).connected).toBe(true);
    await expect(page.locator('section.market-watch')).toHaveAttribute('data-hydrated', 'true');
    await expect(badge(page)).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    await expect(page.getByTestId('kite-banner')).toHaveCount(0);
    expect(await page.getByTestId('watch-row').count()).toBeGreaterThanOrEqual(50);
    const ltp = page.locator('[data-testid="watch-row"][data-symbol="RELIANCE"] [data-testid="ltp"]');
    const before = await ltp.textContent();
    await expect(ltp).not.toHaveText(before ?? '', { timeout: 5_000 });

    expect((await getJson(trader.request, '/api/kite/session')).connected).toBe(true);
    expect((await getJson(trader.request, '/api/profile')).user_id).toBe(TRADER2.id);
    expect((await getJson(demo.request, '/api/profile')).user_id).toBe(DEMO01.id);
  });

  test('each user sees only their own positions, orders and journal', async () => {
    const status = await getJson(demo.request, '/api/status');
    const sb: string = status.sandbox_url;
    const place = (user: string, form: Record<string, string>) =>
      demo.request.post(`${sb}/admin/accounts/${user}/orders/regular`, { form });
    const mkt = { exchange: 'NSE', transaction_type: 'BUY', order_type: 'MARKET', product: 'MIS' };
    expect((await place('DEMO01', { ...mkt, tradingsymbol: 'RELIANCE', quantity: '3', tag: 'e2edemo' })).ok()).toBeTruthy();
    expect((await place('TRADER2', { ...mkt, tradingsymbol: 'ITC', quantity: '7', tag: 'e2etrader2' })).ok()).toBeTruthy();

    const demoPage = await demo.newPage();
    await demoPage.goto('/positions');
    await expect(badge(demoPage)).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    await expect(demoPage.locator('[data-testid="position-row"][data-symbol="RELIANCE"]')).toBeVisible();
    await expect(demoPage.getByTestId('position-row').first()).toBeVisible();
    await expect(demoPage.locator('[data-testid="position-row"][data-symbol="ITC"]')).toHaveCount(0);

    const traderPage = await trader.newPage();
    await traderPage.goto('/positions');
    await expect(badge(traderPage)).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    const itc = traderPage.locator('[data-testid="position-row"][data-symbol="ITC"]');
    await expect(itc).toBeVisible();
    await expect(itc).toContainText('MIS');
    await expect(itc.locator('td').nth(2)).toHaveText(/^\+?7$/);
    await expect(traderPage.getByTestId('position-row')).toHaveCount(1);
    await expect(traderPage.getByTestId('user-id')).toHaveText(TRADER2.id);

    // The same over the API, with each context's own cookie.
    const demoPositions = symbols(await getJson(demo.request, '/api/positions'));
    const traderPositions = symbols(await getJson(trader.request, '/api/positions'));
    expect([...demoPositions]).toContain('RELIANCE');
    expect([...demoPositions]).not.toContain('ITC');
    expect([...traderPositions]).toEqual(['ITC']);

    const traderOrders = await getJson(trader.request, '/api/orders');
    expect(traderOrders.map((o: any) => o.tag)).toEqual(['e2etrader2']);
    const demoOrders = await getJson(demo.request, '/api/orders');
    expect(demoOrders.map((o: any) => o.tag)).toContain('e2edemo');
    expect(demoOrders.map((o: any) => o.tag)).not.toContain('e2etrader2');

    // DEMO01's journal holds the trading spec's fills (that project runs first); TRADER2 has no
    // strategy, so theirs is empty and shares none of DEMO01's trades.
    const demoJournal = await getJson(demo.request, '/api/journal');
    expect(demoJournal.fills.length).toBeGreaterThan(0);
    const traderJournal = await getJson(trader.request, '/api/journal');
    expect(traderJournal.fills).toEqual([]);
    expect(traderJournal.orders).toEqual([]);
    expect(traderJournal.by_instrument).toEqual([]);
    expect(traderJournal.total.fills).toBe(0);
    const demoTrades: string[] = demoJournal.fills.map((f: any) => f.trade_id);
    expect(JSON.stringify(traderJournal)).not.toContain(demoTrades[0]);
  });

  test('logging out ends the session on the server', async ({ playwright }) => {
    const page = await trader.newPage();
    await page.goto('/');
    await expect(page.getByTestId('user-id')).toHaveText(TRADER2.id);
    const cookie = (await trader.cookies()).find((c) => c.name === 'kta_session');
    expect(cookie).toBeTruthy();

    await page.getByTestId('logout').click();
    await page.waitForURL((url) => url.pathname === '/login');
    await expect(page.getByTestId('login-id')).toBeVisible();

    // The old cookie, replayed from elsewhere, no longer opens anything.
    const replay = await playwright.request.newContext({
      baseURL: BASE_URL,
      storageState: { cookies: [cookie!], origins: [] },
    });
    const res = await replay.get('/api/status');
    expect(res.status()).toBe(401);
    expect(res.headers()['content-type']).toContain('application/json');
    await replay.dispose();
    expect((await trader.request.get('/api/status')).status()).toBe(401);

    // DEMO01's session is untouched.
    expect((await demo.request.get('/api/status')).status()).toBe(200);
  });
});
