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

  // Sortable: the rows themselves come in PnL order, descending then ascending (closed trades first, open ones last).
  const pnlHeader = app.getByTestId('trades-table').getByRole('columnheader', { name: /PnL/ });
  const pnlColumn = (await app.getByTestId('trades-table').getByRole('columnheader').allTextContents()).findIndex((t) => /PnL/.test(t));
  const pnlValues = async (): Promise<number[]> =>
    (await trades.evaluateAll((rows, i) => rows.map((r) => r.children[i]?.textContent ?? ''), pnlColumn))
      .filter((t) => t.includes('%'))
      .map((t) => Number(t.replace(/[+%,]/g, '').replace('\u2212', '-')));
  const unsorted = await pnlValues();
  expect(new Set(unsorted).size, 'distinct PnL values to sort').toBeGreaterThan(1);
  await pnlHeader.click();
  await expect(pnlHeader).toHaveAttribute('aria-sort', 'descending');
  expect(await pnlValues()).toEqual([...unsorted].sort((a, b) => b - a));
  await pnlHeader.click();
  await expect(pnlHeader).toHaveAttribute('aria-sort', 'ascending');
  expect(await pnlValues()).toEqual([...unsorted].sort((a, b) => a - b));

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
