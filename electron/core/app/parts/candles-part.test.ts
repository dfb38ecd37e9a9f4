import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../../../shared/candles';
import type { EventName, EventPayload } from '../../../../shared/contract/events';
import { ContractFailure } from '../../../../shared/contract/result';
import { openTestDb, type TestDb } from '../../../../test/support/test-db';
import { CSV_HEADER } from '../../market/candle-export';
import { CandleStore } from '../../market/candle-store';
import { startFakeBinanceServer, type FakeBinanceServer } from '../../market/fake-binance-server';
import { loadSharedCandles } from '../../market/test-data';
import { bruteForceBuckets, expectSameBuckets } from '../../market/test-support/bucket-reference';
import type { CandlesPort } from '../ports';
import { UploadStore } from '../uploads';
import { createCandlesPart } from './candles-part';

const M = 60_000;
const eth = loadSharedCandles('ETH_BTC-1m.json');
const first = eth[0]!.timestamp;
const end = eth[eth.length - 1]!.timestamp + M;
const key = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' } as const;

let db: TestDb;
let fake: FakeBinanceServer;
let dir: string;
let part: CandlesPort;
let store: CandleStore;
const events: Array<{ event: EventName; payload: unknown }> = [];
const logs: string[] = [];

async function failure(promise: Promise<unknown>): Promise<ContractFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ContractFailure);
  return error as ContractFailure;
}

/** Every chunk of an export, as the desktop app and the host's download route read it. */
async function readExport(exportId: string): Promise<{ text: string; chunks: number }> {
  let text = '';
  let chunks = 0;
  let after: number | undefined;
  for (;;) {
    const chunk = await part.exportChunk({ exportId, ...(after !== undefined ? { after } : {}) });
    text += chunk.text;
    chunks++;
    if (chunk.nextCursor === null) return { text, chunks };
    after = chunk.nextCursor;
  }
}

beforeAll(async () => {
  db = await openTestDb('candles_part');
  dir = mkdtempSync(join(tmpdir(), 'bm-candles-part-'));
  fake = await startFakeBinanceServer({ markets: [{ symbol: 'ETH/BTC', candles: { '1m': eth } }] });
  part = createCandlesPart({
    database: () => db.manager,
    uploads: new UploadStore({ dir: join(dir, 'uploads') }),
    importDirs: [],
    maxImportBytes: 1 << 20,
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void events.push({ event, payload }),
    exchangeApiUrl: fake.url,
    chartCacheDir: join(dir, 'chart-cache'),
    log: (_level, message) => void logs.push(message),
  });
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
  await store.insertOrUpsert(key, eth);
  // Neighbours a delete must leave alone: another interval, symbol and exchange with the same times.
  await store.insertOrUpsert({ ...key, interval: '3m' }, eth.filter((c) => c.timestamp % (3 * M) === 0));
  await store.insertOrUpsert({ ...key, symbol: 'ETH/USDT' }, eth.slice(0, 500));
  await store.insertOrUpsert({ ...key, exchangeName: 'kraken' }, eth.slice(0, 500));
}, 120_000);

