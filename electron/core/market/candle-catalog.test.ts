import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import type { Candle, CandleKey } from '../../../shared/candles';
import { candleDocuments } from '../db/candle-db-service';
import { CATALOG_COLLECTION } from './candle-catalog';
import { coverage, streamedCoverage } from './candle-coverage';
import { CandleStore } from './candle-store';
import { loadSharedCandles } from './test-data';

const ltc = loadSharedCandles('LTC_BTC-5m.json'); // unbroken
const dash = loadSharedCandles('DASH_BTC-1m.json'); // gappy
const ltcKey: CandleKey = { exchangeName: 'binance', symbol: 'LTC/BTC', interval: '5m' };
const dashKey: CandleKey = { exchangeName: 'binance', symbol: 'DASH/BTC', interval: '1m' };
const summaryOf = (key: CandleKey, candles: Candle[]) => ({ ...key, count: candles.length, first: candles[0]!.timestamp, last: candles[candles.length - 1]!.timestamp });

let db: TestDb;
let store: CandleStore;

beforeAll(async () => {
  db = await openTestDb('market_catalog');
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
});

afterAll(async () => {
  await db.dispose();
});

/** Candle documents written around the store, as another program (or an older app version) would. */
async function writeAround(key: CandleKey, candles: Candle[]): Promise<void> {
  await db.manager.connection.collection('candle-items').insertMany(candleDocuments(key, candles));
}

describe('series catalog', () => {
  it('is built once from the candles on a database written before it existed (the migration)', async () => {
    await writeAround(dashKey, dash.slice(0, 500));
    expect(await db.manager.connection.collection(CATALOG_COLLECTION).countDocuments()).toBe(0);
    expect(await store.listStored()).toEqual([summaryOf(dashKey, dash.slice(0, 500))]);
    const meta = await db.manager.connection.collection(CATALOG_COLLECTION).findOne({ kind: 'meta' });
    expect(meta).toMatchObject({ version: 1, series: 1 });
  });

  it('lists from the catalog, not by grouping the candles: a write around the store is not seen until refresh', async () => {
    await writeAround(dashKey, dash.slice(500, 600));
    expect(await store.listStored()).toEqual([summaryOf(dashKey, dash.slice(0, 500))]);
    await store.catalog.refresh(dashKey);
    expect(await store.listStored()).toEqual([summaryOf(dashKey, dash.slice(0, 600))]);
  });

  it('follows inserts, upserts over stored candles and concurrent writers of one series', async () => {
    // Overlapping batches: insertOrUpsert falls back to upserts for what is stored already.
    await Promise.all([store.insertOrUpsert(dashKey, dash.slice(550, 3000)), store.bulkUpsert(dashKey, dash.slice(2500, 6000)), store.insertOrUpsert(ltcKey, ltc.slice(0, 2000))]);
    await store.bulkUpsert(ltcKey, ltc.slice(1000, 3000)); // 1,000 already stored, 1,000 new
    await store.bulkUpsert(ltcKey, ltc.slice(1000, 3000)); // nothing new
    await store.upsertCandle(ltcKey, ltc[3000]!); // one new
    await store.upsertCandle(ltcKey, { ...ltc[3000]!, close: ltc[3000]!.close }); // an update
    const listed = await store.listStored();
    expect(listed).toEqual([summaryOf(dashKey, dash.slice(0, 6000)), summaryOf(ltcKey, ltc.slice(0, 3001))]);
    expect(await store.rebuildCatalog()).toEqual(listed);
  });

  it('follows deletes: a range drops its count and moves the ends, the whole series leaves the list', async () => {
    const cut = ltc[100]!.timestamp;
    expect(await store.deleteRange({ ...ltcKey, to: cut })).toBe(100);
    expect(await store.seriesSummary(ltcKey)).toEqual(summaryOf(ltcKey, ltc.slice(100, 3001)));
    await store.deleteRange(dashKey);
    expect(await store.listStored()).toEqual([summaryOf(ltcKey, ltc.slice(100, 3001))]);
    expect(await store.seriesSummary(dashKey)).toBeUndefined();
  });

  it('a write on a database without a catalog builds it first, so the write is counted once', async () => {
    await db.manager.connection.collection(CATALOG_COLLECTION).drop();
    const fresh = new CandleStore(db.manager.connection);
    await fresh.insertOrUpsert(ltcKey, ltc.slice(3001, 3100));
    const listed = await fresh.listStored();
    expect(listed).toEqual([summaryOf(ltcKey, ltc.slice(100, 3100))]);
    expect(await fresh.rebuildCatalog()).toEqual(listed);
  });
});

describe('coverage from the catalog', () => {
  const ranges = (candles: Candle[], step: number): Array<{ from?: number; to?: number }> => {
    const first = candles[0]!.timestamp;
    const last = candles[candles.length - 1]!.timestamp;
    return [
      {},
      { from: first - 7 * step - 1234 },
      { to: last + 3 * step + 1 },
      { from: first + 10 * step + 17, to: last - 20 * step - 5 },
      { from: first - 50 * step, to: last + 50 * step },
      { from: last + 10 * step, to: last + 20 * step },
      { from: first - 20 * step, to: first - 10 * step },
      { from: first + 5 * step, to: first + 5 * step },
    ];
  };

  it('an unbroken series is answered without reading its candles, exactly as the streamed scan', async () => {
    const key: CandleKey = { ...ltcKey, exchangeName: 'cov' };
    await store.insertOrUpsert(key, ltc);
    for (const range of ranges(ltc, 300_000)) {
      expect(await coverage(store, { ...key, ...range }), JSON.stringify(range)).toEqual(await streamedCoverage(store, { ...key, ...range }));
    }
    // Holes made around the store are not in the catalog: the ends still match, so it would answer
    // "unbroken" — but a refresh (what the chart's background check does) brings the count back.
    await db.manager.connection.collection('candle-items').deleteMany({ exchangeName: 'cov', timestamp: ltc[200]!.timestamp });
    const streamed = await streamedCoverage(store, key);
    expect(streamed.gaps).toHaveLength(1);
    expect((await coverage(store, key)).gaps).toHaveLength(0); // from the catalog, which was not told
    await store.catalog.refresh(key);
    expect(await coverage(store, key)).toEqual(streamed);
  });

  it('a gappy series is streamed', async () => {
    const key: CandleKey = { ...dashKey, exchangeName: 'cov' };
    await store.insertOrUpsert(key, dash);
    const result = await coverage(store, key);
    expect(result.gaps.length).toBe(1493);
    expect(result).toEqual(await streamedCoverage(store, key));
  });
});
