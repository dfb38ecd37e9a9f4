import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { withDatabase } from './mongo-check';
import { expect, openView, snap, test } from './support/app';

/**
 * Working with stored candles from the Candles page, as a trader would: a day's slice downloaded
 * from the (fake) exchange, exported to a file, a range deleted after the page says how many
 * candles go, the hole filled again from the exchange, and 15m bars viewed that only 1m are stored for.
 */

const H = 3_600_000;
const DAY = Date.UTC(2017, 10, 12);
const SERIES = { exchangeName: 'binance', symbol: 'UNITTEST/BTC', interval: '1m' };

const storedCount = (from: number, to: number): Promise<number> =>
  withDatabase((db) => db.collection('candle-items').countDocuments({ ...SERIES, timestamp: { $gte: from, $lt: to } }));

async function setRange(app: Page, from: string, to: string): Promise<void> {
  const view = app.getByTestId('candles-view');
  await view.getByLabel('From', { exact: true }).fill(from);
  await view.getByLabel('To', { exact: true }).fill(to);
}

test('export, delete a range, backfill it from the exchange, and view 15m built from 1m', async ({ app }) => {
  // Six gapless hours of UNITTEST/BTC 1m from the fake Binance.
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Download', exact: true }).first().click();
  const form = app.getByTestId('download-form');
  await form.getByLabel('Download exchange').fill('binance');
  await form.getByLabel('Download symbol').fill('UNITTEST/BTC');
  await form.getByLabel('Download interval').selectOption('1m');
  await form.getByLabel('Download from').fill('2017-11-12 00:00');
  await form.getByLabel('Download to').fill('2017-11-12 06:00');
  await form.getByRole('button', { name: 'Download' }).click();
  await expect(app.getByTestId('download-result')).toContainText('Fetched 360 candles', { timeout: 120_000 });
  expect(await storedCount(DAY, DAY + 6 * H)).toBe(360);
  const view = app.getByTestId('candles-view');
  await view.getByLabel('Symbol', { exact: true }).selectOption('UNITTEST/BTC');
  await view.getByLabel('Interval', { exact: true }).selectOption('1m');
  await expect(view.getByLabel('From', { exact: true })).toHaveValue('2017-11-12 00:00');
  await expect(view.getByLabel('To', { exact: true })).toHaveValue('2017-11-12 06:00');

  // Export the range shown as CSV: a browser download the host streams; the file holds every candle.
  await app.getByRole('button', { name: 'Export · Delete · Backfill' }).click();
  const manage = app.getByTestId('manage-panel');
  await manage.getByLabel('Export format').selectOption('csv');
  const [download] = await Promise.all([app.waitForEvent('download'), manage.getByRole('button', { name: 'Export', exact: true }).click()]);
  expect(download.suggestedFilename()).toBe('binance_UNITTEST-BTC_1m_2017-11-12-0000_2017-11-12-0600.csv');
  const csv = readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
  expect(csv[0]).toBe('timestamp,open,high,low,close,volume');
  expect(csv).toHaveLength(361);
  expect(Number(csv[1]!.split(',')[0])).toBe(DAY);
  expect(Number(csv[360]!.split(',')[0])).toBe(DAY + 6 * H - 60_000);
  const firstStored = await withDatabase((db) => db.collection('candle-items').findOne({ ...SERIES, timestamp: DAY }));
  expect(csv[1]).toBe([DAY, firstStored!.open, firstStored!.high, firstStored!.low, firstStored!.close, firstStored!.volume].join(','));
  await expect(app.getByTestId('export-result')).toContainText('Exported 360 candles');

  // JSON too: ccxt rows that parse back.
  await manage.getByLabel('Export format').selectOption('json');
  const [jsonDownload] = await Promise.all([app.waitForEvent('download'), manage.getByRole('button', { name: 'Export', exact: true }).click()]);
  const rows = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as number[][];
  expect(rows).toHaveLength(360);
  expect(rows[0]![0]).toBe(DAY);

  // Delete 01:00–02:00: the page asks first with the count, then exactly those go.
  await setRange(app, '2017-11-12 01:00', '2017-11-12 02:00');
  await manage.getByRole('button', { name: 'Delete…' }).click();
  const confirm = app.getByTestId('delete-confirm');
  await expect(confirm).toBeVisible();
  await expect(app.getByTestId('delete-count')).toHaveText('60');
  expect(await storedCount(DAY, DAY + 6 * H), 'nothing is deleted before the user confirms').toBe(360);
  await snap(app, 'candles-delete-confirm');
  await confirm.getByRole('button', { name: 'Delete 60 candles' }).click();
  await expect(app.getByTestId('delete-result')).toContainText('Deleted 60 candles');
  expect(await storedCount(DAY + H, DAY + 2 * H)).toBe(0);
  expect(await storedCount(DAY, DAY + 6 * H)).toBe(300);

  // The whole slice again: one gap of 60, which the backfill downloads from the exchange.
  await setRange(app, '2017-11-12 00:00', '2017-11-12 06:00');
  await expect(app.getByTestId('gap-count')).toHaveText('1');
  await manage.getByRole('button', { name: 'Backfill gaps' }).click();
  const backfill = app.getByTestId('backfill-result');
  await expect(backfill).toContainText('1 gap, 60 candles missing: fetched 60, 60 new; 0 still missing', { timeout: 120_000 });
  expect(await storedCount(DAY, DAY + 6 * H)).toBe(360);
  await expect(app.getByTestId('gap-count')).toHaveText('0');

  // 15m bars built from the stored 1m ones: labelled as derived, on quarter-hour boundaries, 24 complete bars.
  await view.getByLabel('View as').selectOption('15m');
  await expect(app.getByTestId('derived-label')).toContainText('Derived: 15m bars built from the stored 1m candles');
  await expect(app.getByTestId('derived-partial')).toContainText('Every bar is complete (15 1m candles each)');
  await expect(app.getByTestId('derived-bars')).toContainText('24 bars');
  const table = app.getByTestId('derived-table');
  await expect(table.locator('tbody tr')).toHaveCount(24);
  await expect(table.locator('tbody tr').first().locator('td').first()).toHaveText('2017-11-12 00:00');
  await expect(table.locator('tbody tr').nth(1).locator('td').first()).toHaveText('2017-11-12 00:15');
  await expect(table.locator('tbody tr').first().locator('td').last()).toHaveText('15');
  await expect(app.getByTestId('derived-chart')).toBeVisible();

  // A range that starts inside a bar widens to whole bars: 00:05 → 01:00 shows the four quarter-hours from 00:00.
  await setRange(app, '2017-11-12 00:05', '2017-11-12 01:00');
  await expect(app.getByTestId('derived-bars')).toContainText('4 bars · 2017-11-12 00:00 → 2017-11-12 01:00');
  await snap(app, 'candles-derived-15m');
});