afterAll(async () => {
  await fake?.stop();
  await db?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('candles.export / candles.exportChunk', () => {
  it('writes the whole series as CSV with the import header, in chunks, every value as stored', async () => {
    const prepared = await part.export({ ...key, format: 'csv' });
    expect(prepared).toMatchObject({ rows: eth.length, fileName: 'binance_ETH-BTC_1m.csv', mediaType: 'text/csv; charset=utf-8' });
    const { text, chunks } = await readExport(prepared.exportId);
    expect(chunks).toBe(2);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(eth.length + 1);
    const parsed = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(parsed.map(([timestamp, open, high, low, close, volume]) => ({ timestamp, open, high, low, close, volume }))).toEqual(eth);
  });

  it('writes a range as ccxt JSON that parses back to the same candles', async () => {
    const from = first + 100 * M;
    const to = first + 12_000 * M;
    const expected = eth.filter((c) => c.timestamp >= from && c.timestamp < to);
    const prepared = await part.export({ ...key, from, to, format: 'json' });
    expect(prepared.rows).toBe(expected.length);
    expect(prepared.fileName).toMatch(/^binance_ETH-BTC_1m_2018-01-20-\d{4}_2018-01-\d\d-\d{4}\.json$/);
    const { text, chunks } = await readExport(prepared.exportId);
    expect(chunks).toBe(2);
    const rows = JSON.parse(text) as number[][];
    expect(rows.map(([timestamp, open, high, low, close, volume]) => ({ timestamp, open, high, low, close, volume }))).toEqual(expected);
  });

  it('spends the id once read to the end; an unknown id and an empty range are refused by name', async () => {
    const prepared = await part.export({ ...key, from: first, to: first + 10 * M, format: 'csv' });
    await readExport(prepared.exportId);
    expect((await failure(part.exportChunk({ exportId: prepared.exportId }))).code).toBe('not_found');
    expect((await failure(part.exportChunk({ exportId: '0b7a4b9e-5f0c-4c2a-9a57-2f7d1c9b3e11' }))).message).toMatch(/expired|export again/);
    const empty = await failure(part.export({ ...key, from: Date.UTC(2010, 0, 1), to: Date.UTC(2010, 0, 2), format: 'csv' }));
    expect(empty.code).toBe('not_found');
    expect(empty.message).toMatch(/nothing to export/);
  });
});

describe('candles.delete', () => {
  const from = first + 1000 * M;
  const to = first + 1120 * M;

  it('counts first, refuses a count that changed, deletes exactly the range and nothing else, and the chart forgets it at once', async () => {
    // The chart holds the series in memory (and on disk) before the delete.
    const before = await part.chart({ ...key, from, to, maxPoints: 2000 });
    expect(before.candles).toHaveLength(120);

    const dry = await part.delete({ ...key, from, to, dryRun: true });
    expect(dry).toEqual({ count: 120, deleted: 0, dryRun: true });
    expect(await store.countRange({ ...key, from, to })).toBe(120);

    const conflict = await failure(part.delete({ ...key, from, to, dryRun: false, expected: 119 }));
    expect(conflict.code).toBe('conflict');
    expect(await store.countRange({ ...key, from, to })).toBe(120);

    const done = await part.delete({ ...key, from, to, dryRun: false, expected: 120 });
    expect(done).toEqual({ count: 120, deleted: 120, dryRun: false });
    expect(await store.countRange({ ...key, from, to })).toBe(0);
    expect(await store.countRange(key)).toBe(eth.length - 120);
    // Neighbours untouched.
    expect(await store.countRange({ ...key, interval: '3m' })).toBe(eth.filter((c) => c.timestamp % (3 * M) === 0).length);
    expect(await store.countRange({ ...key, symbol: 'ETH/USDT' })).toBe(500);
    expect(await store.countRange({ ...key, exchangeName: 'kraken' })).toBe(500);

    const after = await part.chart({ ...key, from, to, maxPoints: 2000 });
    expect(after.candles).toHaveLength(0);
    expect((await part.gaps({ ...key, from, to })).missingCandles).toBe(120);
    expect(logs.some((l) => /deleted 120 binance ETH\/BTC 1m candles/.test(l))).toBe(true);
  });

  it('deletes a whole series when no range is given', async () => {
    expect((await part.delete({ ...key, exchangeName: 'kraken', dryRun: false })).deleted).toBe(500);
    expect(await store.countRange({ ...key, exchangeName: 'kraken' })).toBe(0);
    expect(await store.countRange({ ...key, symbol: 'ETH/USDT' })).toBe(500);
  });
});

describe('candles.backfill', () => {
  it('downloads exactly the missing ranges from the exchange, with progress; the gap the exchange lacks stays', async () => {
    // Two holes made here, plus the one the real file has (and so the fake exchange too).
    const holeA = { from: first + 2000 * M, to: first + 2090 * M };
    const holeB = { from: first + 5000 * M, to: first + 5003 * M };
    await store.deleteRange({ ...key, ...holeA });
    await store.deleteRange({ ...key, ...holeB });
    const missingBefore = (await part.gaps(key)).missingCandles;
    events.length = 0;

    const outcome = await part.backfill({ ...key });
    // 120 (deleted above) + 90 + 3 come back; the file's own missing minute does not exist anywhere.
    expect(outcome).toMatchObject({ missingBefore, inserted: 213, fetched: 213, missingAfter: 1, gapsAfter: 1, failures: [] });
    expect(outcome.gaps).toBe(4);
    expect(await store.countRange(key)).toBe(eth.length);
    expect(await store.range({ ...key, ...holeA })).toEqual(eth.filter((c) => c.timestamp >= holeA.from && c.timestamp < holeA.to));
    const progress = events.filter((e) => e.event === 'candles.progress').map((e) => e.payload as EventPayload<'candles.progress'>);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.operation === 'backfill')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ fraction: 1, count: 213, message: 'done' });
  });

  it('fetches nearby gaps in one request and leaves the stored candles between them as they are', async () => {
    // 100 one-minute holes in 700 minutes, and one stored candle corrected by hand (an import's $set) in between.
    const span = eth.slice(7000, 7700);
    const holes = span.filter((_, i) => i % 7 === 3);
    for (const c of holes) await store.deleteRange({ ...key, from: c.timestamp, to: c.timestamp + M });
    const corrected = { ...span[1]!, close: span[1]!.close * 1.01, high: Math.max(span[1]!.high, span[1]!.close * 1.01) };
    await store.bulkUpsert(key, [corrected]);
    const requestsBefore = fake.klinesRequests.length;

    const outcome = await part.backfill({ ...key, from: span[0]!.timestamp, to: span[span.length - 1]!.timestamp + M });
    expect(outcome).toMatchObject({ gaps: 100, missingBefore: 100, fetched: 100, inserted: 100, missingAfter: 0, failures: [] });
    expect(fake.klinesRequests.length - requestsBefore).toBe(1);
    expect(await store.range({ ...key, from: span[0]!.timestamp, to: span[span.length - 1]!.timestamp + M })).toEqual(span.map((c, i) => (i === 1 ? corrected : c)));
    await store.bulkUpsert(key, [span[1]!]);
  });

  it('names the gap and the exchange error when a gap cannot be fetched', async () => {
    const from = Date.UTC(2018, 0, 21);
    const outcome = await part.backfill({ exchangeName: 'binance', symbol: 'NOPE/BTC', interval: '1m', from, to: from + 60 * M });
    expect(outcome.gaps).toBe(1);
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ from, to: from + 60 * M, missing: 60 });
    expect(outcome.failures[0]!.message).toMatch(/NOPE\/BTC/);
    expect(outcome.missingAfter).toBe(60);
  });

  it('refuses an exchange ccxt does not know, naming the field', async () => {
    const error = await failure(part.backfill({ exchangeName: 'no-such-exchange', symbol: 'ETH/BTC', interval: '1m' }));
    expect(error.code).toBe('invalid_payload');
    expect(error.issues?.[0]?.path).toBe('exchangeName');
  });
});

