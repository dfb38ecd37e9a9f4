import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { Candle } from '../shared/candles';
import { createAppCore, type AppCore } from '../electron/core/app/app-core';
import type { AppEventBus } from '../electron/core/app/event-bus';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { CandleStore } from '../electron/core/market/candle-store';
import { createPersistence } from '../electron/core/persist';
import type { NotificationService } from '../electron/core/persist/services/notification-service';
import { buildCoreParts } from '../electron/core/app/core-parts';
import { UNREAD_CONFIRM, unreadPublisher } from '../electron/core/app/unread-publisher';
import { startHost } from '../electron/server/ws-host';
import { BenchFailure, type Benchmark, type BenchResult } from './harness';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EVENTS_PER_S = 1000;
/** 9,000 events: the badge shows 9999+ beyond 9,999. */
const EVENT_SECONDS = 9;
const CHART_CANDLES = 2000;
const RUNS = 20;
const NOTIFICATIONS = 5_000;
const STORED_CANDLES = 1_000_000;
const REPEATS = 5;
/**
 * `UI_BENCH_ONLY=event_to_dom npm run bench -- ui` measures only event-to-DOM (and its unpersisted
 * diagnostic), over the 5,000 stored notifications but without the runs and candles the other
 * measurements need: for working on that path; the figures reported come from the full run.
 */
const ONLY = process.env.UI_BENCH_ONLY;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const median = (values: number[]): number => percentile(values, 50);
const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

function ensureBuilt(root: string): string {
  const dir = join(root, 'out', 'renderer');
  if (!existsSync(join(dir, 'index.html'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  return dir;
}

/** 2,000 consecutive 1m candles as a generic CSV (a random walk; the chart only needs valid OHLCV). */
function syntheticCsv(count: number): string {
  const start = Date.UTC(2024, 0, 1);
  const lines = ['timestamp,open,high,low,close,volume'];
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open + Math.sin(i / 17) * 0.6 + (((i * 7919) % 13) - 6) * 0.05);
    const high = Math.max(open, close) + 0.2;
    const low = Math.min(open, close) - 0.2;
    lines.push(`${start + i * 60_000},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${(10 + (i % 50)).toFixed(2)}`);
    price = close;
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Cold page loads of the Sessions view over realistic data: from navigation until the runs table
 * lists every finished run and the unread badge shows the stored count. An error state, or nothing
 * after 60 s, fails the benchmark instead of counting as loaded.
 */
async function firstLoad(browser: Browser, url: string, signIn: (page: Page) => Promise<void>, runs: number, unread: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // bypassCSP: the wait below is a string predicate, which the app's CSP (no unsafe-eval) would refuse.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    // Signed in before the clock starts, as a returning user is.
    await signIn(page);
    const t0 = Date.now();
    await page.goto(`${url}#/sessions`);
    // The badge counts every inbox: the stored notifications plus the backtests' own.
    const loaded = page
      .waitForFunction(
        `document.querySelectorAll('[data-testid="runs-table"] [data-status="completed"]').length >= ${runs}
          && Number((document.querySelector('[data-testid="unread-count"]')?.textContent || '').replace(/\\D/g, '')) >= ${unread}`,
        undefined,
        { timeout: 60_000, polling: 'raf' },
      )
      .catch(async (error: unknown) => {
        const shown = await page.evaluate(`[document.querySelectorAll('[data-testid="runs-table"] [data-status="completed"]').length, document.querySelector('[data-testid="unread-count"]')?.textContent ?? 'no badge']`).catch(() => 'page gone');
        throw new Error(`first load: no ${runs} finished runs and ${unread} unread within 60 s (the page showed ${JSON.stringify(shown)}): ${error instanceof Error ? error.message : String(error)}`);
      });
    const failed = page.locator('[data-state="error"]').first().waitFor({ timeout: 60_000 }).then(
      async () => {
        throw new Error(`the Sessions view showed an error state: ${await page.locator('[data-state="error"]').first().innerText()}`);
      },
      () => undefined,
    );
    await Promise.race([loaded, failed]);
    out.push(Date.now() - t0);
    await context.close();
  }
  return out;
}

async function chartRender(page: Page): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await page.locator('[data-nav="logs"]').click();
    await page.getByTestId('logs-view').waitFor();
    const t0 = Date.now();
    await page.locator('[data-nav="candles"]').click();
    await page
      .waitForFunction(`document.querySelectorAll('[data-testid="candle-chart"] g.candle').length >= ${CHART_CANDLES}`, undefined, { timeout: 60_000, polling: 'raf' })
      .catch(async (error: unknown) => {
        const shown = await page
          .evaluate(`[document.querySelectorAll('[data-testid="candle-chart"] g.candle').length, [...document.querySelectorAll('[data-state="error"], [data-state="loading"]')].map((e) => e.getAttribute('data-state') + ': ' + (e.textContent || '').slice(0, 200))]`)
          .catch(() => 'page gone');
        throw new Error(`chart: fewer than ${CHART_CANDLES} candles drawn within 60 s (the page showed ${JSON.stringify(shown)}): ${error instanceof Error ? error.message : String(error)}`);
      });
    out.push(Date.now() - t0);
  }
  return out;
}

