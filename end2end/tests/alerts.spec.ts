import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { mailsMentioning, outboxSnapshot } from '../support/auth';

// Alerts a trader must see at once (issue #8): a broker rejection and a lost feed arrive as toasts,
// are listed on the Alerts page, and the Health page shows the feed going down and coming back.

async function sandboxUrl(request: APIRequestContext): Promise<string> {
  const status = await (await request.get('/api/status')).json();
  return status.sandbox_url;
}

async function hydrated(page: Page) {
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
}

test('a broker rejection shows as a toast and in the alerts list', async ({ page, request }) => {
  const sb = await sandboxUrl(request);
  await page.goto('/');
  await hydrated(page);
  // The next order is accepted (an order id comes back), then rejected by the exchange.
  expect((await request.post(`${sb}/admin/orders/reject?count=1`)).ok()).toBeTruthy();
  const placed = await request.post(`${sb}/admin/accounts/DEMO01/orders/regular`, {
    form: { exchange: 'NSE', tradingsymbol: 'ITC', transaction_type: 'BUY', order_type: 'MARKET',
      quantity: '1', product: 'MIS', tag: 'e2ereject' },
  });
  expect(placed.ok()).toBeTruthy();
  const toast = page.locator('[data-testid="toast"][data-kind="rejection"]');
  await expect(toast).toBeVisible({ timeout: 15_000 });
  await expect(toast).toContainText('Order rejected');
  await expect(toast).toContainText('NSE:ITC BUY 1');
  await toast.getByTestId('toast-close').click();
  await expect(toast).toBeHidden();

  await page.getByRole('link', { name: 'Alerts' }).click();
  const row = page.locator('[data-testid="alert-row"][data-kind="rejection"]').first();
  await expect(row).toBeVisible();
  await expect(row).toContainText('NSE:ITC BUY 1');
  // The Risk filter hides it; Orders shows it again.
  await page.getByTestId('alert-filter-risk').click();
  await expect(page.locator('[data-testid="alert-row"][data-kind="rejection"]')).toHaveCount(0);
  await page.getByTestId('alert-filter-orders').click();
  await expect(row).toBeVisible();
});

test('a lost feed is a toast, and the health page shows it recovering', async ({ page, request }) => {
  const sb = await sandboxUrl(request);
  await page.goto('/health');
  await hydrated(page);
  await expect(page.getByTestId('health-status')).toHaveText(/ok/);
  await expect(page.getByTestId('health-db')).toContainText('ok');
  await expect(page.getByTestId('health-kite')).toHaveText(/^\s*connected/);
  await expect(page.getByTestId('health-ticker')).toHaveText(/^\s*connected/);

  // Every ticker socket drops and reconnects are refused for 4 s.
  expect((await request.post(`${sb}/admin/ticker/drop?refuse_ms=4000`)).ok()).toBeTruthy();
  const lost = page.locator('[data-testid="toast"][data-kind="feed_lost"]');
  await expect(lost).toBeVisible({ timeout: 15_000 });
  await expect(lost).toContainText('Market feed lost');
  await expect(page.getByTestId('health-ticker')).toContainText('reconnecting', { timeout: 10_000 });
  await expect(page.getByTestId('health-status')).toHaveText(/degraded/);
  // Back within a few seconds: a "restored" toast and the health page says so.
  await expect(page.locator('[data-testid="toast"][data-kind="feed_restored"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('health-ticker')).toHaveText(/^\s*connected/, { timeout: 15_000 });
  await expect(page.getByTestId('health-status')).toHaveText(/ok/);
});

test('with alert emails on, a rejection is also mailed to the trader', async ({ page, request }) => {
  const sb = await sandboxUrl(request);
  await page.goto('/alerts');
  await hydrated(page);
  const setting = page.getByTestId('alert-email');
  await expect(setting).toHaveAttribute('data-enabled', 'false');
  await expect(page.getByTestId('alert-email-address')).toContainText('demo@sandbox.local');
  await page.getByTestId('alert-email-toggle').check();
  await expect(setting).toHaveAttribute('data-enabled', 'true');
  // Saved server-side: a reload shows it on.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('alert-email')).toHaveAttribute('data-enabled', 'true');

  const before = outboxSnapshot();
  expect((await request.post(`${sb}/admin/orders/reject?count=1`)).ok()).toBeTruthy();
  const placed = await request.post(`${sb}/admin/accounts/DEMO01/orders/regular`, {
    form: { exchange: 'NSE', tradingsymbol: 'SBIN', transaction_type: 'SELL', order_type: 'MARKET',
      quantity: '2', product: 'MIS', tag: 'e2email' },
  });
  expect(placed.ok()).toBeTruthy();
  // Alerts of a few seconds go out as one mail (with whatever else was raised in them).
  await expect.poll(() => mailsMentioning(before, 'Order rejected: NSE:SBIN SELL 2').length, {
    message: 'an alert mail in the outbox', timeout: 30_000,
  }).toBeGreaterThan(0);
  const mail = mailsMentioning(before, 'Order rejected: NSE:SBIN SELL 2');
  const toDemo = mailsMentioning(before, 'To: demo@sandbox.local');
  const subject = mailsMentioning(before, 'Subject: Kite Agent: ');
  expect(mail.every((f) => toDemo.includes(f) && subject.includes(f))).toBeTruthy();
  expect(mailsMentioning(before, 'sandbox fault').length).toBeGreaterThan(0);

  // Off again (the other tests do not expect mail).
  await page.getByTestId('alert-email-toggle').uncheck();
  await expect(page.getByTestId('alert-email')).toHaveAttribute('data-enabled', 'false');
});
