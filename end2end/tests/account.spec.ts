import { test, expect, Page, APIRequestContext } from '@playwright/test';

async function sandboxUrl(request: APIRequestContext): Promise<string> {
  const status = await (await request.get('/api/status')).json();
  return status.sandbox_url;
}

async function hydrated(page: Page) {
  // The header's badge is rendered by the app: once it leaves "connecting" the WASM app is running.
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected');
}

test('account pages render the sandbox account', async ({ page, request }) => {
  const sb = await sandboxUrl(request);
  const place = (form: Record<string, string>) =>
    request.post(`${sb}/admin/accounts/DEMO01/orders/regular`, { form });
  // A LIMIT 8 % below the market (inside the day's price band, as Kite requires) rests; a MARKET
  // order fills into a position.
  const ticks: Array<{ token: number; last_price: number }> = await (await request.get('/api/ticks')).json();
  const infy = ticks.find((t) => t.token === 408065);
  expect(infy).toBeTruthy();
  const restingPrice = (Math.round(infy!.last_price * 0.92 * 20) / 20).toFixed(2);
  expect((await place({ exchange: 'NSE', tradingsymbol: 'INFY', transaction_type: 'BUY', order_type: 'LIMIT',
    quantity: '2', price: restingPrice, product: 'CNC', tag: 'e2elimit' })).ok()).toBeTruthy();
  expect((await place({ exchange: 'NSE', tradingsymbol: 'RELIANCE', transaction_type: 'BUY', order_type: 'MARKET',
    quantity: '3', product: 'MIS', tag: 'e2emkt' })).ok()).toBeTruthy();

  // Orders: both rows, tags shown, history drawer, sorting.
  await page.goto('/orders');
  await hydrated(page);
  const rows = page.getByTestId('order-row');
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId('orders-table')).toContainText('e2elimit');
  await expect(page.getByTestId('orders-table')).toContainText('COMPLETE');
  await page.getByTestId('sort-qty').click();
  await expect(rows.first()).toContainText('0/2');
  await page.getByTestId('sort-qty').click();
  await expect(rows.first()).toContainText('3/3');
  await rows.filter({ hasText: 'INFY' }).click();
  const drawer = page.getByTestId('order-drawer');
  await expect(drawer).toBeVisible();
  await expect(page.getByTestId('order-history')).toContainText('PUT ORDER REQ RECEIVED');
  await expect(page.getByTestId('order-history')).toContainText('OPEN');
  await expect(drawer).toContainText('No fills.');
  await page.getByTestId('drawer-close').click();
  await expect(drawer).toBeHidden();

  // Positions: the filled order, with a live price; net/day toggle.
  await page.getByRole('link', { name: 'Positions' }).click();
  const pos = page.locator('[data-testid="position-row"][data-symbol="RELIANCE"]');
  await expect(pos).toBeVisible();
  await expect(pos).toContainText('MIS');
  const ltp = pos.getByTestId('position-ltp');
  const before = await ltp.textContent();
  await expect(ltp).not.toHaveText(before ?? '', { timeout: 8_000 });
  await expect(page.getByTestId('positions-total')).toContainText('₹');
  await page.getByTestId('show-day').click();
  await expect(pos).toBeVisible();

  // Holdings, funds and profile.
  await page.getByRole('link', { name: 'Holdings' }).click();
  await expect(page.locator('[data-testid="holding-row"][data-symbol="INFY"]')).toBeVisible();
  await expect(page.getByTestId('holdings-summary')).toContainText('Invested');
  await page.getByRole('link', { name: 'Funds' }).click();
  await expect(page.getByTestId('funds-equity')).toContainText('₹10,00,000.00');
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByTestId('profile-user-id')).toHaveText('DEMO01');

  // The same data over the REST API.
  const orders = await (await request.get('/api/orders')).json();
  expect(orders.map((o: any) => o.tag)).toEqual(expect.arrayContaining(['e2elimit', 'e2emkt']));
});

test('an expired Kite session shows the re-login prompt, and logging in again restores it', async ({ page, request }) => {
  const sb = await sandboxUrl(request);
  expect((await request.post(`${sb}/admin/sessions/DEMO01/expire`)).ok()).toBeTruthy();

  const api = await request.get('/api/profile');
  expect(api.status()).toBe(401);
  expect((await api.json()).code).toBe('kite_session_expired');

  await page.goto('/orders');
  await expect(page.getByTestId('relogin-prompt')).toBeVisible();
  await expect(page.getByTestId('relogin-prompt')).toContainText('expired');
  await page.getByTestId('relogin-link').click();

  // The sandbox's stand-in for Kite's login page.
  await expect(page.getByTestId('kite-login')).toBeVisible();
  await page.getByRole('button', { name: 'Login' }).click();

  // Back on the dashboard with a fresh session.
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected');
  await page.goto('/profile');
  await expect(page.getByTestId('profile-user-id')).toHaveText('DEMO01');
  expect((await request.get('/api/profile')).status()).toBe(200);
});
