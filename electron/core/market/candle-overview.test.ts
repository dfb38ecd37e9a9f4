import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import type { Candle, CandleKey } from '../../../shared/candles';
import { CandleColumns } from './candle-columns';
import { downsample } from './candle-history';
import { CandleOverview } from './candle-overview';
import { CandleStore } from './candle-store';
import { loadSharedCandles } from './test-data';
import { bruteForceBuckets, expectSameBuckets } from './test-support/bucket-reference';

const dash = loadSharedCandles('DASH_BTC-1m.json'); // the gappiest real series
const key: CandleKey = { exchangeName: 'binance', symbol: 'DASH/BTC', interval: '1m' };
const M = 60_000;

let db: TestDb;
let store: CandleStore;

beforeAll(async () => {
  db = await openTestDb('market_overview');
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
  await store.bulkUpsert(key, dash);
});

afterAll(async () => {
  await db.dispose();
});

describe('the columnar chart overview', () => {
  const first = dash[0]!.timestamp;
  const end = dash[dash.length - 1]!.timestamp + M;

  it('equals the brute-force aggregation and the database aggregation at every zoom', async () => {
    const overview = new CandleOverview(store);
    const windows: Array<[number | undefined, number | undefined]> = [
      [undefined, undefined],
      [first + 3 * 86_400_000 + 17_123, first + 5 * 86_400_000 + 999],
      [first + 1_000 * M, first + 1_090 * M],
      [first - 86_400_000, first + 10 * M],
    ];
    for (const [from, to] of windows) {
      for (const maxPoints of [2000, 333, 37, 1]) {
        const cached = await downsample(store, { ...key, from, to, maxPoints }, overview);
        const f = from ?? first;
        const reference = bruteForceBuckets(dash, f, to ?? end, Math.floor(f / M) * M, cached.bucketMs);
        expectSameBuckets(cached.candles, reference);
        const byDatabase = await downsample(store, { ...key, from, to, maxPoints }, null);
        expect(cached.bucketMs).toBe(byDatabase.bucketMs);
        expectSameBuckets(cached.candles, byDatabase.candles);
      }
    }
    expect(overview.has(key)).toBe(true);
    overview.close();
  });

  it('follows writes made through the store (new candles and changed ones) without reading MongoDB again', async () => {
    const overview = new CandleOverview(store);
    const own: CandleKey = { ...key, symbol: 'OWN/BTC' };
    await store.bulkUpsert(own, dash.slice(0, 5000));
    await overview.columns(own);
    const streamed = store.stream.bind(store);
    let reads = 0;
    store.stream = (range) => {
      reads++;
      return streamed(range);
    };
    try {
      const later = dash.slice(5000); // appended (insert path)
      await store.insertOrUpsert(own, later);
      const changed = dash.slice(100, 200).map((c) => ({ ...c, high: c.high * 2, close: c.high * 1.5 })); // replaced (upsert path)
      await store.insertOrUpsert(own, changed);
      const expected = [...dash];
      for (let i = 0; i < changed.length; i++) expected[100 + i] = changed[i]!;
      const result = await downsample(store, { ...own, maxPoints: 500 }, overview);
      expectSameBuckets(result.candles, bruteForceBuckets(expected, first, end, first, result.bucketMs));
      expectSameBuckets(result.candles, (await downsample(store, { ...own, maxPoints: 500 }, null)).candles);
      expect(reads, 'MongoDB scans after the first read').toBe(0);
    } finally {
      store.stream = streamed;
      overview.close();
    }
  });

  it('a series imported through the store before its first view is not read back from MongoDB', async () => {
    const overview = new CandleOverview(store);
    const fresh: CandleKey = { ...key, symbol: 'FRESH/BTC' };
    await store.insertOrUpsert(fresh, dash.slice(0, 4000));
    await store.insertOrUpsert(fresh, dash.slice(4000));
    const streamed = store.stream.bind(store);
    let reads = 0;
    store.stream = (range) => {
      reads++;
      return streamed(range);
    };
    try {
      const result = await downsample(store, { ...fresh, maxPoints: 700 }, overview);
      expectSameBuckets(result.candles, bruteForceBuckets(dash, first, end, first, result.bucketMs));
      expect(reads, 'MongoDB scans for a series this store wrote in full').toBe(0);
      // Not everything was written through this store: the count differs, so the series is read.
      const mixed: CandleKey = { ...key, symbol: 'MIXED/BTC' };
      await db.manager.connection.collection('candle-items').insertOne({ ...mixed, ...dash[0]! });
      await store.insertOrUpsert(mixed, dash.slice(1, 100));
      const all = await downsample(store, { ...mixed, maxPoints: 5000 }, overview);
      expect(all.candles.reduce((n, b) => n + b.count, 0)).toBe(100);
      expect(reads).toBe(1);
    } finally {
      store.stream = streamed;
      overview.close();
    }
  });

  it('notices a write from outside the store (another process) and reads the series again', async () => {
    const overview = new CandleOverview(store, { checkEveryMs: 0 });
    const other: CandleKey = { ...key, symbol: 'OTHER/BTC' };
    await store.bulkUpsert(other, dash.slice(0, 1000));
    await overview.columns(other);
    const extra = dash[1000]!;
    await db.manager.connection.collection('candle-items').insertOne({ ...other, ...extra });
    // The next view starts the background comparison; once it has dropped the stale copy, a view reads MongoDB again.
    await overview.columns(other);
    await expect.poll(() => overview.has(other), { timeout: 10_000 }).toBe(false);
    const result = await downsample(store, { ...other, maxPoints: 5000 }, overview);
    expect(result.candles.reduce((n, b) => n + b.count, 0)).toBe(1001);
    overview.close();
  });
});

