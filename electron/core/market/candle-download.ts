import { setTimeout as sleep } from 'node:timers/promises';
import { candleViolations, INTERVAL_MS, type Candle, type CandleKey } from '../../../shared/candles';
import { coverage, type MissingRange } from './candle-coverage';
import type { CandleStore } from './candle-store';
import { isRetryableExchangeError, type OhlcvSource } from './exchange-client';

export interface DownloadProgress {
  key: CandleKey;
  from: number;
  to: number;
  /** Open time the next page starts at. */
  cursor: number;
  pages: number;
  fetched: number;
  inserted: number;
  /** 0..1 of the time range walked. */
  fraction: number;
  /** Set while waiting before a retry. */
  retry?: { attempt: number; waitMs: number; reason: string };
}

export interface DownloadOptions {
  exchange: OhlcvSource;
  store: CandleStore;
  symbol: string;
  interval: CandleKey['interval'];
  /** Stored under this exchange name; the ccxt id by default. */
  exchangeName?: string;
  /** Inclusive, ms. */
  from: number;
  /** Exclusive, ms; now by default. */
  to?: number;
  /** Start after the newest stored candle of the range (default true). */
  resume?: boolean;
  /** Candles per request; Binance spot allows up to 1000. */
  pageSize?: number;
  /** Attempts per page for outages, timeouts and rate-limit refusals. */
  retries?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadReport {
  key: CandleKey;
  from: number;
  to: number;
  /** Where fetching started: after the newest stored candle when resuming. */
  startedAt: number;
  resumed: boolean;
  pages: number;
  fetched: number;
  inserted: number;
  /** Candles the exchange sent that failed the candle rules (not stored). */
  rejected: number;
  retries: number;
  durationMs: number;
}

export const DEFAULT_PAGE_SIZE = 1000;

function toCandle(row: Array<number | undefined>): Candle {
  const [timestamp, open, high, low, close, volume] = row;
  return { timestamp: timestamp ?? NaN, open: open ?? NaN, high: high ?? NaN, low: low ?? NaN, close: close ?? NaN, volume: volume ?? NaN };
}

async function withRetries<T>(
  run: () => Promise<T>,
  options: Pick<DownloadOptions, 'retries' | 'initialBackoffMs' | 'maxBackoffMs' | 'signal'>,
  onRetry: (attempt: number, waitMs: number, reason: string) => void,
): Promise<T> {
  const attempts = options.retries ?? 5;
  let wait = options.initialBackoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await run();
    } catch (error) {
      if (!isRetryableExchangeError(error) || attempt >= attempts) throw error;
      // Jitter keeps several downloads that failed together from retrying in lockstep.
      const jittered = Math.round(wait * (0.75 + Math.random() * 0.5));
      onRetry(attempt, jittered, error instanceof Error ? error.message.slice(0, 200) : String(error));
      await sleep(jittered, undefined, { signal: options.signal });
      wait = Math.min(wait * 2, options.maxBackoffMs ?? 10_000);
    }
  }
}

/**
 * Downloads `[from, to)` page by page with ccxt's fetchOHLCV and upserts each page as it
 * arrives, so an interrupted download keeps what it got and the next one resumes after the
 * newest stored candle. Only closed candles are stored (the current one is still changing).
 */
export async function downloadCandles(options: DownloadOptions): Promise<DownloadReport> {
  const started = performance.now();
  const { exchange, store, symbol, interval, signal } = options;
  const key: CandleKey = { exchangeName: options.exchangeName ?? exchange.id, symbol, interval };
  const step = INTERVAL_MS[interval];
  const from = Math.ceil(options.from / step) * step;
  const to = options.to ?? Date.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const report: DownloadReport = { key, from, to, startedAt: from, resumed: false, pages: 0, fetched: 0, inserted: 0, rejected: 0, retries: 0, durationMs: 0 };

  if (options.resume ?? true) {
    const newest = await store.newestTimestamp(key, from, to);
    if (newest !== undefined) {
      report.startedAt = newest + step;
      report.resumed = true;
    }
  }
  const progress = (cursor: number, retry?: DownloadProgress['retry']): void =>
    options.onProgress?.({
      key, from, to, cursor, pages: report.pages, fetched: report.fetched, inserted: report.inserted,
      fraction: to > from ? Math.min(1, (cursor - from) / (to - from)) : 1, retry,
    });

  await withRetries(() => exchange.loadMarkets(), options, () => report.retries++);
  let cursor = report.startedAt;
  progress(cursor);
  while (cursor < to) {
    signal?.throwIfAborted();
    const rows = await withRetries(
      () => exchange.fetchOHLCV(symbol, interval, cursor, pageSize, { until: to - 1 }),
      options,
      (attempt, waitMs, reason) => {
        report.retries++;
        progress(cursor, { attempt, waitMs, reason });
      },
    );
    report.pages++;
    const closedBefore = Date.now() - step;
    const page: Candle[] = [];
    for (const row of rows) {
      const candle = toCandle(row);
      if (candle.timestamp < cursor || candle.timestamp >= to || candle.timestamp > closedBefore) continue;
      if (candleViolations(candle, interval).length > 0) report.rejected++;
      else page.push(candle);
    }
    const lastSeen = rows.length > 0 ? toCandle(rows[rows.length - 1]!).timestamp : undefined;
    if (page.length > 0) {
      const written = await store.insertOrUpsert(key, page);
      report.fetched += page.length;
      report.inserted += written.inserted;
    }
    // An empty page, or one that does not move forward, means the exchange has nothing more.
    if (lastSeen === undefined || !(lastSeen >= cursor)) break;
    cursor = lastSeen + step;
    progress(cursor);
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

export interface BackfillReport {
  key: CandleKey;
  gaps: MissingRange[];
  downloads: DownloadReport[];
  inserted: number;
  /** Candles still missing afterwards (the exchange has none for them either). */
  stillMissing: number;
}

/**
 * Fills the holes of `[from, to)` (or, without a range, between the first and last stored
 * candle) from the exchange, one download per missing range.
 */
export async function backfillGaps(
  options: Omit<DownloadOptions, 'from' | 'to' | 'resume'> & { from?: number; to?: number },
): Promise<BackfillReport> {
  const key: CandleKey = { exchangeName: options.exchangeName ?? options.exchange.id, symbol: options.symbol, interval: options.interval };
  const before = await coverage(options.store, { ...key, from: options.from, to: options.to });
  const downloads: DownloadReport[] = [];
  for (const gap of before.gaps) {
    options.signal?.throwIfAborted();
    downloads.push(await downloadCandles({ ...options, exchangeName: key.exchangeName, from: gap.from, to: gap.to, resume: false }));
  }
  const after = await coverage(options.store, { ...key, from: options.from ?? before.from, to: options.to ?? before.to });
  return {
    key,
    gaps: before.gaps,
    downloads,
    inserted: downloads.reduce((sum, d) => sum + d.inserted, 0),
    stillMissing: after.missingCandles,
  };
}
