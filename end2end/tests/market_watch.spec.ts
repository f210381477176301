import { test, expect, Page } from '@playwright/test';

const badge = (page: Page) => page.getByTestId('connection-badge');
const rows = (page: Page) => page.getByTestId('watch-row');
const ltp = (page: Page, symbol: string) =>
  page.locator(`[data-testid="watch-row"][data-symbol="${symbol}"] [data-testid="ltp"]`);

async function openDashboard(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  // Hydration: an effect flips this attribute only once the WASM app runs in the page.
  await expect(page.locator('section.market-watch')).toHaveAttribute('data-hydrated', 'true');
  await expect(badge(page)).toHaveAttribute('data-state', 'connected');
  return errors;
}

/** Waits until the text of `loc` differs from `before`, within `ms`. */
async function changes(loc: ReturnType<typeof ltp>, ms: number) {
  const before = await loc.textContent();
  await expect(loc).not.toHaveText(before ?? '', { timeout: ms });
}

test('dashboard hydrates, lists the market and streams prices', async ({ page }) => {
  const errors = await openDashboard(page);
  await expect(page).toHaveTitle('Kite Trading Agent');
  expect(await rows(page).count()).toBeGreaterThanOrEqual(50);
  await expect(page.locator('[data-symbol="NIFTY 50"]')).toBeVisible();
  await expect(page.locator('[data-symbol="SENSEX"]')).toBeVisible();

  // A row's LTP changes within 3 seconds.
  await changes(ltp(page, 'RELIANCE'), 3_000);

  // Prices are real numbers in rupees, and bid < ask.
  const row = page.locator('[data-testid="watch-row"][data-symbol="INFY"]');
  const num = async (sel: string) => Number((await row.locator(sel).textContent())!.replace(/,/g, ''));
  const bid = await num('.bid');
  const ask = await num('.ask');
  expect(bid).toBeGreaterThan(100);
  expect(ask).toBeGreaterThan(bid);

  // The status bar comes from a server function.
  await expect(page.getByTestId('mode')).toHaveText('SANDBOX');
  // The 53 watched instruments, plus option contracts once the OI tracker runs.
  await expect(page.getByTestId('subscribed')).toHaveText(/^\d+$/);
  expect(Number(await page.getByTestId('subscribed').textContent())).toBeGreaterThanOrEqual(53);
  await expect(page.getByTestId('ticker-state')).toHaveText('connected');

  // Interactivity only a hydrated page has: filtering hides other rows.
  await page.getByTestId('filter').fill('infy');
  await expect(page.locator('[data-testid="watch-row"]:visible')).toHaveCount(1);
  await page.getByTestId('filter').fill('');
  await expect(page.locator('[data-testid="watch-row"]:visible')).toHaveCount(await rows(page).count());

  await page.screenshot({ path: 'test-results/market-watch.png', fullPage: false });
  expect(errors).toEqual([]);
});

test('badge shows reconnecting when the sandbox drops the ticker, then ticks resume', async ({ page, request }) => {
  await openDashboard(page);
  const status = await (await request.get('/api/status')).json();
  expect(status.mode).toBe('sandbox');
  expect(status.sandbox_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const subscribedBefore = status.subscribed;
  expect(subscribedBefore).toBeGreaterThanOrEqual(53);

  // Kill the sandbox's ticker socket and refuse new ones for 3 s.
  const res = await request.post(`${status.sandbox_url}/admin/ticker/drop?refuse_ms=3000`);
  expect(res.ok()).toBeTruthy();
  await expect(badge(page)).toHaveAttribute('data-state', 'reconnecting', { timeout: 3_000 });
  await expect(badge(page)).toContainText(/reconnecting/i);

  // It recovers by itself, and prices move again.
  await expect(badge(page)).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await changes(ltp(page, 'RELIANCE'), 5_000);
  const after = await (await request.get('/api/status')).json();
  expect(after.ticker.state).toBe('connected');
  // Every subscription was replayed on the new socket.
  expect(after.subscribed).toBe(subscribedBefore);
});

test('the REST API answers with JSON', async ({ request }) => {
  const ticks = await (await request.get('/api/ticks')).json();
  expect(ticks.length).toBeGreaterThanOrEqual(50);
  const missing = await request.get('/api/does-not-exist');
  expect(missing.status()).toBe(404);
  expect((await missing.json()).code).toBe('not_found');
});
