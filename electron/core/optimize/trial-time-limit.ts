import { INTERVAL_MS } from '../../../shared/candles';
import type { TrialSpec } from './trial-spec';
import { candleIntervalOf } from './trial-summary';

/** Every trial gets at least this long: loading a strategy and checking its candles against MongoDB. */
const BASE_MS = 120_000;
/**
 * Plus this per 10,000 candles replayed: the engine replays millions of candles a second and a
 * backtest-kit file hundreds of thousands, so 10,000 a second is a machine a hundred times slower
 * than that, or a trial that is waiting on something that will not come.
 */
const MS_PER_10K_CANDLES = 1_000;

/** The candles a trial replays: every symbol over its window, at the interval of the candles it reads. */
export function trialCandles(spec: Pick<TrialSpec, 'symbols' | 'from' | 'to' | 'interval' | 'candleInterval'>): number {
  return spec.symbols.length * Math.max(0, Math.ceil((spec.to - spec.from) / INTERVAL_MS[candleIntervalOf(spec)]));
}

/**
 * How long a worker process gives a trial before it gives the trial up (9 symbols x 30 days of 1m
 * candles: 120 s + 39 s). Generous on purpose: a trial given up is retried elsewhere, so a limit that
 * is too short only repeats work, while none at all lets one stuck worker hold its trial for ever.
 */
export function defaultTrialTimeLimitMs(spec: Pick<TrialSpec, 'symbols' | 'from' | 'to' | 'interval' | 'candleInterval'>): number {
  return BASE_MS + Math.ceil(trialCandles(spec) / 10_000) * MS_PER_10K_CANDLES;
}

export class TrialTimeLimitError extends Error {
  override name = 'TrialTimeLimitError';
  constructor(trialId: string, limitMs: number) {
    super(`trial ${trialId} did not finish within its time limit of ${limitMs} ms; given up so that another worker retries it`);
  }
}

/**
 * The trial's promise, or a TrialTimeLimitError after `limitMs`. What the trial was waiting on is not
 * cancelled (a MongoDB call cannot be), only no longer waited for: if it ends later its result write
 * is an insert-only upsert, so the trial is still stored once.
 */
export function withTimeLimit<T>(work: Promise<T>, trialId: string, limitMs: number, onLateFailure: (error: unknown) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let givenUp = false;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      givenUp = true;
      reject(new TrialTimeLimitError(trialId, limitMs));
    }, limitMs);
  });
  // A trial given up that fails later has no one waiting for it: its error goes to onLateFailure.
  work.catch((error: unknown) => {
    if (givenUp) onLateFailure(error);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
