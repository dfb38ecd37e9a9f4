import { chooseOnlySymbol, ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

test('launches a backtest from New session: progress, completion, trades, statistics, chart markers', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  await openView(app, 'Sessions');
  const form = app.getByTestId('new-session-form');
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Backtest' }).click();
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await expect(form.getByTestId('strategy-params')).toBeVisible();
  await chooseOnlySymbol(app, 'ETH/BTC');
  await expect(form.getByLabel('From', { exact: true })).not.toHaveValue('');
  await snap(app, 'sessions-new');
  await form.getByRole('button', { name: 'Start backtest' }).click();

  // The run page opens; progress only moves forward and ends at 100%.
  const page = app.getByTestId('run-page');
  await expect(page).toBeVisible();
  const bar = page.getByRole('progressbar').first();
  const seen: number[] = [];
  await expect
    .poll(async () => {
      seen.push(Number(await bar.getAttribute('aria-valuenow')));
      return page.getAttribute('data-run-status');
    }, { timeout: 120_000, intervals: [100] })
    .toBe('completed');
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  expect(seen).toEqual([...seen].sort((a, b) => a - b));

  // Statistics and trades.
  const stats = app.getByTestId('run-stats');
  await expect(stats).toContainText('Trades');
  const trades = app.getByTestId('trades-table').locator('tbody tr');
  await expect.poll(() => trades.count()).toBeGreaterThan(0);
  const statTrades = Number((await stats.locator('.stat').first().locator('.v').innerText()).replace(/\D/g, ''));
  expect(statTrades).toBeGreaterThan(0);

  // Sortable: PnL descending puts the best trade first.
  await app.getByTestId('trades-table').getByRole('columnheader', { name: /PnL/ }).click();
  await expect(app.getByTestId('trades-table').getByRole('columnheader', { name: /PnL/ })).toHaveAttribute('aria-sort', 'descending');

  // Chart markers: entries and exits drawn on the run's candles.
  const chart = app.getByTestId('run-chart');
  await expect(chart).toBeVisible();
  await expect.poll(() => chart.locator('g.candle').count()).toBeGreaterThan(100);
  await expect.poll(() => chart.locator('.marker-entry').count()).toBeGreaterThan(0);
  await expect(app.getByTestId('equity-chart')).toBeVisible();
  await snap(app, 'run-backtest');

  // The runs list shows it as completed.
  await app.getByRole('button', { name: 'Sessions' }).first().click();
  await expect(app.getByTestId('runs-table').locator('[data-status="completed"]').first()).toBeVisible();
  await snap(app, 'sessions');
});
