import { ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

test('runs a small grid sweep from the Optimize view, shows the heatmap and opens the best trial as a backtest', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  await openView(app, 'Optimize');
  const form = app.getByTestId('sweep-form');
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  // fast 5, 10, 15 x slow 20, 30, 40: nine trials.
  for (const [name, min, max, step] of [
    ['fast', '5', '15', '5'],
    ['slow', '20', '40', '10'],
  ] as const) {
    const row = form.getByTestId(`sweep-param-${name}`);
    await row.getByLabel(`${name} mode`).selectOption('range');
    await row.getByLabel(`${name} min`).fill(min);
    await row.getByLabel(`${name} max`).fill(max);
    await row.getByLabel(`${name} step`).fill(step);
  }
  const chip = form.locator('[data-symbol="ETH/BTC"]');
  if ((await chip.getAttribute('aria-pressed')) !== 'true') await chip.click();
  const others = form.locator('[data-symbol][aria-pressed="true"]:not([data-symbol="ETH/BTC"])');
  while ((await others.count()) > 0) await others.first().click();
  await expect(form.getByLabel('From', { exact: true })).not.toHaveValue('');
  await form.getByLabel('Objective').selectOption('totalPnlPercent');
  await form.getByLabel('Minimum trades').fill('1');
  await snap(app, 'optimize-new');
  await form.getByTestId('sweep-start').click();

  const page = app.getByTestId('sweep-page');
  await expect(page).toBeVisible();
  await expect(page).toHaveAttribute('data-sweep-status', 'completed', { timeout: 180_000 });
  await expect(page.getByTestId('sweep-progress-text')).toContainText('9 of 9 trials');
  await expect(page.getByTestId('trials-table').locator('tbody tr')).toHaveCount(9);

  // The heatmap: fast across, slow down, one coloured cell per grid point.
  const heatmap = page.getByTestId('heatmap');
  await expect(heatmap.getByTestId('heatmap-cell')).toHaveCount(9);
  await expect(page.getByTestId('param-scatter').locator('.recharts-scatter-symbol')).toHaveCount(9);
  await snap(app, 'optimize-sweep');

  // The best trial: its cell in the heatmap holds the best score, and "Run this" opens a backtest with its parameters.
  const bestScore = (await page.getByTestId('best-score').innerText()).trim();
  await page.getByTestId('open-best').click();
  const detail = page.getByTestId('trial-detail');
  await expect(detail.getByTestId('trial-score')).toHaveText(bestScore);
  const bestId = await detail.getAttribute('data-trial-id');
  await expect(heatmap.locator(`[data-trial-id="${bestId}"]`)).toHaveText(Number(bestScore).toFixed(2));
  await detail.getByTestId('run-trial').click();
  const run = app.getByTestId('run-page');
  await expect(run).toBeVisible();
  await expect(run).toHaveAttribute('data-run-status', 'completed', { timeout: 120_000 });
  await expect(app.getByTestId('run-stats')).toContainText('Trades');
  await snap(app, 'optimize-best-run');
});
