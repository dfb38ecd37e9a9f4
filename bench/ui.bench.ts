import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { Notification } from '../shared/contract/domain';
import { createAppCore } from '../electron/core/app/app-core';
import { buildCoreParts } from '../electron/core/app/core-parts';
import { startHost } from '../electron/server/ws-host';
import type { Benchmark, BenchResult } from './harness';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EVENTS_PER_S = 1000;
const EVENT_SECONDS = 10;
const CHART_CANDLES = 2000;
const REPEATS = 5;

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

/** Time from a click on the navigation to the page showing the host as connected, cold page each time. */
async function firstLoad(browser: Browser, url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${url}#/sessions`);
    await page.getByTestId('db-foot').getByText('Host connected').waitFor();
    await page.locator('[data-testid="runs-table"], [data-state="empty"], [data-state="error"]').first().waitFor();
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
    await page.waitForFunction(`document.querySelectorAll('[data-testid="candle-chart"] g.candle').length >= ${CHART_CANDLES}`, undefined, { timeout: 60_000, polling: 'raf' });
    out.push(Date.now() - t0);
  }
  return out;
}

/**
 * Emits 1,000 notifications/s for 10 s on the core's event bus and records when the unread badge
 * in the page first counts each of them: the time from emit to the DOM showing it.
 */
async function eventToDom(page: Page, emit: (n: Notification) => void, log: (m: string) => void): Promise<{ p99: number; p50: number; received: number }> {
  await page.locator('[data-nav="notifications"]').click();
  await page.getByTestId('notifications-view').waitFor();
  // Page scripts are strings: tsx would wrap named functions in a helper the page does not have.
  await page.evaluate(`(() => {
    const samples = [];
    window.__badge = samples;
    const record = () => {
      const badge = document.querySelector('[data-testid="unread-count"]');
      const count = badge ? Number((badge.textContent || '').replace(/\\D/g, '')) : 0;
      const last = samples[samples.length - 1];
      if (!last || last[1] !== count) samples.push([Date.now(), count]);
    };
    new MutationObserver(record).observe(document.querySelector('nav'), { subtree: true, childList: true, characterData: true });
  })()`);
  const emitted: number[] = [];
  const total = EVENTS_PER_S * EVENT_SECONDS;
  const start = Date.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * EVENTS_PER_S));
      while (emitted.length < due) {
        const at = Date.now();
        const i = emitted.length;
        emitted.push(at);
        emit({
          notificationId: `bench-${i}`,
          type: i % 3 === 0 ? 'signal.closed' : 'signal.opened',
          backtest: false,
          runId: 'bench-run',
          symbol: i % 2 ? 'ETH/BTC' : 'ADA/BTC',
          title: `Signal ${i}`,
          message: `bench notification ${i}`,
          createdAt: at,
          read: false,
          data: { pnlPercent: (i % 7) - 3 },
        });
      }
      if (emitted.length >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  await page
    .waitForFunction(`Number((document.querySelector('[data-testid="unread-count"]')?.textContent || '').replace(/\\D/g, '')) >= ${Math.min(total, 9999)}`, undefined, { timeout: 60_000 })
    .catch(() => undefined);
  const samples = (await page.evaluate('window.__badge')) as Array<[number, number]>;
  const latencies: number[] = [];
  let s = 0;
  for (let i = 0; i < emitted.length; i++) {
    // The badge caps its text at 9999+; the first 9,999 events are enough for the distribution.
    if (i >= 9999) break;
    while (s < samples.length && samples[s]![1] < i + 1) s++;
    if (s >= samples.length) break;
    latencies.push(samples[s]![0] - emitted[i]!);
  }
  log(`event→DOM: ${latencies.length} of ${emitted.length} events seen, ${samples.length} badge updates`);
  return { p99: percentile(latencies, 99), p50: percentile(latencies, 50), received: latencies.length };
}

const uiBenchmark: Benchmark = async (ctx) => {
  const root = process.cwd();
  const staticDir = ensureBuilt(root);
  const dataDir = join(ctx.workDir, 'app');
  mkdirSync(dataDir, { recursive: true });
  const core = await createAppCore({
    config: { dataDir, settingsFile: join(dataDir, 'settings.json'), envConnectionString: ctx.databaseUri('ui'), probeLocalhost: false, embedded: false },
    parts: buildCoreParts,
    echoLog: false,
  });
  const host = await startHost(core, { port: 0, staticDir });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const results: BenchResult[] = [];
  try {
    const loads = await firstLoad(browser, host.url);
    ctx.log(`first load: ${loads.join(', ')} ms`);
    results.push({ name: 'ui.first_load_ms', value: round(median(loads)), unit: 'ms', note: `median of ${REPEATS} cold page loads to the Sessions view with data (Chromium, headless host)` });

    const imported = await core.dispatch('candles.import', {
      source: { kind: 'content', fileName: 'BENCH_USD-1m.csv', text: syntheticCsv(CHART_CANDLES) },
      exchangeName: 'bench',
      symbol: 'BENCH/USD',
      interval: '1m',
    });
    if (!imported.ok) throw new Error(`bench candles import failed: ${imported.error.message}`);
    // String predicates are evaluated in the page, which the app's CSP (no unsafe-eval) would refuse.
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    await page.goto(`${host.url}#/sessions`);
    await page.getByTestId('db-foot').getByText('Host connected').waitFor();
    const charts = await chartRender(page);
    ctx.log(`chart with ${CHART_CANDLES} candles: ${charts.join(', ')} ms`);
    results.push({ name: 'ui.chart_2000_candles_ms', value: round(median(charts)), unit: 'ms', note: `median of ${REPEATS}: click on Candles until all ${CHART_CANDLES} candle shapes are in the DOM (query included)` });

    const events = await eventToDom(page, (n) => core.bus.emit('notification', n), ctx.log);
    results.push({ name: 'ui.event_to_dom_p99_ms', value: round(events.p99), unit: 'ms', note: `${EVENTS_PER_S} notifications/s for ${EVENT_SECONDS} s, emit on the core bus → unread badge in the DOM; p50 ${round(events.p50)} ms` });
  } finally {
    await browser.close();
    await host.close();
    await core.shutdown();
  }
  return results;
};

export default uiBenchmark;
