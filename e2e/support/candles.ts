import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openView, SHARED_CANDLES } from './app';

/** Imports a shared candle file through the Candles view unless that series is already stored. */
export async function ensureCandles(page: Page, file: string, symbol: string): Promise<void> {
  await openView(page, 'Candles');
  await expect(page.locator('[data-testid="candles-view"] [data-state="loading"]')).toHaveCount(0);
  const symbolPicker = page.getByTestId('candles-view').getByLabel('Symbol', { exact: true });
  if ((await symbolPicker.count()) > 0 && (await symbolPicker.locator('option', { hasText: symbol }).count()) > 0) return;
  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  await page.getByLabel('Candle file').setInputFiles(join(SHARED_CANDLES, file));
  await page.getByLabel('Import symbol').fill(symbol);
  await page.getByTestId('import-form').getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-result')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 });
}

/** Leaves exactly `symbol` selected in the New session form's symbol chips. */
export async function chooseOnlySymbol(page: Page, symbol: string): Promise<void> {
  const form = page.getByTestId('new-session-form');
  const wanted = form.locator(`[data-symbol="${symbol}"]`);
  await expect(wanted).toBeVisible();
  if ((await wanted.getAttribute('aria-pressed')) !== 'true') await wanted.click();
  // Deselect the others one at a time: each click changes which chips match "pressed".
  const others = form.locator(`[data-symbol][aria-pressed="true"]:not([data-symbol="${symbol}"])`);
  while ((await others.count()) > 0) await others.first().click();
  await expect(form.locator('[data-symbol][aria-pressed="true"]')).toHaveCount(1);
}
