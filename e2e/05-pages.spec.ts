import { ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

/** One screenshot per page (test-results/screenshots), each page with content from the earlier specs. */
test('every page renders with content and no error state', async ({ app }) => {
  for (const [label, testId] of [
    ['Sessions', 'sessions-view'],
    ['Candles', 'candles-view'],
    ['Notifications', 'notifications-view'],
    ['State', 'state-view'],
    ['Storage', 'storage-view'],
    ['Logs', 'logs-view'],
    ['Settings', 'settings-view'],
  ] as const) {
    await openView(app, label);
    const view = app.getByTestId(testId);
    await expect(view).toBeVisible();
    await expect(view.locator('[data-state="loading"]')).toHaveCount(0, { timeout: 30_000 });
    await expect(view.locator('[data-state="error"]')).toHaveCount(0);
    await app.waitForTimeout(300);
    await snap(app, `page-${label.toLowerCase()}`);
  }
});

test('Storage shows the adapter matrix, the database and document counts', async ({ app }) => {
  await openView(app, 'Storage');
  const matrix = app.getByTestId('adapter-matrix');
  await expect(matrix.getByRole('row')).toHaveCount(10);
  const session = matrix.locator('tbody tr').filter({ has: app.locator('td:first-child', { hasText: /^session$/i }) });
  await expect(session).toContainText('mongodb');
  await expect(session).toContainText('local-file');
  await expect(app.getByTestId('db-status-value')).toHaveText('connected');
  await expect(app.getByTestId('db-status')).toContainText('External (CC_MONGO_CONNECTION_STRING)');
  await expect(app.getByTestId('collections').locator('tbody tr').first()).toBeVisible();
});

test('Logs tail live with a level filter', async ({ app }) => {
  await openView(app, 'Logs');
  const lines = app.getByTestId('log-lines');
  await expect(lines).toBeVisible();
  const all = await lines.locator('.log-line').count();
  await app.getByRole('group', { name: 'Minimum level' }).getByRole('button', { name: 'error' }).click();
  await expect.poll(async () => (await lines.count()) === 0 || (await lines.locator('.log-line').count()) <= all).toBe(true);
  await app.getByRole('group', { name: 'Minimum level' }).getByRole('button', { name: 'debug' }).click();
  await expect.poll(() => lines.locator('.log-line').count()).toBeGreaterThanOrEqual(all);
});

test('Settings: Test connection reports a failure clearly, the password stays masked, the theme switches', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  await openView(app, 'Settings');
  const field = app.getByLabel('Connection string');
  await expect(field).toHaveAttribute('type', 'password');
  await field.fill('mongodb://user:secret@127.0.0.1:1/nothing?serverSelectionTimeoutMS=1500');
  await app.getByTestId('test-connection').click();
  const result = app.getByTestId('test-result').or(app.getByRole('alert'));
  await expect(result.first()).toBeVisible({ timeout: 30_000 });
  await expect(result.first()).toContainText(/Cannot connect|connect/i);
  await expect(app.locator('body')).not.toContainText('secret');

  await app.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'light' }).click();
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'light');
  await openView(app, 'Candles');
  await expect(app.getByTestId('candle-chart')).toBeVisible();
  await app.waitForTimeout(300);
  await snap(app, 'page-candles-light');
  await openView(app, 'Settings');
  await app.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'dark' }).click();
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark');
});
