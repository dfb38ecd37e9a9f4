import { ensureCandles } from './support/candles';
import { join } from 'node:path';
import { expect, openView, SCREENSHOT_DIR, snap, test } from './support/app';

test('sweeps two strategies at once from the Optimize view, shows a heatmap and parallel coordinates per strategy and opens the best trial as a backtest', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  await openView(app, 'Optimize');
  const form = app.getByTestId('sweep-form');
  // Exactly two strategies chosen: sma-crossover and rsi-mean-reversion, each with its own ranges.
  const strategies = form.getByRole('group', { name: 'Strategies' });
  // The form starts with its first strategy chosen: wait for that before toggling, or a toggle races it.
  await expect(strategies.locator('[data-strategy][aria-pressed="true"]')).toHaveCount(1);
  for (const chip of await strategies.locator('[data-strategy]').all()) {
    const wanted = ['sma-crossover', 'rsi-mean-reversion'].includes((await chip.getAttribute('data-strategy'))!);
    if ((await chip.getAttribute('aria-pressed')) !== String(wanted)) await chip.click();
    await expect(chip).toHaveAttribute('aria-pressed', String(wanted));
  }
  await expect(form.locator('fieldset[data-testid^="sweep-params-"]')).toHaveCount(2);
  // sma-crossover: fast 5, 10, 15 x slow 20, 30, 40 = nine trials; rsi-mean-reversion: period 7, 14 x oversold 25, 30, 35 = six.
  for (const [strategy, name, min, max, step] of [
    ['sma-crossover', 'fast', '5', '15', '5'],
    ['sma-crossover', 'slow', '20', '40', '10'],
    ['rsi-mean-reversion', 'period', '7', '14', '7'],
    ['rsi-mean-reversion', 'oversold', '25', '35', '5'],
  ] as const) {
    const row = form.getByTestId(`sweep-params-${strategy}`).getByTestId(`sweep-param-${name}`);
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
  await expect(page.getByTestId('sweep-progress-text')).toContainText('15 of 15 trials');
  const table = page.getByTestId('trials-table');
  await expect(table.locator('tbody tr')).toHaveCount(15);
  await expect(table.locator('tbody tr', { hasText: 'rsi-mean-reversion' })).toHaveCount(6);
  await expect(table.locator('tbody tr', { hasText: 'sma-crossover' })).toHaveCount(9);

  // Charts per strategy: sma-crossover's heatmap is fast across, slow down, one coloured cell per grid point.
  const charts = page.getByTestId('sweep-charts');
  const heatmap = page.getByTestId('heatmap');
  const parallel = page.getByTestId('parallel-coordinates');
  await charts.getByLabel('Chart strategy').selectOption('sma-crossover');
  await expect(heatmap.getByTestId('heatmap-cell')).toHaveCount(9);
  await expect(page.getByTestId('param-scatter').locator('.recharts-scatter-symbol')).toHaveCount(9);
  await expect(parallel.getByTestId('pc-axis')).toHaveCount(3);
  await expect(parallel.locator('[data-axis="fast"]')).toBeVisible();
  await charts.getByLabel('Chart strategy').selectOption('rsi-mean-reversion');
  await expect(heatmap.getByTestId('heatmap-cell')).toHaveCount(6);
  await expect(parallel.locator('[data-axis="period"]')).toBeVisible();
  await expect(parallel.locator('[data-axis="oversold"]')).toBeVisible();
  await expect(parallel.locator('[data-axis="score"]')).toBeVisible();
  // One line per scored trial of the strategy, the best of them highlighted.
  const rsiScored = await heatmap.locator('[data-testid="heatmap-cell"]:not(:has-text("–"))').count();
  await expect(parallel.getByTestId('pc-line')).toHaveCount(rsiScored);
  if (rsiScored > 0) await expect(parallel.locator('[data-best="true"]')).toHaveCount(1);
  await snap(app, 'optimize-sweep');
  // The panel alone (snap shows the top of the page, which the panel is below).
  await parallel.screenshot({ path: join(SCREENSHOT_DIR, 'optimize-parallel.png') });

  // The best trial: its cell in the heatmap holds the best score, and "Run this" opens a backtest with its parameters.
  const bestScore = (await page.getByTestId('best-score').innerText()).trim();
  await page.getByTestId('open-best').click();
  const detail = page.getByTestId('trial-detail');
  await expect(detail.getByTestId('trial-score')).toHaveText(bestScore);
  const bestId = await detail.getAttribute('data-trial-id');
  const bestStrategy = (await page.getByTestId('open-best').innerText()).split(':')[0]!.trim();
  await charts.getByLabel('Chart strategy').selectOption(bestStrategy);
  await expect(parallel.locator(`[data-best="true"][data-trial-id="${bestId}"]`)).toHaveCount(1);
  await expect(heatmap.locator(`[data-trial-id="${bestId}"]`)).toHaveText(Number(bestScore).toFixed(2));
  await detail.getByTestId('run-trial').click();
  const run = app.getByTestId('run-page');
  await expect(run).toBeVisible();
  await expect(run).toHaveAttribute('data-run-status', 'completed', { timeout: 120_000 });
  await expect(app.getByTestId('run-stats')).toContainText('Trades');
  await snap(app, 'optimize-best-run');
});
