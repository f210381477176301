import { test, expect, Page } from '@playwright/test';

// The trading pages end to end on the sandbox: a strategy is added and traded live, its signals and
// orders show up, the kill switch flattens the book, the journal reports it, and a backtest runs.
// The steps share the server's state, so they run in order.
test.describe.configure({ mode: 'serial' });

async function hydrated(page: Page) {
  // The header's badge is rendered by the app: once it leaves "connecting" the WASM app is running.
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
}

/** Pixels of a canvas within `tol` of colour `rgb`: proof a series was drawn, not just axes. */
async function pixelsOf(page: Page, testid: string, rgb: [number, number, number], tol = 40): Promise<number> {
  return page.getByTestId(testid).evaluate((el, [r, g, b, t]) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) <= t) n++;
    }
    return n;
  }, [rgb[0], rgb[1], rgb[2], tol]);
}

const BLUE: [number, number, number] = [76, 141, 255];
/** The strategy this run added: later steps look for its own signals and orders, not older ones. */
let strategyId = '';
const RED: [number, number, number] = [239, 83, 80];

async function setLive(page: Page, running: boolean) {
  const status = page.getByTestId('live-status');
  await expect(page.getByTestId('live-toggle')).toBeEnabled({ timeout: 15_000 });
  if ((await status.getAttribute('data-running')) !== String(running)) {
    await page.getByTestId('live-toggle').click();
  }
  await expect(status).toHaveAttribute('data-running', String(running), { timeout: 15_000 });
}

/** A run that stopped half way may leave the kill switch on; start from a clear state. */
async function killSwitchOff(page: Page) {
  await page.goto('/risk');
  await hydrated(page);
  const ks = page.getByTestId('kill-switch');
  await expect(page.getByTestId('kill-state-text')).toBeVisible({ timeout: 20_000 });
  if ((await ks.getAttribute('data-active')) === 'true') {
    await page.getByTestId('kill-reset').click();
    await page.getByTestId('kill-confirm-reset').click();
  }
  await expect(ks).toHaveAttribute('data-active', 'false', { timeout: 15_000 });
}

test('a strategy is added and live trading starts', async ({ page }) => {
  test.setTimeout(90_000);
  await killSwitchOff(page);
  await page.goto('/strategies');
  await hydrated(page);
  const form = page.getByTestId('add-strategy-form');
  await expect(form).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('kind-select').selectOption('ema_crossover');
  await expect(page.getByTestId('param-fast')).toBeVisible();

  // The engine validates parameters: a nonsense value comes back as an inline error.
  await page.getByTestId('instrument-input').fill('NSE:INFY');
  await page.getByTestId('param-fast').fill('banana');
  await page.getByTestId('param-slow').fill('3');
  await page.getByTestId('add-strategy-submit').click();
  await expect(page.getByTestId('add-error')).toBeVisible({ timeout: 15_000 });

  await page.getByTestId('param-fast').fill('2');
  // One-second bars: EMA 2/3 crossovers come within seconds on the sandbox's random walk, not minutes.
  await page.getByTestId('bar-seconds-input').fill('1');
  await page.getByTestId('product-select').selectOption('MIS');
  await page.getByTestId('quantity-input').fill('1');
  await page.getByTestId('add-strategy-submit').click();
  await expect(page.getByTestId('add-ok')).toContainText('ema_crossover on NSE:INFY', { timeout: 15_000 });
  strategyId = (/#(\d+)/.exec((await page.getByTestId('add-ok').textContent()) ?? '') ?? ['', ''])[1];
  expect(strategyId).not.toBe('');
  const row = page.locator(`[data-testid="strategy-row"][data-id="${strategyId}"]`);
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row).toHaveAttribute('data-kind', 'ema_crossover');
  await expect(row).toHaveAttribute('data-instrument', 'NSE:INFY');
  await expect(row).toHaveAttribute('data-enabled', 'true');
  await expect(row).toContainText('fast=2, slow=3');

  await setLive(page, true);
  await expect(page.getByTestId('live-status')).toContainText('Running');
});

test('signals and the orders they lead to arrive live', async ({ page }) => {
  test.setTimeout(200_000);
  await page.goto('/signals');
  await hydrated(page);
  expect(strategyId).not.toBe('');
  // This run's strategy: its first signal and order arrive over /ws/live (or with the page load).
  const signal = page.locator(`[data-testid="signal-row"][data-strategy="${strategyId}"]`).first();
  await expect(signal).toBeVisible({ timeout: 90_000 });
  await expect(signal).toHaveAttribute('data-side', /^(buy|sell|exit)$/);
  await expect(signal).toHaveAttribute('data-verdict', /^(approved|reduced|rejected)$/);
  await expect(signal.getByTestId('signal-verdict')).not.toBeEmpty();
  const order = page.locator(`[data-testid="order-row"][data-strategy="${strategyId}"]`).first();
  await expect(order).toBeVisible({ timeout: 90_000 });
  await expect(order).toHaveAttribute('data-status', /^(pending|open|partially_filled|filled|cancelled|rejected)$/);
  await expect(order).toContainText('INFY');
});

