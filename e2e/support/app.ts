import { expect, test as base, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED_CANDLES = join(process.cwd(), '..', 'shared', 'data', 'candles');
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

export function appUrl(hash = ''): string {
  const url = process.env.E2E_APP_URL;
  if (!url) throw new Error('E2E_APP_URL is not set: run the tests through playwright.config.ts (its global setup starts the host)');
  return `${url.replace(/\/$/, '')}/${hash}`;
}

/**
 * Signs a browser context in to the host as a person with the host's token would (its sign-in
 * form): the host answers with the session cookie, which the context keeps for its pages.
 */
export async function signIn(context: BrowserContext, base = appUrl(), token = process.env.E2E_APP_TOKEN): Promise<void> {
  if (!token) throw new Error('E2E_APP_TOKEN is not set: run the tests through playwright.config.ts (its global setup starts the host)');
  const res = await context.request.post(new URL('/auth/login', base).toString(), { form: { token }, maxRedirects: 0 });
  if (res.status() !== 303) throw new Error(`signing in to ${base} failed: HTTP ${res.status()}`);
}

/** Saves a screenshot of the window, scrolled to the top, as a test artifact (test-results/screenshots, not committed). */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // The top of the page, and no hover tooltip in the picture.
  await page.mouse.move(0, 0);
  await page.locator('.main').evaluate((el) => el.scrollTo(0, 0)).catch(() => undefined);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

export async function openView(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: label }).click();
}

export const test = base.extend<{ app: Page }>({
  app: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page.context());
    await page.goto(appUrl());
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await use(page);
    expect(errors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };
