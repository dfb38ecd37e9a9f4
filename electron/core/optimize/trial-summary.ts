import type { TrialSummary } from '../../../shared/domain/optimize';
import type { CandleCache } from '../engine/candle-cache';
import { scoreOf } from './objective';
import type { TrialOutcome } from './trial-replay';
import type { TrialSpec } from './trial-spec';

export function summarizeTrial(spec: TrialSpec, outcome: TrialOutcome, durationMs: number, worker: string): TrialSummary {
  const summary: TrialSummary = {
    trialId: spec.trialId,
    sweepId: spec.sweepId,
    index: spec.index,
    phase: spec.phase,
    strategyName: spec.strategyName,
    params: spec.params,
    from: spec.from,
    to: spec.to,
    score: scoreOf(outcome.stats, spec.objective),
    stats: outcome.stats,
    durationMs,
    worker,
    finishedAt: Date.now(),
  };
  if (outcome.error !== undefined) summary.error = outcome.error;
  return summary;
}

type CandleRange = Pick<TrialSpec, 'exchangeName' | 'symbols' | 'interval' | 'candleInterval' | 'cacheFrom' | 'cacheTo'>;

/** The interval of the candles a trial reads (backtest-kit files: 1m whatever the frame's). */
export function candleIntervalOf(spec: Pick<TrialSpec, 'interval' | 'candleInterval'>): TrialSpec['interval'] {
  return spec.candleInterval ?? spec.interval;
}

/**
 * The candle cache file of every symbol of a sweep, over the range all its trials share: each symbol
 * is read from MongoDB once (and not at all while the cache file is still valid).
 */
export async function ensureCandleFiles(
  cache: CandleCache,
  spec: CandleRange,
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const interval = candleIntervalOf(spec);
  for (const symbol of spec.symbols) {
    const series = await cache.ensure({ exchangeName: spec.exchangeName, symbol, interval }, spec.cacheFrom, spec.cacheTo);
    if (series.length === 0) {
      throw new Error(
        `no stored ${interval} candles for ${spec.exchangeName} ${symbol} in ${new Date(spec.cacheFrom).toISOString()} .. ${new Date(spec.cacheTo).toISOString()}; import or download them first`,
      );
    }
    files[symbol] = series.file;
  }
  return files;
}

/** How long a checked set of cache files is trusted before MongoDB is asked again, by default. */
export const CANDLE_CHECK_TTL_MS = 60_000;

/**
 * `BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS` overrides it (the app and every worker read it when they
 * start a memo): a machine whose candles do not change during a sweep can trust the check longer,
 * and the benchmark does, so that re-checking 9 x 43,200 candles on a loaded machine is not timed
 * as trials. A bad value is logged and the default used.
 */
export function candleCheckTtlMs(text = process.env.BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS): number {
  if (text === undefined || text.trim() === '') return CANDLE_CHECK_TTL_MS;
  const ms = Number(text);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  console.warn(`[optimize] BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS must be a number of milliseconds (got "${text}"); using ${CANDLE_CHECK_TTL_MS}`);
  return CANDLE_CHECK_TTL_MS;
}

/**
 * The cache files of a sweep range, checked against MongoDB (CandleCache's count and first/last
 * query per symbol) at most once a minute: back-to-back sweeps on the same range, and every trial of
 * a sweep, reuse the check, while candles imported later are still noticed by the next sweep.
 */
export class CandleFilesMemo {
  private readonly entries = new Map<string, { at: number; files: Promise<Record<string, string>> }>();

  constructor(
    private readonly cache: CandleCache,
    private readonly ttlMs = candleCheckTtlMs(),
  ) {}

  get(spec: CandleRange): Promise<Record<string, string>> {
    const key = JSON.stringify([spec.exchangeName, candleIntervalOf(spec), spec.cacheFrom, spec.cacheTo, spec.symbols]);
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.files;
    const files = ensureCandleFiles(this.cache, spec);
    const entry = { at: Date.now(), files };
    // A failed check is not remembered: the candles may be imported before the next try.
    files.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    return files;
  }
}
