import { withDatabase } from './mongo-check';
import { chooseOnlySymbol, ensureCandles } from './support/candles';
import { expect, openView, snap, test } from './support/app';

async function unreadCount(page: import('@playwright/test').Page): Promise<number> {
  const badge = page.getByTestId('unread-count');
  return (await badge.count()) ? Number((await badge.innerText()).replace(/\D/g, '')) : 0;
}

test('a paper replay streams notifications live, raises the unread count and updates the State view', async ({ app }) => {
  await ensureCandles(app, 'ETHBTC-1m-2018-01.binance.csv', 'ETH/BTC');
  await openView(app, 'Sessions');
  const form = app.getByTestId('new-session-form');
  await form.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Paper replay' }).click();
  await form.getByLabel('Strategy').selectOption('sma-crossover');
  await chooseOnlySymbol(app, 'ETH/BTC');
  await form.getByRole('group', { name: 'Replay speed' }).getByRole('button', { name: '3600×' }).click();
  const before = await unreadCount(app);
  await form.getByRole('button', { name: 'Start paper replay' }).click();

  const runPage = app.getByTestId('run-page');
  await expect(runPage).toHaveAttribute('data-run-status', 'running');
  const runId = decodeURIComponent(new URL(app.url()).hash.split('/')[2] ?? '');
  expect(runId).not.toBe('');

  // Notifications arrive live and the unread count on the navigation rises.
  await expect.poll(() => unreadCount(app), { timeout: 90_000 }).toBeGreaterThan(before + 2);
  const mid = await unreadCount(app);
  await expect.poll(() => unreadCount(app), { timeout: 90_000 }).toBeGreaterThan(mid);
  await expect(app.getByTestId('run-notifications').getByTestId('run-notification').first()).toBeVisible();
  await snap(app, 'run-paper');

  // The feed shows them newest first; filtering by run keeps only this run's.
  await openView(app, 'Notifications');
  const feed = app.getByTestId('notification-feed');
  await expect(feed.getByTestId('notification-row').first()).toBeVisible();
  await app.getByLabel('Run filter').selectOption(runId);
  await expect.poll(() => feed.getByTestId('notification-row').count()).toBeGreaterThan(1);
  const times = await feed.getByTestId('notification-row').evaluateAll((rows) => rows.map((r) => r.children[1]?.textContent ?? ''));
  expect(times).toEqual([...times].sort().reverse());
  await snap(app, 'notifications');

  // Clicking a notification opens its run and marks it read in MongoDB (checked there, not on the page).
  const clicked = feed.locator('.note-row.unread').first();
  const clickedId = (await clicked.getAttribute('data-id')) ?? '';
  expect(clickedId).not.toBe('');
  await clicked.click();
  await expect(app.getByTestId('run-page')).toBeVisible();
  await expect.poll(() => storedRead(clickedId), { timeout: 30_000 }).toBe(true);

  // The State view shows the run's data and changes while the run goes on.
  await openView(app, 'State');
  await app.getByLabel('Run').selectOption(runId);
  const tree = app.getByTestId('state-tree');
  await expect(tree).toBeVisible();
  await expect(app.getByTestId('state-storage')).toContainText(/Storage \([1-9]/, { timeout: 60_000 });
  const v1 = Number(await tree.getAttribute('data-version'));
  await expect.poll(async () => Number(await tree.getAttribute('data-version')), { timeout: 60_000 }).toBeGreaterThan(v1);
  await snap(app, 'state');

  // Stop the run.
  await openView(app, 'Sessions');
  const row = app.locator(`[data-run-id="${runId}"]`);
  await row.getByTestId('stop-run').click();
  await expect(row.locator('[data-status="stopped"]')).toBeVisible({ timeout: 60_000 });

  // With the run stopped no new notification arrives: one more click lowers the unread count by exactly one,
  // and a reload (the count read back from the host) keeps it there.
  await openView(app, 'Notifications');
  const unreadBefore = await settledUnread(app);
  expect(unreadBefore).toBeGreaterThan(0);
  const next = feed.locator('.note-row.unread').first();
  const nextId = (await next.getAttribute('data-id')) ?? '';
  await next.click();
  await expect.poll(() => unreadCount(app)).toBe(unreadBefore - 1);
  await expect.poll(() => storedRead(nextId), { timeout: 30_000 }).toBe(true);
  await app.reload();
  await expect.poll(() => unreadCount(app), { timeout: 30_000 }).toBe(unreadBefore - 1);
});

/** The unread count once it has stopped moving for two seconds. */
async function settledUnread(page: import('@playwright/test').Page): Promise<number> {
  let last = await unreadCount(page);
  for (;;) {
    await page.waitForTimeout(2_000);
    const now = await unreadCount(page);
    if (now === last) return now;
    last = now;
  }
}

/** Whether MongoDB holds the notification as read. */
async function storedRead(notificationId: string): Promise<boolean | undefined> {
  return withDatabase(async (db) => {
    const doc = await db.collection('notification-items').findOne({ notificationId });
    return (doc?.monitor as { read?: boolean } | undefined)?.read;
  });
}
