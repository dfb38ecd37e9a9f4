import type { CandleKey } from '../../../shared/candles';
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

/** Gaps in a row failing with the same message: the cause is not the gap (an unknown symbol, a ban), so stop. */
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

/**
 * Downloads the missing ranges of a series from the exchange, one download per gap, so nothing
 * already stored is fetched again. A gap that fails (the exchange refuses, the network is down) is
 * reported with its range and reason and the next gap is tried; a cancel stops at once, keeping
 * what was stored. The outcome counts what is still missing afterwards: an exchange often has no
 * candles for its own outages either.
 */
export async function backfillGaps(request: BackfillRequest): Promise<BackfillOutcome> {
  const started = performance.now();
  const key: CandleKey = { exchangeName: request.exchangeName, symbol: request.symbol, interval: request.interval };
  const before = await coverage(request.store, { ...key, from: request.from, to: request.to });
  const total = Math.max(1, before.missingCandles);
  const failures: BackfillFailure[] = [];
  let fetched = 0;
  let inserted = 0;
  let walked = 0;
  let stopped: string | undefined;
  let streak = 0;
  for (const [index, gap] of before.gaps.entries()) {
    if (streak >= SAME_FAILURE_LIMIT) {
      stopped = `stopped after ${SAME_FAILURE_LIMIT} gaps in a row failed with the same error; ${before.gaps.length - index} gaps not tried`;
      break;
    }
    request.signal?.throwIfAborted();
    try {
      const report = await downloadCandles({
        exchange: request.exchange,
        store: request.store,
        exchangeName: key.exchangeName,
        symbol: key.symbol,
        interval: key.interval,
        from: gap.from,
        to: gap.to,
        resume: false,
        ...(request.retries !== undefined ? { retries: request.retries } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        onProgress: (p) =>
          request.onProgress?.({
            gap: index,
            gaps: before.gaps.length,
            fetched: fetched + p.fetched,
            fraction: Math.min(1, (walked + p.fraction * gap.missing) / total),
            ...(p.retry ? { message: `gap ${index + 1}: retry ${p.retry.attempt}: ${p.retry.reason}` } : {}),
          }),
      });
      fetched += report.fetched;
      inserted += report.inserted;
      streak = 0;
    } catch (error) {
      if (request.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message.slice(0, 300) : String(error);
      streak = failures.at(-1)?.message === message && streak > 0 ? streak + 1 : 1;
      failures.push({ ...gap, message });
    }
    walked += gap.missing;
    request.onProgress?.({ gap: index + 1, gaps: before.gaps.length, fetched, fraction: Math.min(1, walked / total) });
  }
  // Measured over the same span as before (the stored span when no range was given), not a new one.
  const after = await coverage(request.store, { ...key, from: request.from ?? before.from, to: request.to ?? before.to });
  return {
    gaps: before.gaps.length,
    missingBefore: before.missingCandles,
    fetched,
    inserted,
    missingAfter: after.missingCandles,
    gapsAfter: after.gaps.length,
    failures,
    ...(stopped ? { stopped } : {}),
    durationMs: Math.round(performance.now() - started),
  };
}
