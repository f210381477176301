import { test, expect, Page } from '@playwright/test';

async function hydrated(page: Page) {
  // The header's badge is rendered by the app: once it leaves "connecting" the WASM app is running.
  await expect(page.getByTestId('connection-badge')).toHaveAttribute('data-state', 'connected');
}

test('a scan runs with visible progress and shows results and a chart', async ({ page }) => {
  await page.goto('/analysis');
  await hydrated(page);
  const button = page.getByTestId('scan-button');
  await expect(button).toBeEnabled();
  await button.click();
  // Progress is visible while the scan runs (the first scan fetches history for every stock).
  await expect(page.getByTestId('scan-progress')).toHaveAttribute('data-scanning', 'true');
  await expect(page.getByTestId('scan-progress-text')).toContainText(/Scanning \d+ of \d+/);
  await expect(button).toBeDisabled();
  // Then the results: one row per stock, eight criteria each, movers and the summary.
  await expect(page.getByTestId('scan-progress')).toHaveAttribute('data-scanning', 'false', { timeout: 45_000 });
  const rows = page.getByTestId('scan-row');
  await expect(rows).toHaveCount(50, { timeout: 15_000 });
  await expect(rows.first().getByTestId('criterion')).toHaveCount(8);
  await expect(page.getByTestId('scan-summary')).toContainText('50 stocks scanned');
  await expect(page.getByTestId('scan-progress-text')).toContainText('Last scan');
  await expect(page.getByTestId('movers-daily').locator('li')).toHaveCount(10);

  // Sorting by score puts the best first; the score column reads n/8.
  await expect(rows.first().getByTestId('score')).toHaveText(/^[0-8]\/8$/);
  await page.getByTestId('sort-symbol').click();
  const first = await rows.first().getAttribute('data-symbol');
  const second = await rows.nth(1).getAttribute('data-symbol');
  expect((first ?? '') <= (second ?? '')).toBeTruthy();

  // Clicking a stock opens its candlestick study, drawn on a canvas.
  await rows.first().click();
  await expect(page.getByTestId('study-panel')).toBeVisible();
  await expect(page.getByTestId('study-chart')).not.toHaveAttribute('data-drawn', '0', { timeout: 15_000 });
  await page.getByTestId('close-study').click();
  await expect(page.getByTestId('study-panel')).toBeHidden();
});

test('the option chain shows max pain, PCR and OI bars that follow /ws/oi', async ({ page }) => {
  await page.goto('/options');
  await hydrated(page);
  const table = page.getByTestId('chain-table');
  await expect(table).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('atm-row')).toHaveCount(1);
  await expect(page.getByTestId('chain-row').first()).toBeVisible();
  await expect(page.getByTestId('max-pain')).toHaveText(/^\d{4,6}$/);
  await expect(page.getByTestId('pcr-oi')).toHaveText(/^\d+\.\d\d$/);
  await expect(page.getByTestId('oi-chart')).not.toHaveAttribute('data-drawn', '0');

  // The tracker pushes every 2 s: updates arrive and the charts redraw with them.
  const updates = page.getByTestId('oi-updates');
  await expect(updates).not.toHaveAttribute('data-count', '0', { timeout: 15_000 });
  const count = Number(await updates.getAttribute('data-count'));
  await expect.poll(async () => Number(await updates.getAttribute('data-count')), { timeout: 15_000 })
    .toBeGreaterThan(count);
  const drawn = Number(await page.getByTestId('oi-chart').getAttribute('data-drawn'));
  await expect.poll(async () => Number(await page.getByTestId('oi-chart').getAttribute('data-drawn')), { timeout: 15_000 })
    .toBeGreaterThan(drawn);

  // OI bars move as OI evolves: some bar's width differs a few pushes later.
  const widths = async () =>
    page.locator('[data-testid="call-oi"] .bar, [data-testid="put-oi"] .bar')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).style.width).join('|'));
  const before = await widths();
  await expect.poll(widths, { timeout: 20_000 }).not.toBe(before);

  // Another underlying: SENSEX options on BFO.
  await page.getByTestId('underlying-SENSEX').click();
  await expect(page.getByTestId('underlying-SENSEX')).toHaveClass(/active/);
  await expect(page.getByTestId('atm-row')).toHaveCount(1, { timeout: 20_000 });
  await expect(page.getByTestId('expiry-select').locator('option').first()).toBeAttached();
});
