import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from '../test/support/redis';
import { describeNotification } from '../shared/contract/notification-text';
import { BACKTEST_KIT_NOTIFICATION_TYPES } from '../shared/domain/notifications';
import type { Page } from '@playwright/test';
import { startProcess } from './support/processes';
import { expect, openView, snap, test } from './support/app';

/**
 * A backtest-kit bot in another process writes to the monitor's database while the page is open:
 * the Bots view and the unread badge follow within 1 s, without a reload. The bot is a separate
 * node process writing documents exactly as @backtest-kit/mongo does
 * (electron/core/bots/test-support/write-bot-cli.ts).
 */

const LIVE_MS = 1_000;
/** What is left of the 1 s since the bot's writes were acknowledged (a Playwright timeout of 0 would mean none). */
const left = (since: number): number => Math.max(1, LIVE_MS - (Date.now() - since));

async function unreadCount(page: Page): Promise<number> {
  const badge = page.getByTestId('unread-count');
  return (await badge.count()) ? Number((await badge.innerText()).replace(/\D/g, '')) : 0;
}

/** Runs a bot writer to completion; resolves when its writes are acknowledged (it prints WROTE). */
async function botWrites(args: Record<string, string>, script = 'write-bot-cli.ts'): Promise<{ at: number; signalId: string }> {
  const uri = process.env.E2E_MONGO_URI;
  if (!uri) throw new Error('E2E_MONGO_URI is not set: run through playwright.config.ts');
  const root = process.cwd();
  const { match } = await startProcess(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'electron', 'core', 'bots', 'test-support', script), '--uri', uri, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, v])],
    { cwd: root, ready: /^WROTE (\d+) (\S+)/, logFile: join(root, 'test-results', 'e2e-bot-writer.log'), timeoutMs: 90_000 },
  );
  return { at: Number(match[1]), signalId: match[2]! };
}

