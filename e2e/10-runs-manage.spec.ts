import type { Page } from '@playwright/test';
import { chooseOnlySymbol, ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

/**
 * Working with runs (issue 14): rename and delete from the runs list and the run page, asking first;
 * average peak and fall of our own runs as numbers; the inbox shows a replay's candle time beside
 * its arrival time.
 */

async function startRun(app: Page, mode: 'Backtest' | 'Paper replay', range: [string, string]): Promise<string> {
  await openView(app, 'Sessions');
  const form = app.getByTestId('new-session-form');
  await expect(form).toBeVisible();
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: mode }).click();
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await chooseOnlySymbol(app, 'ETH/BTC');
  await form.getByLabel('From', { exact: true }).fill(range[0]);
  await form.getByLabel('To', { exact: true }).fill(range[1]);
  if (mode === 'Paper replay') await form.getByRole('group', { name: 'Replay speed' }).getByRole('button', { name: 'Max' }).click();
  await form.getByRole('button', { name: mode === 'Backtest' ? 'Start backtest' : 'Start paper replay' }).click();
  const page = app.getByTestId('run-page');
  await expect(page).toHaveAttribute('data-run-status', 'completed', { timeout: 120_000 });
  return app.evaluate(() => decodeURIComponent(location.hash.split('/')[2]!.split('?')[0]!));
}

const rowOf = (app: Page, runId: string) => app.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);

test('a run is renamed (kept after a reload) and deleted after asking (gone after a reload); average peak and fall are numbers', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  const runId = await startRun(app, 'Backtest', ['2018-01-21 00:00', '2018-01-24 00:00']);

  // Our own engine records each trade's best and worst moment: the averages are numbers, the fall below 0.
  const stat = (key: string) => app.locator(`[data-stat="${key}"] .v`);
  await expect(stat('peak')).toHaveText(/^\+?\d+\.\d+%$/);
  await expect(stat('fall')).toHaveText(/^-\d+\.\d+%$/);

  // Rename on the run page: an empty or over-long name is refused in plain words.
  await app.getByTestId('run-page').getByTestId('rename-run').click();
  const dialog = app.getByTestId('rename-dialog');
  const input = dialog.getByLabel('Run name');
  await input.fill('   ');
  await expect(dialog.getByTestId('rename-error')).toHaveText('Give the run a name.');
  await expect(dialog.getByTestId('rename-save')).toBeDisabled();
  await input.fill('x'.repeat(81));
  await expect(dialog.getByTestId('rename-error')).toContainText('at most 80 characters');
  await input.fill('ETH trend, first day');
  await dialog.getByTestId('rename-save').click();
  await expect(dialog).toHaveCount(0);
  await expect(app.getByTestId('run-title')).toContainText('ETH trend, first day');
  await expect(app.getByTestId('run-title')).toContainText('sma-crossover');

  await app.reload();
  await expect(app.getByTestId('run-title')).toContainText('ETH trend, first day');
  // The inbox names the run by its new name.
  await openView(app, 'Notifications');
  const ofRun = app.locator(`[data-testid="notification-row"][data-run-id="${runId}"]`);
  await expect(ofRun.first()).toBeVisible();
  await expect(ofRun.first()).toContainText('ETH trend, first day');
  await openView(app, 'Sessions');
  await expect(rowOf(app, runId).getByTestId('run-name')).toHaveText('ETH trend, first day');

  // Delete from the list asks first; Cancel keeps the run.
  await rowOf(app, runId).getByTestId('delete-run').click();
  const ask = app.getByTestId('delete-dialog');
  await expect(ask).toContainText('Delete “ETH trend, first day”?');
  await expect(ask).toContainText('cannot be undone');
  await snap(app, 'runs-delete-dialog');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(app.getByTestId('sessions-view')).toBeVisible();
  await expect(rowOf(app, runId)).toHaveCount(1);

  await rowOf(app, runId).getByTestId('delete-run').click();
  await app.getByTestId('delete-dialog').getByTestId('delete-confirm').click();
  await expect(app.getByTestId('delete-dialog')).toHaveCount(0);
  await expect(rowOf(app, runId)).toHaveCount(0);
  await app.reload();
  await expect(app.getByTestId('sessions-view')).toBeVisible();
  await expect(app.getByText('Loading runs…')).toHaveCount(0);
  await expect(rowOf(app, runId)).toHaveCount(0);
  // Its notifications went with it.
  await openView(app, 'Notifications');
  await expect(app.getByTestId('notifications-summary')).toBeVisible();
  await expect(app.getByText('Loading notifications…')).toHaveCount(0);
  await expect(app.locator(`[data-testid="notification-row"][data-run-id="${runId}"]`)).toHaveCount(0);
});

test('the inbox shows a paper replay’s candle time beside its arrival time, newest arrival first', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  const runId = await startRun(app, 'Paper replay', ['2018-01-25 00:00', '2018-01-25 06:00']);
  await openView(app, 'Notifications');
  const signal = app.locator(`[data-testid="notification-row"][data-type="signal.closed"][data-run-id="${runId}"]`).first();
  await expect(signal).toBeVisible();
  const year = String(new Date().getUTCFullYear());
  await expect(signal.getByTestId('notification-time')).toHaveText(new RegExp(`^${year}-`));
  await expect(signal.getByTestId('notification-candle-time')).toHaveText(/^candle 2018-01-25 0[0-6]:\d\d$/);
  await snap(app, 'inbox-candle-time');
  // Run notifications carry no candle time: one time only.
  const completed = app.locator(`[data-testid="notification-row"][data-type="run.completed"][data-run-id="${runId}"]`);
  await expect(completed.getByTestId('notification-candle-time')).toHaveCount(0);
  // Newest arrival first: the run's completion above its signals, whatever their candle time.
  const order = await app.getByTestId('notification-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''));
  const done = order.indexOf(`${runId}:run.completed`);
  const firstSignal = order.findIndex((id) => id.startsWith(`${runId}:`) && id.includes(':signal.'));
  expect(done).toBeGreaterThanOrEqual(0);
  expect(done).toBeLessThan(firstSignal);
});