describe('candles.derived', () => {
  it('builds 15m bars from stored 1m candles, aligned to :00/:15/:30/:45, equal to folding the minutes by hand', async () => {
    const from = first; // 04:53, not on a 15m boundary: the range widens to whole bars
    const to = first + 3000 * M;
    const derived = await part.derived({ ...key, interval: '15m', from, to, maxPoints: 2000 });
    expect(derived.source).toBe('1m');
    expect(derived.aggregated).toBe(false);
    expect(derived.bucketMs).toBe(15 * M);
    expect(derived.expected).toBe(15);
    expect(derived.from % (15 * M)).toBe(0);
    expect(derived.from).toBeLessThanOrEqual(from);
    expect(derived.to % (15 * M)).toBe(0);
    expect(derived.candles.every((c) => c.timestamp % (15 * M) === 0)).toBe(true);
    const reference = bruteForceBuckets(eth as Candle[], derived.from, derived.to, 0, 15 * M);
    expectSameBuckets(derived.candles, reference);
    // The series starts at 04:53: its first bar (04:45) holds 7 minutes, and says so.
    expect(derived.candles[0]).toMatchObject({ timestamp: Math.floor(first / (15 * M)) * 15 * M, count: 7 });
    expect(derived.partial).toBe(derived.candles.filter((c) => c.count < 15).length);
    expect(derived.partial).toBeGreaterThanOrEqual(1);
  });

  it('aggregates further when the range needs more than maxPoints bars, and refuses a source that does not divide', async () => {
    const wide = await part.derived({ ...key, interval: '5m', from: first, to: end, maxPoints: 100 });
    expect(wide.aggregated).toBe(true);
    expect(wide.candles.length).toBeLessThanOrEqual(100);
    expect(wide.bucketMs % (5 * M)).toBe(0);
    const bad = await failure(part.derived({ ...key, interval: '5m', source: '3m', from: first, to: end, maxPoints: 100 }));
    expect(bad.issues?.[0]?.path).toBe('source');
    const none = await failure(part.derived({ ...key, symbol: 'NONE/BTC', interval: '1h', from: first, to: end, maxPoints: 100 }));
    expect(none.code).toBe('not_found');
  });

  it('picks the finest stored source that divides the interval', async () => {
    const derived = await part.derived({ ...key, interval: '1h', from: first, to: end, maxPoints: 2000 });
    expect(derived.source).toBe('1m');
    expect(readdirSync(dir)).toContain('chart-cache');
  });
});
