import { INTERVAL_MS, type CandleKey } from '../../../shared/candles';
import { coverage, type MissingRange } from './candle-coverage';
import { downloadCandles } from './candle-download';
import type { CandleStore } from './candle-store';
import type { OhlcvSource } from './exchange-client';

export interface BackfillProgress {
  /** Gaps handled so far (done or failed) and in all. */
  gap: number;
  gaps: number;
  /** Candles fetched so far, all gaps together. */
  fetched: number;
  /** 0..1 of the missing candles walked. */
  fraction: number;
  message?: string;
}

export interface BackfillFailure extends MissingRange {
  /** What went wrong for this gap, in the exchange's or the network's words. */
  message: string;
}

export interface BackfillOutcome {
  /** Gaps found in the range before the backfill. */
  gaps: number;
  missingBefore: number;
  fetched: number;
  inserted: number;
  /** Candles still missing after it: the exchange has none for them either, or a gap failed. */
  missingAfter: number;
  gapsAfter: number;
  failures: BackfillFailure[];
  /** Set when the backfill gave up before the last gap (the same error gap after gap). */
  stopped?: string;
  durationMs: number;
}

/** Downloads in a row failing with the same message: the cause is not the gap (an unknown symbol, a ban), so stop. */
export const SAME_FAILURE_LIMIT = 3;

export interface BackfillRequest extends CandleKey {
  exchange: OhlcvSource;
  store: CandleStore;
  /** Inclusive, ms: without it, from the oldest stored candle (the holes between stored candles). */
  from?: number;
  /** Exclusive, ms. */
  to?: number;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  /** Per-page retries of the download (tests make it 1). */
  retries?: number;
}

/** Gaps this close together are fetched in one window: at most one exchange page (Binance: 1,000 candles). */
export const WINDOW_CANDLES = 1000;

/**
 * Gaps grouped into download windows of at most `windowCandles` candles from the first gap's start
 * to the last one's end, so 1,400 one-minute holes in ten days cost 15 requests instead of 1,400.
 * A gap longer than a window is a window of its own (downloaded page by page).
 */
export function gapWindows(gaps: readonly MissingRange[], stepMs: number, windowCandles = WINDOW_CANDLES): MissingRange[][] {
  const windows: MissingRange[][] = [];
  let current: MissingRange[] = [];
  for (const gap of gaps) {
    if (current.length > 0 && gap.to - current[0]!.from > windowCandles * stepMs) {
      windows.push(current);
      current = [];
    }
    current.push(gap);
  }
  if (current.length > 0) windows.push(current);
  return windows;
}

/** True when `t` lies in one of the sorted, disjoint `gaps`. */
function inGaps(gaps: readonly MissingRange[], t: number): boolean {
  let lo = 0;
  let hi = gaps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const g = gaps[mid]!;
    if (t < g.from) hi = mid - 1;
    else if (t >= g.to) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The store as the downloader sees it for one window: only candles inside the window's gaps are
 * written. The stored candles between the gaps come back from the exchange too, and are left as
 * they are (an imported file is the user's correction; a backfill only fills holes).
 */
function gapsOnlyStore(store: CandleStore, gaps: readonly MissingRange[], counted: { fetched: number; inserted: number }): CandleStore {
  const view = Object.create(store) as CandleStore;
  view.insertOrUpsert = async (key, candles) => {
    const wanted = candles.filter((c) => inGaps(gaps, c.timestamp));
    counted.fetched += wanted.length;
    const written = await store.insertOrUpsert(key, wanted);
    counted.inserted += written.inserted;
    return written;
  };
  return view;
}

/**
 * Downloads the missing ranges of a series from the exchange. Nearby gaps share a request window
 * (gapWindows) and only the candles inside the gaps are stored. A window that fails (the exchange
 * refuses, the network is down) is reported gap by gap with the reason and the next window is
 * tried; after SAME_FAILURE_LIMIT windows in a row fail alike it stops. A cancel stops at once,
 * keeping what was stored. The outcome counts what is still missing afterwards: an exchange often
 * has no candles for its own outages either.
 */
export async function backfillGaps(request: BackfillRequest): Promise<BackfillOutcome> {
  const started = performance.now();
  const key: CandleKey = { exchangeName: request.exchangeName, symbol: request.symbol, interval: request.interval };
  const before = await coverage(request.store, { ...key, from: request.from, to: request.to });
  const windows = gapWindows(before.gaps, INTERVAL_MS[key.interval]);
  const total = Math.max(1, before.missingCandles);
  const failures: BackfillFailure[] = [];
  const counted = { fetched: 0, inserted: 0 };
  let handled = 0;
  let walked = 0;
  let stopped: string | undefined;
  let streak = 0;
  let lastMessage: string | undefined;
  for (const window of windows) {
    if (streak >= SAME_FAILURE_LIMIT) {
      stopped = `stopped after ${SAME_FAILURE_LIMIT} downloads in a row failed with the same error; ${before.gaps.length - handled} gaps not tried`;
      break;
    }
    request.signal?.throwIfAborted();
    const missing = window.reduce((sum, g) => sum + g.missing, 0);
    try {
      await downloadCandles({
        exchange: request.exchange,
        store: gapsOnlyStore(request.store, window, counted),
        exchangeName: key.exchangeName,
        symbol: key.symbol,
        interval: key.interval,
        from: window[0]!.from,
        to: window[window.length - 1]!.to,
        resume: false,
        ...(request.retries !== undefined ? { retries: request.retries } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        onProgress: (p) =>
          request.onProgress?.({
            gap: handled,
            gaps: before.gaps.length,
            fetched: counted.fetched,
            fraction: Math.min(1, (walked + p.fraction * missing) / total),
            ...(p.retry ? { message: `gap ${handled + 1}: retry ${p.retry.attempt}: ${p.retry.reason}` } : {}),
          }),
      });
      streak = 0;
    } catch (error) {
      if (request.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message.slice(0, 300) : String(error);
      streak = lastMessage === message && streak > 0 ? streak + 1 : 1;
      lastMessage = message;
      for (const gap of window) failures.push({ ...gap, message });
    }
    handled += window.length;
    walked += missing;
    request.onProgress?.({ gap: handled, gaps: before.gaps.length, fetched: counted.fetched, fraction: Math.min(1, walked / total) });
  }
  // Measured over the same span as before (the stored span when no range was given), not a new one.
  const after = await coverage(request.store, { ...key, from: request.from ?? before.from, to: request.to ?? before.to });
  return {
    gaps: before.gaps.length,
    missingBefore: before.missingCandles,
    fetched: counted.fetched,
    inserted: counted.inserted,
    missingAfter: after.missingCandles,
    gapsAfter: after.gaps.length,
    failures,
    ...(stopped ? { stopped } : {}),
    durationMs: Math.round(performance.now() - started),
  };
}