test('an imported file fills the form from its name; a backfill the exchange cannot serve names the gap and the reason', async ({ app }) => {
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Import', exact: true }).first().click();
  // FOO/BTC 1m with two minutes missing; the fake Binance does not list FOO/BTC.
  const line = (ms: number): string => `${ms},0.1,0.2,0.05,0.15,10,${ms + 59_999},1,1,1,1,0`;
  const csv = [DAY, DAY + 60_000, DAY + 4 * 60_000].map(line).join('\n');
  await app.getByLabel('Candle file').setInputFiles({ name: 'FOOBTC-1m-2017-11.binance.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  // The guess from the name fills the form before importing.
  await expect(app.getByLabel('Import symbol')).toHaveValue('FOO/BTC');
  await expect(app.getByLabel('Import interval')).toHaveValue('1m');
  await expect(app.getByLabel('Import exchange')).toHaveValue('binance');
  await expect(app.getByTestId('import-guess')).toContainText('Filled in from the file name FOOBTC-1m-2017-11.binance.csv: binance FOO/BTC 1m');
  await snap(app, 'candles-import-guess');
  await app.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  await expect(app.getByTestId('import-result')).toHaveAttribute('data-ok', 'true');

  const view = app.getByTestId('candles-view');
  await view.getByLabel('Symbol', { exact: true }).selectOption('FOO/BTC');
  await expect(app.getByTestId('gap-count')).toHaveText('1');
  await app.getByRole('button', { name: 'Export · Delete · Backfill' }).click();
  await app.getByTestId('manage-panel').getByRole('button', { name: 'Backfill gaps' }).click();
  const result = app.getByTestId('backfill-result');
  await expect(result).toContainText('1 gap, 2 candles missing: fetched 0, 0 new; 2 still missing', { timeout: 120_000 });
  await expect(result.locator('li')).toHaveCount(1);
  await expect(result.locator('li')).toContainText('2017-11-12 00:02 → 2017-11-12 00:04 (2 missing)');
  await expect(result.locator('li')).toContainText('FOO/BTC');

  // As 5m bars: the one bar misses two of its five minutes, and says so instead of passing for a whole bar.
  await view.getByLabel('View as').selectOption('5m');
  await expect(app.getByTestId('derived-partial')).toContainText('1 partial bar: built from fewer than 5 1m candles');
  await expect(app.getByTestId('derived-table').locator('tbody tr')).toHaveCount(1);
  await expect(app.getByTestId('derived-table').locator('tbody tr td').last()).toHaveText('partial: 3 of 5');
});
