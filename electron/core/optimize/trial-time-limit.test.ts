import { describe, expect, it } from 'vitest';
import { defaultTrialTimeLimitMs, trialCandles, TrialTimeLimitError, withTimeLimit } from './trial-time-limit';

const DAY = 86_400_000;
const nine = Array.from({ length: 9 }, (_, k) => `S${k}`);

describe('per-trial time limit', () => {
  it('grows with the candles a trial replays, counting a backtest-kit file at 15m in its 1m candles', () => {
    expect(trialCandles({ symbols: nine, from: 0, to: 30 * DAY, interval: '1m' })).toBe(388_800);
    expect(defaultTrialTimeLimitMs({ symbols: nine, from: 0, to: 30 * DAY, interval: '1m' })).toBe(159_000);
    expect(trialCandles({ symbols: nine, from: 0, to: 30 * DAY, interval: '15m' })).toBe(25_920);
    expect(trialCandles({ symbols: nine, from: 0, to: 30 * DAY, interval: '15m', candleInterval: '1m' })).toBe(388_800);
  });

  it('gives a trial that does not end up after the limit, and reports its later failure', async () => {
    let fail!: (error: Error) => void;
    const never = new Promise<number>((_, reject) => (fail = reject));
    const late: unknown[] = [];
    const started = Date.now();
    await expect(withTimeLimit(never, 't.1', 50, (e) => late.push(e))).rejects.toBeInstanceOf(TrialTimeLimitError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    fail(new Error('the write failed at last'));
    await new Promise((r) => setTimeout(r, 0));
    expect(late).toHaveLength(1);
  });

  it('passes a trial that ends in time through, with no late report', async () => {
    const late: unknown[] = [];
    await expect(withTimeLimit(Promise.resolve(7), 't.2', 1_000, (e) => late.push(e))).resolves.toBe(7);
  });
});
