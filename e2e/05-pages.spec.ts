import { ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

/** One screenshot per page (test-results/screenshots), each page with content from the earlier specs. */
test('every page renders with content, no error state and no console error or failed request', async ({ app }) => {
  // Listen from the first request on (the icon included): reload with the listeners attached.
  const problems: string[] = [];
  app.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  app.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  app.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await app.reload();
  await expect(app.getByRole('navigation', { name: 'Main' })).toBeVisible();
  // The page names its icon and the host serves it (headless Chromium does not fetch icons by itself).
  const iconLink = app.locator('link[rel="icon"]');
  await expect(iconLink, 'the page links an icon').toHaveCount(1, { timeout: 5_000 });
  const icon = await iconLink.getAttribute('href');
  const iconResponse = await app.request.get(new URL(icon!, app.url()).toString());
  expect(iconResponse.status()).toBe(200);
  expect(iconResponse.headers()['content-type']).toContain('image/svg+xml');
  for (const [label, testId] of [
    ['Sessions', 'sessions-view'],
    ['Optimize', 'optimize-view'],
    ['Bots', 'bots-view'],
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
  expect(problems).toEqual([]);
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
  const levels = (): Promise<string[]> => lines.locator('.log-line [class^="lvl-"]').allInnerTexts();
  const all = await lines.locator('.log-line').count();
  // The default (info) shows info lines and nothing below; the earlier specs wrote plenty of them.
  expect(await levels()).toContain('INFO');
  expect(await levels()).not.toContain('DEBUG');
  const levelButton = (name: string) => app.getByRole('group', { name: 'Minimum level' }).getByRole('button', { name });
  // warn: only warn and error lines remain (or the empty state says there are none).
  await levelButton('warn').click();
  await expect(levelButton('warn')).toHaveAttribute('aria-pressed', 'true');
  const shown = await levels();
  if (shown.length === 0) await expect(app.getByTestId('logs-view')).toContainText('No warn or higher lines');
  expect(shown.filter((l) => l !== 'WARN' && l !== 'ERROR'), 'lines below warn shown with the warn filter').toEqual([]);
  // debug: everything again, at least what info showed.
  await levelButton('debug').click();
  await expect.poll(() => lines.locator('.log-line').count()).toBeGreaterThanOrEqual(all);
  expect(await levels()).toContain('INFO');
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
