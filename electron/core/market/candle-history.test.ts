import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { INTERVAL_MS, type Candle, type CandleKey, type Interval } from '../../../shared/candles';
import { downsample, resample } from './candle-history';
import { CandleStore } from './candle-store';
import { loadSharedCandles } from './test-data';
import { bruteForceBuckets, expectSameBuckets } from './test-support/bucket-reference';

const dash = loadSharedCandles('DASH_BTC-1m.json'); // the gappiest real series
const ltc = loadSharedCandles('LTC_BTC-5m.json');
const dashKey: CandleKey = { exchangeName: 'binance', symbol: 'DASH/BTC', interval: '1m' };
const ltcKey: CandleKey = { exchangeName: 'binance', symbol: 'LTC/BTC', interval: '5m' };

let db: TestDb;
let store: CandleStore;

beforeAll(async () => {
  db = await openTestDb('market_history');
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
  await store.bulkUpsert(dashKey, dash);
  await store.bulkUpsert(ltcKey, ltc);
  await store.bulkUpsert({ ...dashKey, exchangeName: 'other' }, dash.slice(0, 10));
});

afterAll(async () => {
  await db.dispose();
});

describe('downsampling', () => {
  const first = dash[0]!.timestamp;
  const end = dash[dash.length - 1]!.timestamp + 60_000;

  for (const maxPoints of [2000, 500, 37, 1]) {
    it(`the whole DASH/BTC series (${dash.length} 1m candles, gaps included) to at most ${maxPoints} buckets`, async () => {
      const result = await downsample(store, { ...dashKey, maxPoints });
      expect(result.candles.length).toBeLessThanOrEqual(maxPoints);
      expect(result.bucketMs % 60_000).toBe(0);
      expectSameBuckets(result.candles, bruteForceBuckets(dash, first, end, first, result.bucketMs));
      expect(result.candles.reduce((n, b) => n + b.count, 0)).toBe(dash.length);
    });
  }

  it('an arbitrary [from, to) window, unaligned bounds', async () => {
    const from = first + 3 * 86_400_000 + 17_123;
    const to = from + 2 * 86_400_000 + 999;
    const result = await downsample(store, { ...dashKey, from, to, maxPoints: 300 });
    expect(result.candles.length).toBeLessThanOrEqual(300);
    expectSameBuckets(result.candles, bruteForceBuckets(dash, from, to, Math.floor(from / 60_000) * 60_000, result.bucketMs));
  });

  it('a range with fewer candles than maxPoints comes back unchanged', async () => {
    const result = await downsample(store, { ...ltcKey, from: ltc[100]!.timestamp, to: ltc[400]!.timestamp });
    expect(result.bucketMs).toBe(INTERVAL_MS['5m']);
    expect(result.candles.map(({ count: _c, ...c }) => c)).toEqual(ltc.slice(100, 400));
  });

  it('an empty range gives no buckets', async () => {
    expect((await downsample(store, { ...dashKey, from: 0, to: 60_000 })).candles).toEqual([]);
    expect((await downsample(store, { ...dashKey, symbol: 'NONE/BTC' })).candles).toEqual([]);
  });
});

describe('resampling', () => {
  const cases: Array<[Candle[], CandleKey, Interval]> = [
    [dash, dashKey, '5m'],
    [dash, dashKey, '15m'],
    [dash, dashKey, '1h'],
    [dash, dashKey, '4h'],
    [dash, dashKey, '1d'],
    [ltc, ltcKey, '30m'],
  ];
  for (const [candles, key, target] of cases) {
    it(`${key.symbol} ${key.interval} → ${target} matches the brute-force reference`, async () => {
      const result = await resample(store, { ...key, target });
      const width = INTERVAL_MS[target];
      expectSameBuckets(result, bruteForceBuckets(candles, 0, Infinity, 0, width));
      expect(result.every((b) => b.timestamp % width === 0)).toBe(true);
    });
  }

  it('refuses a target that is not a multiple of the source', async () => {
    await expect(resample(store, { ...ltcKey, target: '3m' })).rejects.toThrow(/5m candles to 3m/);
  });
});

describe('range, latest, keyset pages, listStored', () => {
  it('range [from, to) and latest N', async () => {
    const from = dash[10]!.timestamp;
    const to = dash[20]!.timestamp;
    expect(await store.range({ ...dashKey, from, to })).toEqual(dash.slice(10, 20));
    expect(await store.latest(dashKey, 5)).toEqual(dash.slice(-5));
    expect(await store.latest(dashKey, 3, to)).toEqual(dash.slice(17, 20));
  });

  it('keyset pages walk the whole series in both directions without overlap', async () => {
    for (const direction of [1, -1] as const) {
      const seen: number[] = [];
      let after: number | undefined;
      let pages = 0;
      do {
        const page = await store.page({ ...dashKey, limit: 1000, after, direction });
        seen.push(...page.items.map((c) => c.timestamp));
        after = page.next;
        pages++;
      } while (after !== undefined);
      const expected = dash.map((c) => c.timestamp);
      expect(seen).toEqual(direction === 1 ? expected : expected.reverse());
      expect(pages).toBe(Math.ceil(dash.length / 1000));
    }
  });

  it('listStored names every series with its count and range', async () => {
    expect(await store.listStored()).toEqual([
      { ...dashKey, count: dash.length, first: dash[0]!.timestamp, last: dash[dash.length - 1]!.timestamp },
      { ...ltcKey, count: ltc.length, first: ltc[0]!.timestamp, last: ltc[ltc.length - 1]!.timestamp },
      { ...dashKey, exchangeName: 'other', count: 10, first: dash[0]!.timestamp, last: dash[9]!.timestamp },
    ]);
  });
});