test('a bot in another process: its open position, status and notification appear live, with the unread badge', async ({ app }) => {
  const strategy = `e2e-bot-${randomBytes(3).toString('hex')}`;
  const bot = { strategy, exchange: 'e2e-exchange', symbol: 'BOTUSDT' };
  // Survives only as long as the document does: a reload would drop it.
  await app.evaluate(() => ((window as unknown as { __sameDocument?: boolean }).__sameDocument = true));

  await openView(app, 'Bots');
  await expect(app.getByTestId('bots-view')).toBeVisible();
  // The view says how it learns about writes: the test server has no change streams.
  await expect(app.getByTestId('bots-watch')).toHaveAttribute('data-watch-mode', 'poll');
  await expect(app.getByTestId('bots-watch')).toContainText(/polling every \d+ ms/);
  const before = await unreadCount(app);

  const opened = await botWrites({ ...bot, step: 'open' });
  const row = app.locator('[data-testid="bot-row"]', { hasText: strategy });
  await expect(row).toBeVisible({ timeout: left(opened.at) });
  const seenAfter = Date.now() - opened.at;
  await expect(row.getByTestId('bot-position')).toHaveText('long @ 100.0000', { timeout: left(opened.at) });
  await expect(row.getByTestId('bot-paused')).toBeVisible({ timeout: left(opened.at) });
  // backtest-kit's PnL at the newest candle (close 101): slippage and fees both sides.
  await expect(row.getByTestId('bot-pnl')).toHaveText('+0.60%', { timeout: left(opened.at) });
  await expect.poll(() => unreadCount(app), { timeout: left(opened.at) }).toBe(before + 1);
  console.log(`bot row visible ${seenAfter} ms after the bot's writes were acknowledged`);
  await snap(app, 'bots-list');
  // Many bots in one database: the list narrows to one by name.
  await app.getByLabel('Find a bot').fill(strategy);
  await expect(app.getByTestId('bot-row')).toHaveCount(1);
  await app.getByLabel('Find a bot').fill(`${strategy}-nope`);
  await expect(app.getByTestId('bot-row')).toHaveCount(0);
  await app.getByLabel('Find a bot').fill('');

  // The bot's page: position, status and the notification with its details.
  await row.click();
  const page = app.getByTestId('bot-page');
  await expect(page).toBeVisible();
  await expect(page.getByTestId('bot-signal')).toContainText(opened.signalId);
  await expect(page.getByTestId('bot-status')).toContainText(/Paused\s*yes/);
  await expect(page.getByTestId('bot-status')).toContainText(/Retry open count\s*1/);
  const notes = page.getByTestId('bot-notification');
  await expect(notes).toHaveCount(1);
  await expect(notes.first()).toContainText('BOTUSDT: long position opened');
  await notes.first().getByRole('button').click();
  await expect(page.getByTestId('notification-data')).toContainText(/Take profit\s*102/);
  await snap(app, 'bot-page-open');

  // While the page is open the bot closes the position: the page follows, no reload.
  const closed = await botWrites({ ...bot, step: 'close', 'signal-id': opened.signalId });
  await expect(page.getByTestId('bot-signal')).toContainText('No open position', { timeout: left(closed.at) });
  await expect(notes.first()).toContainText('BOTUSDT: long position closed (take profit)', { timeout: left(closed.at) });
  await expect(page.getByTestId('bot-status')).toContainText(/Paused\s*no/, { timeout: left(closed.at) });
  await expect(page.getByTestId('bot-stats')).toContainText('+1.79%', { timeout: left(closed.at) });
  console.log(`bot page updated within ${Date.now() - closed.at} ms of the close`);
  await snap(app, 'bot-page');

  // The inbox has the bot's notifications too, each with a title and its details.
  await openView(app, 'Notifications');
  const feed = app.getByTestId('notification-feed');
  const closedRow = feed.locator(`[data-testid="notification-row"][data-type="signal.closed"]`, { hasText: 'BOTUSDT' }).first();
  await expect(closedRow).toContainText('BOTUSDT: long position closed (take profit)');
  await closedRow.click();
  await expect(app.getByTestId('notification-detail-panel')).toContainText(/Close reason\s*take_profit/);
  expect(await app.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), 'the page was never reloaded').toBe(true);
});

const FIXTURE = join(process.cwd(), 'bench', 'backtest-kit', 'node_modules');
const REAL_PACKAGES = existsSync(join(FIXTURE, 'backtest-kit', 'build', 'index.mjs')) && existsSync(join(FIXTURE, '@backtest-kit', 'mongo', 'build', 'index.mjs'));

test('a bot persisting through the real @backtest-kit/mongo 19.5.0: its position, status and notification appear live', async ({ app }) => {
  test.skip(!REAL_PACKAGES, 'backtest-kit and @backtest-kit/mongo are not installed in bench/backtest-kit (npm ci there)');
  const redis = await startRedis();
  try {
    const strategy = `e2e-real-${randomBytes(3).toString('hex')}`;
    await openView(app, 'Bots');
    await expect(app.getByTestId('bots-view')).toBeVisible();
    const before = await unreadCount(app);
    const wrote = await botWrites({ strategy, exchange: 'e2e-exchange', symbol: 'REALUSDT', 'redis-port': String(redis.port) }, 'real-bot-cli.ts');
    const row = app.locator('[data-testid="bot-row"]', { hasText: strategy });
    await expect(row).toBeVisible({ timeout: left(wrote.at) });
    await expect(row.getByTestId('bot-position')).toHaveText('long @ 100.0000', { timeout: left(wrote.at) });
    await expect(row.getByTestId('bot-paused')).toBeVisible({ timeout: left(wrote.at) });
    await expect(row.getByTestId('bot-pnl')).toHaveText('+0.60%', { timeout: left(wrote.at) });
    await expect.poll(() => unreadCount(app), { timeout: left(wrote.at) }).toBe(before + 1);
    console.log(`real package: bot row visible within ${Date.now() - wrote.at} ms of its writes`);
    await row.click();
    await expect(app.getByTestId('bot-signal')).toContainText(wrote.signalId);
    await expect(app.getByTestId('bot-notification').first()).toContainText('REALUSDT: long position opened');
  } finally {
    await redis.stop();
  }
});

