import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandleDbService } from './candle-db-service';
import { InvalidCandleError, type Candle, type CandleKey, type CandleRule } from '../../../shared/candles';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { SHARED_CANDLE_FILES, loadSharedCandles } from '../market/test-data';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

function series(count: number, start = T0, price = 100): Candle[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: start + i * MIN,
    open: price + i,
    high: price + i + 2,
    low: price + i - 1,
    close: price + i + 1,
    volume: 10 + i,
  }));
}

describe('CandleDbService', () => {
  let db: TestDb;
  let candles: CandleDbService;
  beforeAll(async () => {
    db = await openTestDb('candles');
    candles = new CandleDbService(db.manager.connection);
    await candles.ensureIndexes();
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('nine concurrent writers upserting the same 1,000 keys leave exactly 1,000 documents', async () => {
    const key: CandleKey = { exchangeName: 'binance', symbol: 'RACE/USDT', interval: '1m' };
    const writers = Array.from({ length: 9 }, (_, w) => candles.bulkUpsert(key, series(1000, T0, 100 + w), 250));
    const results = await Promise.all(writers);
    expect(await candles.countRange(key)).toBe(1000);
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(1000);
    // Concurrent single upserts of one key race too.
    await Promise.all(Array.from({ length: 9 }, (_, w) => candles.upsertCandle(key, { ...series(1, T0 + 5000 * MIN)[0]!, volume: w })));
    expect(await candles.countRange(key)).toBe(1001);
  });

  it('a re-upsert updates in place', async () => {
    const key: CandleKey = { exchangeName: 'binance', symbol: 'REUP/USDT', interval: '1m' };
    const first = await candles.bulkUpsert(key, series(50));
    expect(first).toEqual({ inserted: 50, modified: 0, matched: 0 });
    const [before] = await candles.findRange({ ...key, limit: 1 });
    const changed = series(50).map((c) => ({ ...c, volume: c.volume * 2 }));
    const second = await candles.bulkUpsert(key, changed);
    expect(second).toEqual({ inserted: 0, modified: 50, matched: 50 });
    const again = await candles.bulkUpsert(key, changed);
    expect(again).toEqual({ inserted: 0, modified: 0, matched: 50 });
    const after = await candles.findRange(key);
    expect(after.length).toBe(50);
    expect(after[0]!.volume).toBe(before!.volume * 2);
    const single = await candles.upsertCandle(key, { ...changed[0]!, close: changed[0]!.close + 0.5 });
    expect(single.close).toBe(changed[0]!.close + 0.5);
    expect(await candles.countRange(key)).toBe(50);
  });

  const good: Candle = { timestamp: T0, open: 10, high: 12, low: 9, close: 11, volume: 5 };
  const badCases: Array<[CandleRule, Partial<Candle> | { interval: string }, string]> = [
    ['finite', { open: Number.NaN }, 'open must be a finite number'],
    ['finite', { volume: Number.POSITIVE_INFINITY }, 'volume must be a finite number'],
    ['timestamp', { timestamp: -60_000 }, 'timestamp must be a whole number'],
    ['aligned', { timestamp: T0 + 1234 }, 'is not aligned to the 1m interval'],
    ['high_low', { high: 8, low: 9, open: 8.5, close: 8.5 }, 'high 8 is below low 9'],
    ['low_open_close', { low: 10.5 }, 'low 10.5 is above min(open 10, close 11)'],
    ['high_open_close', { high: 10.5 }, 'high 10.5 is below max(open 10, close 11)'],
    ['volume', { volume: -1 }, 'volume -1 is negative'],
    ['interval', { interval: '7m' }, 'interval "7m" is not one of'],
  ];

  it.each(badCases)('rejects a candle breaking rule %s with its message and writes nothing', async (rule, change, message) => {
    const key: CandleKey = { exchangeName: 'binance', symbol: `BAD${rule}/USDT`, interval: '1m' };
    const { interval, ...candleChange } = change as Partial<Candle> & { interval?: string };
    const badKey = { ...key, interval: (interval ?? key.interval) as CandleKey['interval'] };
    const batch = [...series(3, T0 - 3 * MIN), { ...good, ...candleChange }];
    const error = await candles.bulkUpsert(badKey, batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCandleError);
    expect((error as InvalidCandleError).violations.map((v) => v.rule)).toContain(rule);
    expect((error as Error).message).toContain(message);
    await expect(candles.upsertCandle(badKey, { ...good, ...candleChange })).rejects.toThrow(message);
    expect(await candles.count({ symbol: key.symbol })).toBe(0);
  });

  it('range queries are [from, to) in time order', async () => {
    const key: CandleKey = { exchangeName: 'binance', symbol: 'RANGE/USDT', interval: '1m' };
    await candles.bulkUpsert(key, series(100).reverse());
    const range = await candles.findRange({ ...key, from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    expect(range.map((c) => (c.timestamp - T0) / MIN)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(range[0]).not.toHaveProperty('_id');
    expect(await candles.countRange({ ...key, from: T0 + 95 * MIN })).toBe(5);
  });

  it.each(SHARED_CANDLE_FILES.filter((f) => f.file.endsWith('.json')))('loads the shared real candles $file through the bulk upsert with the right count', async (f) => {
    const rows = loadSharedCandles(f.file);
    expect(rows.length).toBe(f.candles);
    const key: CandleKey = { exchangeName: 'binance', symbol: f.symbol, interval: f.interval };
    const result = await candles.bulkUpsert(key, rows);
    expect(result.inserted).toBe(f.candles);
    expect(await candles.countRange(key)).toBe(f.candles);
    const stored = await candles.findRange(key);
    expect(stored[0]).toMatchObject(rows[0]!);
    expect(stored[stored.length - 1]).toMatchObject(rows[rows.length - 1]!);
  }, 120_000);
});

describe('candle-items documents as @backtest-kit/mongo writes them', () => {
  let db: TestDb;
  let candles: CandleDbService;
  beforeAll(async () => {
    db = await openTestDb('candle_documents');
    candles = new CandleDbService(db.manager.connection);
    await candles.ensureIndexes();
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('has the unique (exchangeName, symbol, interval, timestamp) index and a single-field index per key field', async () => {
    const indexes = await db.manager.connection.collection('candle-items').indexes();
    expect(indexes.filter((i) => i.unique).map((i) => i.key)).toEqual([{ exchangeName: 1, symbol: 1, interval: 1, timestamp: 1 }]);
    const singles = indexes.filter((i) => Object.keys(i.key).length === 1 && !('_id' in i.key)).map((i) => Object.keys(i.key)[0]).sort();
    expect(singles).toEqual(['exchangeName', 'interval', 'symbol', 'timestamp']);
  });

  it('stamps createDate on insert and updatedDate on every write, as Dates; reads return the candle only', async () => {
    const key: CandleKey = { exchangeName: 'binance', symbol: 'DOCS/USDT', interval: '1m' };
    await candles.bulkUpsert(key, series(3));
    await candles.upsertCandle(key, series(1, T0 + 10 * MIN)[0]!);
    const raw = await db.manager.connection.collection('candle-items').find({ symbol: 'DOCS/USDT' }).toArray();
    expect(raw).toHaveLength(4);
    for (const doc of raw) {
      expect(doc.createDate).toBeInstanceOf(Date);
      expect(doc.updatedDate).toBeInstanceOf(Date);
    }
    const [first] = raw;
    await new Promise((r) => setTimeout(r, 5));
    await candles.bulkUpsert(key, series(1).map((c) => ({ ...c, close: c.close + 0.25 })));
    const corrected = await db.manager.connection.collection('candle-items').findOne({ _id: first!._id });
    expect(corrected!.close).toBe(first!.close + 0.25);
    expect(corrected!.createDate.getTime()).toBe(first!.createDate.getTime());
    const single = await candles.upsertCandle(key, { ...series(1)[0]!, close: first!.close });
    const rewritten = await db.manager.connection.collection('candle-items').findOne({ _id: first!._id });
    expect(single.close).toBe(first!.close);
    expect(rewritten!.createDate.getTime()).toBe(first!.createDate.getTime());
    expect(rewritten!.updatedDate.getTime()).toBeGreaterThan(first!.updatedDate.getTime());
    expect(Object.keys((await candles.findRange({ ...key, limit: 1 }))[0]!).sort()).toEqual(['close', 'exchangeName', 'high', 'interval', 'low', 'open', 'symbol', 'timestamp', 'volume']);
  });
});
