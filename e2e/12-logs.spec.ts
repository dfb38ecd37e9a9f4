import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { chooseOnlySymbol, ensureCandles } from './support/candles';
import { expect, openView, SHARED_CANDLES, snap, test } from './support/app';

/**
 * Logs that tell the story (issue 14): a run's lines link to its page, an import's line to the
 * Candles page on its series, and a deleted run's link says it no longer exists. The run page's
 * title stays on one line, however long, beside its actions.
 */

const FILE = 'ETHBTC-1m-2018-01.binance.csv';

async function startBacktest(app: Page): Promise<string> {
  await openView(app, 'Sessions');
  const form = app.getByTestId('new-session-form');
  await expect(form).toBeVisible();
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Backtest' }).click();
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await form.getByLabel('Interval').selectOption('1m');
  await chooseOnlySymbol(app, 'ETH/BTC');
  await form.getByLabel('From', { exact: true }).fill('2018-01-21 00:00');
  await form.getByLabel('To', { exact: true }).fill('2018-01-22 00:00');
  await form.getByRole('button', { name: 'Start backtest' }).click();
  await expect(app.getByTestId('run-page')).toHaveAttribute('data-run-status', 'completed', { timeout: 120_000 });
  return app.evaluate(() => decodeURIComponent(location.hash.split('/')[2]!.split('?')[0]!));
}

/** The Logs view's line whose text matches, the newest if several do. */
const lineOf = (app: Page, text: RegExp) => app.getByTestId('log-line').filter({ hasText: text }).last();

test('a run line opens the run page; a deleted run says it no longer exists; an import line opens its series', async ({ app }) => {
  await ensureCandles(app, FILE, 'ETH/BTC');
  const runId = await startBacktest(app);

  // A long name: the title stays one line, cut with an ellipsis, the whole of it in the tooltip.
  const name = `Logs walk-through ${'x'.repeat(60)}`;
  await app.getByTestId('run-page').getByTestId('rename-run').click();
  await app.getByTestId('rename-dialog').getByLabel('Run name').fill(name);
  await app.getByTestId('rename-dialog').getByTestId('rename-save').click();
  const title = app.getByTestId('run-title');
  await expect(title).toContainText(name);
  await expect(title).toHaveAttribute('title', `${name} · sma-crossover · ETH/BTC · 1m`);
  const box = await title.evaluate((el) => ({ height: el.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(el).lineHeight) || 24, cut: el.scrollWidth > el.clientWidth }));
  expect(box.height).toBeLessThan(box.lineHeight * 1.5);
  expect(box.cut).toBe(true);

  // Logs: the run's start line links to the run page.
  await openView(app, 'Logs');
  const started = lineOf(app, new RegExp(`run ${runId} started`));
  await expect(started).toBeVisible();
  await expect(lineOf(app, new RegExp(`run ${runId} completed after .* trades?, return`))).toBeVisible();
  await snap(app, 'logs-linked');
  await started.getByTestId('log-subject').click();
  await expect(app.getByTestId('run-page')).toBeVisible();
  await expect(app.getByTestId('run-title')).toContainText(name);
  expect(await app.evaluate(() => location.hash)).toBe(`#/sessions/${encodeURIComponent(runId)}`);

  // Deleted: its lines stay in the log, and their link says the run is gone instead of opening nothing.
  await app.getByTestId('run-page').getByTestId('delete-run').click();
  await app.getByTestId('delete-dialog').getByTestId('delete-confirm').click();
  await expect(app.getByTestId('sessions-view')).toBeVisible();
  await openView(app, 'Logs');
  const deletedLine = lineOf(app, new RegExp(`run ${runId} deleted`));
  await expect(deletedLine).toBeVisible();
  await lineOf(app, new RegExp(`run ${runId} started`)).getByTestId('log-subject').click();
  await expect(lineOf(app, new RegExp(`run ${runId} started`)).getByTestId('log-subject-gone')).toHaveText(`run ${runId} no longer exists (deleted)`);
  await expect(deletedLine.getByTestId('log-subject-gone')).toBeVisible();
  await expect(app.getByTestId('logs-view')).toBeVisible();

  // An import (of what is already stored: nothing changes) links to the Candles page on its series.
  await openView(app, 'Candles');
  await app.getByRole('button', { name: 'Import', exact: true }).first().click();
  await app.getByLabel('Candle file').setInputFiles(join(SHARED_CANDLES, FILE));
  await app.getByLabel('Import symbol').fill('ETH/BTC');
  await app.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  await expect(app.getByTestId('import-result')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 });
  await openView(app, 'Logs');
  const imported = lineOf(app, new RegExp(`import of ${FILE.replaceAll('.', '\\.')} as binance ETH/BTC 1m stored: .* 0 new`));
  await expect(imported).toBeVisible();
  await expect(imported.getByTestId('log-subject')).toHaveText('→ ETH/BTC 1m candles');
  await imported.getByTestId('log-subject').click();
  const candles = app.getByTestId('candles-view');
  await expect(candles).toBeVisible();
  await expect(candles.getByLabel('Symbol', { exact: true })).toHaveValue('ETH/BTC');
  await expect(candles.getByLabel('Interval', { exact: true })).toHaveValue('1m');
});