test('every one of backtest-kit\'s 31 notification types reads as a title, a message and labelled details', async ({ app }) => {
  const strategy = `e2e-types-${randomBytes(3).toString('hex')}`;
  await botWrites({ strategy, exchange: 'e2e-exchange', symbol: 'TYPEUSDT', step: 'all-types' });
  await openView(app, 'Bots');
  await app.locator('[data-testid="bot-row"]', { hasText: strategy }).click();
  const items = app.getByTestId('bot-notification');
  // error.* carry no symbol or strategy: they belong to no bot, the inbox has them (below).
  const withBot = BACKTEST_KIT_NOTIFICATION_TYPES.filter((t) => !t.startsWith('error.'));
  await expect(items).toHaveCount(withBot.length);
  for (const type of withBot) {
    const item = app.locator(`[data-testid="bot-notification"][data-type="${type}"]`);
    await expect(item, type).toHaveCount(1);
    const head = await item.getByRole('button').innerText();
    expect(head, type).not.toMatch(/undefined|NaN|\{"|\[object/);
    await item.getByRole('button').click();
    const details = item.getByTestId('notification-details');
    await expect(details.getByTestId('notification-title'), type).not.toBeEmpty();
    await expect(details.getByTestId('notification-message'), type).not.toBeEmpty();
    await expect(details.getByTestId('notification-data').locator('dt').first(), type).toBeVisible();
    expect(await details.innerText(), type).not.toMatch(/\{"|\[object/);
  }
  // A few spelled out, as a trader reads them.
  await expect(app.locator('[data-testid="bot-notification"][data-type="partial_profit.available"]')).toContainText('TYPEUSDT: partial profit level 30% reached');
  await expect(app.locator('[data-testid="bot-notification"][data-type="order_reject.open"]')).toContainText('insufficient balance');
  await expect(app.locator('[data-testid="bot-notification"][data-type="risk.rejection"]')).toContainText('at most 3 positions');
  await snap(app, 'bot-notification-types');

  // The bot's errors, in the inbox (filtered by type), with their details.
  await openView(app, 'Notifications');
  for (const type of ['error.info', 'error.critical', 'error.validation'] as const) {
    await app.getByLabel('Type filter').selectOption(type);
    const row = app.getByTestId('notification-feed').locator(`[data-testid="notification-row"][data-type="${type}"]`).first();
    await expect(row).toContainText(describeNotification(type, {}).title);
    await row.click();
    await expect(app.getByTestId('notification-detail-panel').getByTestId('notification-data')).toContainText(/Message/);
  }
});

test('a bot notification the monitor cannot show is logged with a link to its bot', async ({ app }) => {
  const strategy = `e2e-odd-${randomBytes(3).toString('hex')}`;
  const bot = { strategy, exchange: 'e2e-exchange', symbol: 'ODDUSDT' };
  await botWrites({ ...bot, step: 'open' });
  await botWrites({ ...bot, step: 'odd' });
  await openView(app, 'Logs');
  const line = app.getByTestId('log-line').filter({ hasText: `of ${strategy} ODDUSDT (e2e-exchange) not shown: unknown type "signal.teleported"` });
  await expect(line).toHaveCount(1, { timeout: 15_000 });
  await expect(line.getByTestId('log-subject')).toHaveText(`→ bot ${strategy} ODDUSDT`);
  await line.getByTestId('log-subject').click();
  await expect(app.getByTestId('bot-page')).toBeVisible();
  await expect(app.getByTestId('bot-page')).toContainText(strategy);
  await expect(app.getByTestId('bot-notification').first()).toContainText('ODDUSDT: long position opened');
});
