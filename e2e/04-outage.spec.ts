import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { storedNotificationIds } from './mongo-check';
import { SHARED_CANDLES, snap } from './support/app';
import { startOutageSetup, type OutageSetup } from './support/outage-host';

/** 3,000 real candles: a paper replay at 3600× takes under a minute, long enough to stop the database in the middle. */
const SLICE = readFileSync(join(SHARED_CANDLES, 'ETHBTC-1m-2018-01.binance.csv'), 'utf8').split('\n').slice(0, 3000).join('\n');

let setup: OutageSetup;
test.beforeAll(async () => {
  setup = await startOutageSetup();
});
test.afterAll(async () => {
  await setup?.close();
});

async function liveNotificationIds(page: import('@playwright/test').Page): Promise<string[]> {
  return page.getByTestId('run-notifications').getByTestId('run-notification').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''));
}

test('stopping the database during a live run shows the banner; restarting clears it and no notification is missing', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(setup.url);
  const nav = page.getByRole('navigation', { name: 'Main' });

  // Candles for the replay, through the UI.
  await nav.getByRole('button', { name: 'Candles' }).click();
  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  await page.getByLabel('Candle file').setInputFiles({ name: 'ETHBTC-1m-2018-01.binance.csv', mimeType: 'text/csv', buffer: Buffer.from(SLICE) });
  await page.getByLabel('Import symbol').fill('ETH/BTC');
  await page.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-result')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 });

  // A paper replay: a live-mode run, its notifications and signals go to MongoDB.
  await nav.getByRole('button', { name: 'Sessions' }).click();
  const form = page.getByTestId('new-session-form');
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Paper replay' }).click();
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await form.getByRole('group', { name: 'Replay speed' }).getByRole('button', { name: '3600×' }).click();
  await form.getByRole('button', { name: 'Start paper replay' }).click();
  const runPage = page.getByTestId('run-page');
  await expect(runPage).toHaveAttribute('data-run-status', 'running');
  const runId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
  await expect.poll(async () => (await liveNotificationIds(page)).length, { timeout: 60_000 }).toBeGreaterThan(2);
  await expect(page.getByTestId('db-banner')).toHaveCount(0);

  // Database down: the banner says so (unreachable, or writes buffered) while the run goes on.
  await setup.stopDatabase();
  await expect(page.getByTestId('db-banner')).toBeVisible({ timeout: 60_000 });
  const countAtStop = (await liveNotificationIds(page)).length;
  await expect.poll(async () => (await liveNotificationIds(page)).length, { timeout: 60_000 }).toBeGreaterThan(countAtStop);
  await snap(page, 'outage-banner');

  // Database back: the banner clears once the spool has been replayed.
  await setup.startDatabase();
  await expect(page.getByTestId('db-banner')).toHaveCount(0, { timeout: 90_000 });
  await expect(runPage).toHaveAttribute('data-run-status', /completed|running/);
  await page.getByTestId('stop-run').click().catch(() => undefined);
  await expect(runPage).toHaveAttribute('data-run-status', /completed|stopped/, { timeout: 60_000 });
  const seenLive = await liveNotificationIds(page);

  // MongoDB itself holds every notification seen live, none twice.
  const stored = await storedNotificationIds(runId, setup.mongoUri);
  expect(new Set(stored).size, 'notifications stored twice').toBe(stored.length);
  expect(seenLive.filter((id) => !stored.includes(id)), 'seen live but not in MongoDB').toEqual([]);

  // A real reload (a new document, nothing kept from the live session) shows what MongoDB holds: the
  // run page lists the run's newest 200 notifications, so the page and the database agree on them.
  const timeOrigin = await page.evaluate(() => performance.timeOrigin);
  await page.reload();
  expect(await page.evaluate(() => performance.timeOrigin), 'the page was reloaded').not.toBe(timeOrigin);
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-run-status', /completed|stopped/);
  await expect(page.getByTestId('run-notifications')).toBeVisible();
  const shown = await liveNotificationIds(page);
  expect(shown.filter((id) => !stored.includes(id)), 'shown after reload but not in MongoDB').toEqual([]);
  expect(shown).toHaveLength(Math.min(200, stored.length));
  expect(errors).toEqual([]);
});
