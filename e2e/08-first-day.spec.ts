import type { Page } from '@playwright/test';
import { chooseOnlySymbol, ensureCandles } from './support/candles';
import { expect, openView, test } from './support/app';

/**
 * A trader's first day (issue 14): each test walks one thing that got in the way and checks it no
 * longer does. Candles: ETH/BTC and XLM/BTC 1m (2018-01-20 → 01-30), LTC/BTC 5m, DASH/BTC 1m with gaps.
 */

/** ensureCandles for several files; leaving the Candles view between them closes its import panel. */
async function ensureAll(app: Page, files: Array<[string, string]>): Promise<void> {
  for (const [file, symbol] of files) {
    await ensureCandles(app, file, symbol);
    await openView(app, 'Sessions');
  }
}

async function newSessionForm(app: Page) {
  await openView(app, 'Sessions');
  const form = app.getByTestId('new-session-form');
  await expect(form).toBeVisible();
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Backtest' }).click();
  return form;
}

async function runCount(app: Page): Promise<number> {
  return app.getByTestId('run-row').count();
}

async function waitFinal(app: Page): Promise<string> {
  const page = app.getByTestId('run-page');
  await expect(page).toBeVisible();
  await expect.poll(() => page.getAttribute('data-run-status'), { timeout: 120_000 }).toMatch(/completed|failed|stopped/);
  return (await page.getAttribute('data-run-status'))!;
}

test('a symbol hidden by another interval is never sent with the run', async ({ app }) => {
  await ensureAll(app, [
    ['ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC'],
    ['LTC_BTC-5m.json', 'LTC/BTC'],
  ]);
  const form = await newSessionForm(app);
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  // Choose LTC/BTC on 5m, then go back to 1m where it is not stored: its chip disappears.
  await form.getByLabel('Interval').selectOption('5m');
  await chooseOnlySymbol(app, 'LTC/BTC');
  await form.getByLabel('Interval').selectOption('1m');
  await expect(form.locator('[data-symbol="LTC/BTC"]')).toHaveCount(0);
  await chooseOnlySymbol(app, 'ETH/BTC');
  await form.getByRole('button', { name: 'Start backtest' }).click();
  expect(await waitFinal(app)).toBe('completed');
  await expect(app.getByTestId('run-page').locator('h1')).not.toContainText('LTC/BTC');
});

test('form errors speak the form’s words, clear when a field changes, and refuse a range with no candles', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  const form = await newSessionForm(app);
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await chooseOnlySymbol(app, 'ETH/BTC');
  const before = await runCount(app);
  const alert = form.getByTestId('start-error');

  // A negative period: a message on the page, not only the browser's tooltip.
  await form.getByLabel('Fast', { exact: true }).fill('-5');
  await form.getByRole('button', { name: 'Start backtest' }).click();
  await expect(form.getByTestId('error-param-fast')).toHaveText('Fast must be at least 1');
  await expect(alert).toBeVisible();
  // Fixing the field clears the error at once.
  await form.getByLabel('Fast', { exact: true }).fill('10');
  await expect(alert).toHaveCount(0);
  await expect(form.getByTestId('error-param-fast')).toHaveCount(0);

  // End before start: plain words, no contract names.
  await form.getByLabel('From', { exact: true }).fill('2018-01-25 00:00');
  await form.getByLabel('To', { exact: true }).fill('2018-01-24 00:00');
  await form.getByRole('button', { name: 'Start backtest' }).click();
  await expect(alert).toContainText('End must be after start');
  await expect(alert).not.toContainText('runs.start');
  await expect(alert).not.toContainText('payload');

  // A range where nothing is stored is refused in the form: no failed run is created.
  await form.getByLabel('From', { exact: true }).fill('2019-03-01 00:00');
  await expect(alert).toHaveCount(0);
  await form.getByLabel('To', { exact: true }).fill('2019-03-02 00:00');
  await form.getByRole('button', { name: 'Start backtest' }).click();
  await expect(alert).toContainText('No stored candles of ETH/BTC in this range');
  await expect(alert).toContainText('2018-01-20');
  await expect(app.getByTestId('run-page')).toHaveCount(0);
  expect(await runCount(app)).toBe(before);

  // 24-hour UTC text, not the browser's 12-hour picker.
  await expect(form.getByLabel('From', { exact: true })).not.toHaveAttribute('type', 'datetime-local');
  await expect(form.getByLabel('From', { exact: true })).toHaveAttribute('placeholder', 'YYYY-MM-DD HH:mm');
});