/**
 * 1,000 notifications/s through the inbox: each is written to MongoDB by the NotificationService,
 * then put on the core's bus, and the unread count is published the way the engine part does for
 * run notifications (unreadPublisher: the inbox's tracked count at once, coalesced, and an exact
 * recount in the database once the burst settles, at least every 5 s). Records when the unread
 * badge in the page first counts each of them. A badge that
 * never reaches the count sent within 60 s fails the benchmark; what arrived is still reported
 * (received/sent), and so does a final recount that differs from the count sent.
 */
async function eventToDom(page: Page, inbox: NotificationService, bus: AppEventBus, log: (m: string) => void, persisted = true): Promise<{ p99: number; p50: number; received: number; sent: number; writeErrors: number }> {
  await page.locator('[data-nav="notifications"]').click();
  await page.getByTestId('notifications-view').waitFor();
  await page.waitForFunction(`!document.querySelector('[data-testid="unread-count"]')`, undefined, { timeout: 30_000 });
  // Page scripts are strings: tsx would wrap named functions in a helper the page does not have.
  // Persisted: the unread badge. Without MongoDB the app's own recounts (0 stored) may reset the
  // badge, so the diagnostic watches the feed instead: the newest row's number (one ordered stream,
  // so every earlier one has arrived too).
  const shownNow = persisted
    ? `(() => { const badge = document.querySelector('[data-testid="unread-count"]'); return badge ? Number((badge.textContent || '').replace(/\\D/g, '')) : 0; })()`
    : `Math.max(0, ...[...document.querySelectorAll('[data-testid="notification-row"][data-id^="bench-live-"]')].map((r) => Number(r.getAttribute('data-id').slice(11)) + 1))`;
  await page.evaluate(`(() => {
    const samples = [];
    window.__badge = samples;
    const record = () => {
      const count = ${shownNow};
      const last = samples[samples.length - 1];
      if (!last || last[1] !== count) samples.push([Date.now(), count]);
    };
    new MutationObserver(record).observe(document.querySelector('${persisted ? 'nav' : '[data-testid="notification-feed"]'}'), { subtree: true, childList: true, characterData: true });
  })()`);
  const emitted: number[] = [];
  const total = EVENTS_PER_S * EVENT_SECONDS;
  const writes: Array<Promise<void>> = [];
  let writeErrors = 0;
  let recountErrors = 0;
  /** Sent → stored and emitted, per notification: the database's share of the figure. */
  const storedAfter: number[] = [];
  const publishUnread = unreadPublisher(
    (how) => (how === 'tracked' ? inbox.trackedUnreadCount() : inbox.unreadCount()),
    (count) => bus.emit('notifications.unread', { count }),
    (error: unknown) => {
      recountErrors++;
      if (recountErrors === 1) log(`event→DOM: an unread recount failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  const deliver = async (i: number, at: number): Promise<void> => {
    const notification = {
      notificationId: `bench-${persisted ? 'stored' : 'live'}-${i}`,
      type: i % 3 === 0 ? ('signal.closed' as const) : ('signal.opened' as const),
      backtest: false,
      runId: 'bench-run',
      symbol: i % 2 ? 'ETH/BTC' : 'ADA/BTC',
      title: `Signal ${i}`,
      message: `bench notification ${i}`,
      createdAt: at,
      read: false,
      data: { pnlPercent: (i % 7) - 3 },
    };
    // The diagnostic variant: the same events straight onto the bus (transport and page only).
    if (!persisted) return void bus.emit('notification', notification);
    try {
      const stored = await inbox.append(notification);
      storedAfter.push(Date.now() - at);
      bus.emit('notification', stored);
      publishUnread();
    } catch (error) {
      writeErrors++;
      if (writeErrors === 1) log(`event→DOM: a notification write failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const start = Date.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * EVENTS_PER_S));
      while (emitted.length < due) {
        const at = Date.now();
        const i = emitted.length;
        emitted.push(at);
        writes.push(deliver(i, at));
      }
      if (emitted.length >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await Promise.all(writes);
  const stored = persisted ? await inbox.unreadCount() : total;
  let timedOut = false;
  await page
    .waitForFunction(`${shownNow} >= ${total}`, undefined, { timeout: 60_000 })
    .catch(() => {
      timedOut = true;
    });
  // The exact recount that follows the burst runs while the database is still there (and is checked below).
  if (persisted) await new Promise((r) => setTimeout(r, UNREAD_CONFIRM.quietMs + 1_000));
  const samples = (await page.evaluate('window.__badge')) as Array<[number, number]>;
  // The badge may step back when a recount answered before later writes lands after them: an
  // event counts as shown the first time the badge reached its number.
  const latencies: number[] = [];
  let s = 0;
  let high = 0;
  for (let i = 0; i < emitted.length; i++) {
    while (s < samples.length && high < i + 1) high = Math.max(high, samples[s++]![1]);
    if (high < i + 1) break;
    latencies.push(samples[s - 1]![0] - emitted[i]!);
  }
  // Where the slow ones were: the slowest 1% by the second of the burst they were sent in (a stall shows as one second).
  const slow = latencies.map((ms, i) => ({ ms, second: Math.floor((emitted[i]! - start) / 1000) })).sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(latencies.length / 100));
  const bySecond = new Map<number, number>();
  for (const e of slow) bySecond.set(e.second, (bySecond.get(e.second) ?? 0) + 1);
  log(`event→DOM: p90 ${percentile(latencies, 90)} ms, p95 ${percentile(latencies, 95)} ms, max ${Math.max(...latencies)} ms; slowest 1% by second sent: ${[...bySecond].sort((a, b) => a[0] - b[0]).map(([sec, n]) => `${sec}s×${n}`).join(' ')}`);
  if (persisted) log(`event→DOM: sent → stored in MongoDB and emitted: p50 ${percentile(storedAfter, 50)} ms, p99 ${percentile(storedAfter, 99)} ms, max ${Math.max(...storedAfter)} ms`);
  log(`event→DOM: ${latencies.length} of ${emitted.length} events counted by the badge, ${samples.length} badge updates, ${writeErrors} write errors, ${recountErrors} recount errors, ${stored} unread stored${timedOut ? ', timed out' : ''}`);
  if (latencies.length === 0) throw new Error(`event→DOM: none of ${total} notifications reached the badge`);
  if (timedOut || writeErrors > 0 || recountErrors > 0 || stored !== total) {
    throw new Error(
      `event→DOM: ${latencies.length} of ${total} notifications reached the badge within 60 s, ${stored} unread stored (${writeErrors} write errors, ${recountErrors} recount errors); of those p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
    );
  }
  return { p99: percentile(latencies, 99), p50: percentile(latencies, 50), received: latencies.length, sent: total, writeErrors };
}

/** 5,000 unread notifications in the MongoDB inbox, through the NotificationService. */
async function storedNotifications(inbox: NotificationService, log: (m: string) => void): Promise<void> {
  const started = Date.now();
  for (let i = 0; i < NOTIFICATIONS; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        inbox.append({ notificationId: `stored-${i + j}`, type: 'signal.closed', backtest: false, runId: 'earlier-run', symbol: 'BENCH/USD', title: `Stored ${i + j}`, message: 'an earlier notification', read: false }),
      ),
    );
  }
  log(`${NOTIFICATIONS} notifications stored in ${Date.now() - started} ms`);
}

/**
 * What a trader's app holds after a while: 20 finished backtests (through runs.start), 5,000 unread
 * notifications in the MongoDB inbox (through the NotificationService) and 1,000,000 stored 1m candles.
 */
async function realisticData(core: AppCore, inbox: NotificationService, store: CandleStore, log: (m: string) => void): Promise<void> {
  if (ONLY === 'event_to_dom') return storedNotifications(inbox, log);
  let started = Date.now();
  const imported = await core.dispatch('candles.import', {
    source: { kind: 'content', fileName: 'BENCH_USD-1m.csv', text: syntheticCsv(CHART_CANDLES) },
    exchangeName: 'bench',
    symbol: 'BENCH/USD',
    interval: '1m',
  });
  if (!imported.ok) throw new Error(`bench candles import failed: ${imported.error.message}`);
  const first = Date.UTC(2024, 0, 1);
  for (let i = 0; i < RUNS; i++) {
    const startedRun = await core.dispatch('runs.start', {
      kind: 'backtest',
      strategyName: 'sma-crossover',
      exchangeName: 'bench',
      symbols: ['BENCH/USD'],
      interval: '1m',
      from: first,
      to: first + CHART_CANDLES * 60_000,
    });
    if (!startedRun.ok) throw new Error(`runs.start failed: ${startedRun.error.message}`);
    const runId = (startedRun.data as { runId: string }).runId;
    for (let waited = 0; ; waited += 100) {
      const got = await core.dispatch('runs.get', { runId });
      const status = got.ok ? (got.data as { run: { status: string } }).run.status : 'unknown';
      if (status === 'completed') break;
      if (status === 'failed' || status === 'stopped' || waited > 120_000) throw new Error(`backtest ${runId} ended ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  log(`${RUNS} backtests finished in ${Date.now() - started} ms`);
  await storedNotifications(inbox, log);
  started = Date.now();
  const key = { exchangeName: 'bench', symbol: 'BIG/USD', interval: '1m' as const };
  let batch: Candle[] = [];
  let price = 100;
  for (let i = 0; i < STORED_CANDLES; i++) {
    const open = price;
    const close = Math.max(1, open + Math.sin(i / 17) * 0.6 + (((i * 7919) % 13) - 6) * 0.05);
    batch.push({ timestamp: Date.UTC(2020, 0, 1) + i * 60_000, open, high: Math.max(open, close) + 0.2, low: Math.min(open, close) - 0.2, close, volume: 10 + (i % 50) });
    price = close;
    if (batch.length === 50_000) {
      await store.insertOrUpsert(key, batch);
      batch = [];
    }
  }
  await store.insertOrUpsert(key, batch);
  log(`${STORED_CANDLES} candles stored in ${Date.now() - started} ms`);
}

const uiBenchmark: Benchmark = async (ctx) => {
  if (ONLY !== undefined && ONLY !== 'event_to_dom') throw new Error(`UI_BENCH_ONLY: only 'event_to_dom' is known, got '${ONLY}'`);
  const root = process.cwd();
  const staticDir = ensureBuilt(root);
  const dataDir = join(ctx.workDir, 'app');
  mkdirSync(dataDir, { recursive: true });
  const uri = ctx.databaseUri('ui');
  const core = await createAppCore({
    config: { dataDir, settingsFile: join(dataDir, 'settings.json'), envConnectionString: uri, probeLocalhost: false, embedded: false },
    parts: buildCoreParts,
    echoLog: false,
  });
  await core.databaseReady;
  // The live inbox the engine writes to: same database, same data directory (and outage spool).
  const manager = new ConnectionManager({ uri });
  await manager.connect();
  const live = await createPersistence({ mode: 'live', dataDir, connection: manager });
  const store = new CandleStore(manager.connection);
  const host = await startHost(core, { port: 0, staticDir });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const signIn = async (page: Page): Promise<void> => {
    await page.context().request.get(host.loginUrl());
  };
  const results: BenchResult[] = [];
  const failures: string[] = [];
  // Each measurement on its own: one that fails (an error state, a timeout) fails the run, the others are still reported.
  const attempt = async (name: string, measure: () => Promise<void>): Promise<void> => {
    try {
      await measure();
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      ctx.log(`${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  try {
    await realisticData(core, live.notifications, store, ctx.log);

    // String predicates are evaluated in the page, which the app's CSP (no unsafe-eval) would refuse.
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    await signIn(page);
    await page.goto(`${host.url}#/sessions`);
    await page.getByTestId('db-foot').getByText('Host connected').waitFor();

    if (ONLY === undefined) await attempt('ui.chart_2000_candles', async () => {
      const charts = await chartRender(page);
      ctx.log(`chart with ${CHART_CANDLES} candles: ${charts.join(', ')} ms`);
      results.push({ name: 'ui.chart_2000_candles_ms', value: round(median(charts)), unit: 'ms', note: `median of ${REPEATS}: click on Candles until all ${CHART_CANDLES} candle shapes are in the DOM (query included)` });
    });

    if (ONLY === undefined) await attempt('ui.first_load', async () => {
      const loads = await firstLoad(browser, host.url, signIn, RUNS, NOTIFICATIONS);
      ctx.log(`first load: ${loads.join(', ')} ms`);
      results.push({ name: 'ui.first_load_ms', value: round(median(loads)), unit: 'ms', note: `median of ${REPEATS} cold page loads until the Sessions view lists ${RUNS} finished runs and the badge counts the ${NOTIFICATIONS} unread (${STORED_CANDLES.toLocaleString('en')} candles stored too); an error state or 60 s fails it` });
    });

    // Last: a 1,000/s write burst can leave the database server behind for a while, which must not
    // be charged to the read-only measurements above.
    // Diagnostic, not the target: the same 1,000/s without MongoDB (bus → WebSocket → page), to
    // tell how much of the figure below is the transport and the page.
    await attempt('ui.event_to_dom_unpersisted', async () => {
      const marked = await core.dispatch('notifications.markRead', { all: true });
      if (!marked.ok) throw new Error(`notifications.markRead failed: ${marked.error.message}`);
      const events = await eventToDom(page, live.notifications, core.bus, ctx.log, false);
      results.push({
        name: 'ui.event_to_dom_unpersisted_p99_ms',
        value: round(events.p99),
        unit: 'ms',
        note: `diagnostic: the same ${EVENTS_PER_S}/s for ${EVENT_SECONDS} s put on the bus without MongoDB → the feed's newest row; ${events.received} of ${events.sent} shown; p50 ${round(events.p50)} ms`,
      });
    });

    await attempt('ui.event_to_dom', async () => {
      const marked = await core.dispatch('notifications.markRead', { all: true });
      if (!marked.ok) throw new Error(`notifications.markRead failed: ${marked.error.message}`);
      const events = await eventToDom(page, live.notifications, core.bus, ctx.log);
      results.push(
        { name: 'ui.event_to_dom_p99_ms', value: round(events.p99), unit: 'ms', note: `${EVENTS_PER_S} notifications/s for ${EVENT_SECONDS} s, each stored by the NotificationService in MongoDB, then on the bus, the unread count published as the engine part does (unreadPublisher: the inbox's tracked count after each batch, an exact recount ${UNREAD_CONFIRM.quietMs} ms after the burst and at least every ${UNREAD_CONFIRM.maxWaitMs / 1000} s) → unread badge in the DOM; ${events.received} of ${events.sent} counted; p50 ${round(events.p50)} ms; target ≤ 100` },
        { name: 'ui.event_to_dom_received', value: events.received, unit: 'events', note: `of ${events.sent} sent, counted by the badge; must equal the sent count` },
      );
    });
    if (failures.length > 0) throw new BenchFailure(failures.join('; '), results);
  } finally {
    await browser.close();
    await host.close();
    await live.close();
    await manager.close();
    await core.shutdown();
  }
  return results;
};

export default uiBenchmark;