test('the kill switch asks first, flattens the book, and resets', async ({ page }) => {
  test.setTimeout(90_000);
  await killSwitchOff(page);
  const ks = page.getByTestId('kill-switch');
  await expect(page.getByTestId('risk-usage')).toBeVisible({ timeout: 20_000 });
  for (const bar of ['day-loss', 'gross-exposure', 'instrument-exposure', 'open-positions', 'orders-per-minute']) {
    await expect(page.getByTestId(`usage-${bar}`)).toBeVisible();
  }

  // Limits: a bad value is refused with the field named; the same limits save again.
  const orders = page.getByTestId('limit-max_orders_per_minute');
  const kept = await orders.inputValue();
  await orders.fill('lots');
  await page.getByTestId('limits-save').click();
  await expect(page.getByTestId('limits-error')).toContainText('Max orders per minute');
  await orders.fill(kept);
  await page.getByTestId('limits-save').click();
  await expect(page.getByTestId('limits-saved')).toBeVisible({ timeout: 15_000 });

  // Fire: nothing happens until confirmed in the page's own dialog.
  await expect(ks).toHaveAttribute('data-active', 'false', { timeout: 15_000 });
  await page.getByTestId('kill-fire').click();
  await expect(page.getByTestId('kill-confirm')).toBeVisible();
  await page.getByTestId('kill-cancel').click();
  await expect(page.getByTestId('kill-confirm')).toBeHidden();
  await expect(ks).toHaveAttribute('data-active', 'false');
  await page.getByTestId('kill-fire').click();
  await page.getByTestId('kill-reason').fill('e2e drill');
  await page.getByTestId('kill-confirm-fire').click();
  await expect(ks).toHaveAttribute('data-active', 'true', { timeout: 15_000 });
  await expect(page.getByTestId('kill-state-text')).toContainText('ACTIVE');
  await expect(page.getByTestId('kill-state-text')).toContainText('e2e drill');

  // Every engine position is flat within 10 s (or the engine holds none at all).
  await expect.poll(async () => {
    const qtys = await page.locator('[data-testid="position-qty"]').evaluateAll(
      (els) => els.map((e) => e.getAttribute('data-qty')));
    return qtys.every((q) => q === '0');
  }, { timeout: 10_000 }).toBe(true);

  // Reset, again confirmed.
  await page.getByTestId('kill-reset').click();
  await expect(page.getByTestId('kill-confirm')).toBeVisible();
  await page.getByTestId('kill-confirm-reset').click();
  await expect(ks).toHaveAttribute('data-active', 'false', { timeout: 15_000 });
  await expect(page.getByTestId('kill-state-text')).toContainText('Not fired');
});

test('the journal reports fills, P&L tables and the cumulative curve', async ({ page }) => {
  await page.goto('/journal');
  await hydrated(page);
  await expect(page.getByTestId('journal-totals')).toBeVisible({ timeout: 20_000 });
  const fills = Number(await page.getByTestId('total-fills').textContent());
  expect(fills).toBeGreaterThan(0);
  await expect(page.getByTestId('fill-row').first()).toBeVisible();
  await expect(page.getByTestId('pnl-by-instrument').getByTestId('pnl-row').first()).toContainText('INFY');
  await expect(page.getByTestId('pnl-by-strategy').getByTestId('pnl-row').first()).toBeVisible();
  await expect(page.getByTestId('pnl-by-day').getByTestId('pnl-row').first()).toBeVisible();
  await expect(page.getByTestId('cumulative-chart')).not.toHaveAttribute('data-drawn', '0', { timeout: 15_000 });
  expect(await pixelsOf(page, 'cumulative-chart', BLUE)).toBeGreaterThan(50);
  await expect(page.getByTestId('csv-fills')).toHaveAttribute('href', '/api/journal/export.csv?what=fills');
});

test('a backtest runs with progress, then stats, curves and trades', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/backtest');
  await hydrated(page);
  await expect(page.getByTestId('backtest-form')).toBeVisible({ timeout: 20_000 });
  // Option structures are not backtested here.
  await expect(page.getByTestId('bt-kind').locator('option[value="iron_condor"]')).toHaveCount(0);
  await page.getByTestId('bt-kind').selectOption('sma_crossover');
  await page.getByTestId('bt-instrument').fill('NSE:INFY');
  await expect(page.getByTestId('bt-from')).toHaveValue(/^\d{4}-\d\d-\d\d$/);
  await page.getByTestId('bt-run').click();
  // Progress first (it may finish quickly, so either state passes), then the report.
  await expect(page.getByTestId('bt-progress')).toHaveAttribute('data-state', /^(running|done)$/);
  await expect(page.getByTestId('bt-progress')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('bt-report')).toBeVisible();
  expect(await page.getByTestId('bt-stat').count()).toBeGreaterThan(5);
  await expect(page.getByTestId('bt-report')).toContainText('sma_crossover on NSE:INFY');
  for (const chart of ['equity-chart', 'drawdown-chart']) {
    await expect(page.getByTestId(chart)).not.toHaveAttribute('data-drawn', '0', { timeout: 15_000 });
  }
  expect(await pixelsOf(page, 'equity-chart', BLUE)).toBeGreaterThan(200);
  expect(await pixelsOf(page, 'drawdown-chart', RED)).toBeGreaterThan(200);
  const trades = page.getByTestId('bt-trade-row');
  const none = page.getByTestId('bt-no-trades');
  await expect(trades.first().or(none)).toBeVisible();
});

test('live trading stops and the strategy is removed after confirming', async ({ page }) => {
  await page.goto('/strategies');
  await hydrated(page);
  await setLive(page, false);
  expect(strategyId).not.toBe('');
  const row = page.locator(`[data-testid="strategy-row"][data-id="${strategyId}"]`);
  await expect(row).toBeVisible({ timeout: 15_000 });
  const before = await page.getByTestId('strategy-row').count();
  await row.getByTestId('strategy-remove').click();
  await row.getByTestId('cancel-remove').click();
  await expect(row).toBeVisible();
  await expect(row.getByTestId('strategy-remove')).toBeVisible();
  await row.getByTestId('strategy-remove').click();
  await row.getByTestId('confirm-remove').click();
  await expect(row).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId('strategy-row')).toHaveCount(before - 1);
});