describe('CandleColumns', () => {
  const c = (t: number, v = t): Candle => ({ timestamp: t * M, open: v, high: v + 1, low: v - 1, close: v, volume: 1 });

  it('upserts like the database: appends, inserts in order, replaces a held timestamp, last duplicate wins', () => {
    const cols = new CandleColumns(2);
    cols.upsert([c(1), c(2), c(5)]);
    cols.upsert([c(6), c(7)]);
    cols.upsert([c(3), c(5, 50), c(0)]);
    cols.upsert([c(4, 9), c(4, 40)]);
    expect(cols.range().map((k) => [k.timestamp / M, k.open])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3], [4, 40], [5, 50], [6, 6], [7, 7]]);
    expect(cols.oldest(2.5 * M)).toBe(3 * M);
    expect(cols.newest(undefined, 6 * M)).toBe(5 * M);
    expect(cols.newest(8 * M)).toBeUndefined();
  });
});

describe('the overview on disk', () => {
  it('a new process reads the saved copy instead of MongoDB, and a stale copy is dropped after the check', async () => {
    const { mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'bm-overview-'));
    try {
      const saved: CandleKey = { ...key, symbol: 'SAVED/BTC' };
      await store.bulkUpsert(saved, dash.slice(0, 3000));
      const first = new CandleOverview(store, { dir });
      await first.columns(saved);
      await expect.poll(() => readdirSync(dir).filter((f) => f.endsWith('.columns')).length).toBe(1);
      first.close();

      // "After a restart": another overview on the same directory, MongoDB not read.
      const again = new CandleOverview(store, { dir, checkEveryMs: 0 });
      const streamed = store.stream.bind(store);
      let reads = 0;
      store.stream = (range) => {
        reads++;
        return streamed(range);
      };
      try {
        const result = await downsample(store, { ...saved, maxPoints: 200 }, again);
        expectSameBuckets(result.candles, bruteForceBuckets(dash.slice(0, 3000), dash[0]!.timestamp, dash[2999]!.timestamp + M, dash[0]!.timestamp, result.bucketMs));
        expect(reads, 'MongoDB scans for a series saved on disk').toBe(0);
      } finally {
        store.stream = streamed;
      }
      // Another process added a candle meanwhile: the background check drops both copies.
      await db.manager.connection.collection('candle-items').insertOne({ ...saved, ...dash[3000]! });
      const third = new CandleOverview(store, { dir, checkEveryMs: 0 });
      await third.columns(saved);
      await expect.poll(() => third.has(saved), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => readdirSync(dir).filter((f) => f.endsWith('.columns')).length).toBe(0);
      expect((await downsample(store, { ...saved, maxPoints: 5000 }, third)).candles.reduce((n, b) => n + b.count, 0)).toBe(3001);
      again.close();
      third.close();

      // A directory that cannot be written (a file in its place): the error names the path, no temp file is left.
      const blocked = join(dir, 'blocked');
      writeFileSync(blocked, 'not a directory');
      const errors: string[] = [];
      const failing = new CandleOverview(store, { dir: join(blocked, 'sub'), onError: (m, e) => errors.push(`${m}: ${(e as Error).message}`) });
      await failing.columns(saved);
      await expect.poll(() => errors.length).toBeGreaterThan(0);
      expect(errors[0]).toContain(join(blocked, 'sub'));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      failing.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds the whole series when its first view and its checks come with a zoomed window', async () => {
    const overview = new CandleOverview(store, { checkEveryMs: 0 });
    const first = dash[0]!.timestamp;
    const mid = dash[Math.floor(dash.length / 2)]!.timestamp;
    // First view: one hour in the middle (as a run page zoomed to a trade asks).
    const zoomed = await downsample(store, { ...key, from: mid, to: mid + 60 * M }, overview);
    expect(zoomed.candles.length).toBeGreaterThan(0);
    // A check triggered by another zoomed view must compare the whole series, not that window.
    await downsample(store, { ...key, from: mid, to: mid + 60 * M }, overview);
    await new Promise((r) => setTimeout(r, 200));
    const elsewhere = await downsample(store, { ...key, from: first, to: first + 600 * M }, overview);
    expectSameBuckets(elsewhere.candles, bruteForceBuckets(dash, first, first + 600 * M, elsewhere.origin, elsewhere.bucketMs));
    expect((await overview.columns(key)).length).toBe(dash.length);
  });
});
