import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../../shared/domain/runs';
import type { CandleCache, CachedSeries } from './candle-cache';
import { candleFilesAsReady } from './candle-files';
import { newRunRecord } from './run-record';

/** A cache whose checks finish only when the test says so, recording which are in flight. */
function controlledCache() {
  const inFlight = new Set<string>();
  const started: string[] = [];
  const finish = new Map<string, (length: number) => void>();
  let most = 0;
  const cache = {
    ensure: (key: { symbol: string }) =>
      new Promise<CachedSeries>((resolve) => {
        started.push(key.symbol);
        inFlight.add(key.symbol);
        most = Math.max(most, inFlight.size);
        finish.set(key.symbol, (length) => {
          inFlight.delete(key.symbol);
          resolve({ file: `/cache/${key.symbol}.bin`, length, hit: true });
        });
      }),
  } as unknown as CandleCache;
  return { cache, started, finish, most: () => most };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('candle files as they become ready', () => {
  const symbols = ['A', 'B', 'C', 'D', 'E'];
  const record = () => newRunRecord('run', runRequestSchema.parse({ kind: 'backtest', strategyName: 's', exchangeName: 'x', symbols, interval: '1m', from: 0, to: 60_000_000 }));

  it('hands out a symbol’s file while later symbols are still checked, three checks at a time, in order', async () => {
    const { cache, started, finish, most } = controlledCache();
    const r = record();
    const files = candleFilesAsReady(cache, r);
    await tick();
    expect(started).toEqual(['A', 'B', 'C']);
    finish.get('A')!(100);
    expect(await files.get('A')).toBe('/cache/A.bin');
    await tick();
    expect(started).toEqual(['A', 'B', 'C', 'D']); // E waits for a free slot
    expect(r.progress.get('A')).toEqual({ processed: 0, total: 100 });
    expect(r.progress.get('E')).toEqual({ processed: 0, total: 0 });
    for (const s of ['B', 'C', 'D']) finish.get(s)!(50);
    await tick();
    finish.get('E')!(10);
    expect(await Promise.all(symbols.map((s) => files.get(s)))).toEqual(symbols.map((s) => `/cache/${s}.bin`));
    expect(most()).toBe(3);
    expect([...r.progress.keys()]).toEqual(symbols);
  });

  it('rejects only the symbol without candles, naming it, and leaves no unhandled rejection behind', async () => {
    const { cache, finish } = controlledCache();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const files = candleFilesAsReady(cache, record());
      await tick();
      finish.get('B')!(0); // nobody awaits B's file yet
      finish.get('A')!(5);
      finish.get('C')!(5);
      await tick();
      await tick();
      expect(await files.get('A')).toBe('/cache/A.bin');
      await expect(files.get('B')).rejects.toThrow(/no stored 1m candles for x B/);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
