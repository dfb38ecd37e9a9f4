import { join } from 'node:path';
import { withDatabase } from './mongo-check';
import { expect, openView, snap, SHARED_CANDLES, test } from './support/app';

test('the navigation lists the views in order, dark theme by default', async ({ app }) => {
  const labels = await app.getByRole('navigation', { name: 'Main' }).getByRole('button').allInnerTexts();
  expect(labels.map((l) => l.replace(/\d+/g, '').trim())).toEqual(['Sessions', 'Optimize', 'Bots', 'Candles', 'Notifications', 'State', 'Storage', 'Logs', 'Settings']);
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('imports the Binance CSV through the UI, then browses it: chart, table pages, the gap', async ({ app }) => {
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Import', exact: true }).first().click();
  await app.getByLabel('Candle file').setInputFiles(join(SHARED_CANDLES, 'ETHBTC-1m-2018-01.binance.csv'));
  await app.getByLabel('Import symbol').fill('ETH/BTC');
  await app.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  const result = app.getByTestId('import-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  await expect(result).toHaveAttribute('data-ok', 'true');
  await expect(result).toContainText('14,397 rows read');
  await expect(app.getByTestId('import-inserted')).toHaveText('14,397');
  await snap(app, 'candles-import');

  // The chart: at most 2,000 bars (the core aggregates the 14,397 candles), each drawn as a candle.
  const chart = app.getByTestId('candle-chart');
  await expect(chart).toBeVisible();
  await expect.poll(async () => Number(await chart.getAttribute('data-bars'))).toBeGreaterThan(100);
  expect(Number(await chart.getAttribute('data-bars'))).toBeLessThanOrEqual(2000);
  await expect.poll(() => chart.locator('g.candle').count()).toBeGreaterThan(100);

  // The gap: one missing candle in this file.
  await expect(app.getByTestId('gap-count')).toHaveText('1');
  await expect(app.getByTestId('coverage-gap')).toHaveCount(1);
  await expect(app.getByTestId('gap-table').locator('tbody tr')).toHaveCount(1);

  // Keyset pagination through the table.
  const info = app.getByTestId('candle-page-info');
  await expect(info).toContainText('Rows 1–50 of 14,397');
  const firstRow = await app.getByTestId('candle-table').locator('tbody tr').first().innerText();
  await app.getByTestId('candle-next-page').click();
  await expect(info).toContainText('Rows 51–100');
  await expect(app.getByTestId('candle-table').locator('tbody tr').first()).not.toHaveText(firstRow);
  await app.getByRole('button', { name: 'Previous' }).click();
  await expect(info).toContainText('Rows 1–50');

  // Zoom: the wheel narrows the visible bars.
  const before = Number(await chart.getAttribute('data-bars'));
  await chart.hover();
  await app.mouse.wheel(0, -400);
  await expect.poll(async () => Number(await chart.getAttribute('data-bars'))).toBeLessThan(before);
  // …and the zoomed window can be loaded at finer detail (a shorter range, re-aggregated by the core).
  const fromBefore = await app.getByTestId('candles-view').getByLabel('From', { exact: true }).inputValue();
  await app.getByTestId('load-detail').click();
  await expect(app.getByTestId('candles-view').getByLabel('From', { exact: true })).not.toHaveValue(fromBefore);
  await expect.poll(async () => Number(await app.getByTestId('candle-chart').getAttribute('data-bars'))).toBeGreaterThan(100);
  await app.getByRole('button', { name: 'Import', exact: true }).first().click();
  await app.locator('.main').evaluate((el) => el.scrollTo(0, 0));
  await snap(app, 'candles');
});

test('a strict import of a malformed file stores nothing and lists the errors with their lines', async ({ app }) => {
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Import', exact: true }).first().click();
  // Line 1 is a valid candle; line 2 has a bad high, line 3 a high under its low.
  const bad = ['1516423980000,0.1,0.2,0.05,0.15,10,1516424039999,1,1,1,1,0', '1516424040000,0.1,abc,0.05,0.15,10,1516424099999,1,1,1,1,0', '1516424100000,0.1,0.01,0.05,0.15,10,1516424159999,1,1,1,1,0'].join('\n');
  await app.getByLabel('Candle file').setInputFiles({ name: 'BAD_BTC-1m.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await app.getByLabel('Import symbol').fill('BAD/BTC');
  await app.getByLabel('Import interval').selectOption('1m');
  await app.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  const outcome = app.getByTestId('import-result').or(app.getByTestId('import-error'));
  await expect(outcome).toBeVisible();
  await expect(outcome).toContainText(/line|:2|:3/);
  await expect(app.getByTestId('import-result')).toHaveAttribute('data-ok', 'false');
  // Strict: not even the valid line 1 is stored. Ask MongoDB, not the page.
  const stored = await withDatabase((db) => db.collection('candle-items').countDocuments({ symbol: 'BAD/BTC' }));
  expect(stored, 'candles stored by a failed strict import').toBe(0);
});

test('downloads a range from the exchange (the fake Binance) and shows it', async ({ app }) => {
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Download', exact: true }).first().click();
  const form = app.getByTestId('download-form');
  await form.getByLabel('Download exchange').fill('binance');
  await form.getByLabel('Download symbol').fill('ADA/BTC');
  await form.getByLabel('Download interval').selectOption('1m');
  await form.getByLabel('Download from').fill('2018-01-21T00:00');
  await form.getByLabel('Download to').fill('2018-01-22T00:00');
  await form.getByRole('button', { name: 'Download' }).click();
  const result = app.getByTestId('download-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  await expect(result).toContainText(/Fetched 1,4\d\d candles/);
  await app.getByTestId('candles-view').getByLabel('Symbol', { exact: true }).selectOption('ADA/BTC');
  await expect.poll(() => app.getByTestId('candle-chart').locator('g.candle').count()).toBeGreaterThan(1000);
});
