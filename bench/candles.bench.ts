import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Candle, CandleKey } from '../shared/candles';
import { mulberry32 } from './random';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { importCandleFile } from '../electron/core/market/candle-importer';
import { downsample } from '../electron/core/market/candle-history';
import { CandleStore } from '../electron/core/market/candle-store';
import { peakRssTracker, type Benchmark, type BenchContext, type BenchResult } from './harness';

const M = 60_000;
const START = Date.UTC(2020, 0, 1);

/** A deterministic random walk of valid, aligned 1m candles (mulberry32, so runs are comparable). */
function* syntheticCandles(count: number, start = START, seed = 42): Generator<Candle> {
  const random = mulberry32(seed);
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(0.01, open * (1 + (random() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + random() * 0.001);
    const low = Math.min(open, close) * (1 - random() * 0.001);
    price = close;
    yield { timestamp: start + i * M, open: +open.toFixed(8), high: +high.toFixed(8), low: +low.toFixed(8), close: +close.toFixed(8), volume: +(random() * 1000).toFixed(8) };
  }
}

/** A Binance kline CSV (12 columns, no header), written as a stream. */
async function writeBinanceCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  let chunk = '';
  for (const c of syntheticCandles(count)) {
    chunk += `${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume},${c.timestamp + M - 1},${(c.volume * c.close).toFixed(8)},42,0,0,0\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

async function writeRows(file: string, candles: Iterable<Candle>): Promise<void> {
  const out = createWriteStream(file);
  for (const c of candles) {
    if (!out.write(`${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume},${c.timestamp + M - 1},0,0,0,0,0\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const key = (symbol: string): CandleKey => ({ exchangeName: 'bench', symbol, interval: '1m' });

/**
 * Bulk against one findOneAndUpdate per candle, interleaved in two rounds so a change in machine
 * load hits both sides alike. Runs first, on an empty collection.
 */
async function ingestComparison(store: CandleStore, ctx: BenchContext): Promise<BenchResult[]> {
  const bulkCount = 100_000;
  const singleCount = 3_000;
  const time = { single: 0, bulkUpsert: 0, insertOrUpsert: 0 };
  const all = [...syntheticCandles(bulkCount, START, 7)];
  for (let round = 0; round < 2; round++) {
    let started = performance.now();
    for (const candle of all.slice((round * singleCount) / 2, ((round + 1) * singleCount) / 2)) await store.upsertCandle(key('SINGLE/BTC'), candle);
    time.single += performance.now() - started;

    const candles = all.slice((round * bulkCount) / 2, ((round + 1) * bulkCount) / 2);
    started = performance.now();
    const upserted = await store.bulkUpsert(key('BULKUPSERT/BTC'), candles);
    time.bulkUpsert += performance.now() - started;

    started = performance.now();
    const inserted = await store.insertOrUpsert(key('BULK/BTC'), candles);
    time.insertOrUpsert += performance.now() - started;
    if (upserted.inserted !== candles.length || inserted.inserted !== candles.length) throw new Error('bulk ingest lost candles');
  }
  const perS = (count: number, ms: number): number => count / (ms / 1000);
  const single = perS(singleCount, time.single);
  const bulk = perS(bulkCount, time.insertOrUpsert);
  const bulkUpsert = perS(bulkCount, time.bulkUpsert);
  ctx.log(`single findOneAndUpdate ${Math.round(single)}/s, bulkWrite upserts ${Math.round(bulkUpsert)}/s, insert-then-upsert ${Math.round(bulk)}/s`);
  return [
    { name: 'candles.ingest.bulk_per_s', value: Math.round(bulk), unit: 'candles/s', note: `${bulkCount} new candles through the import/download write path: unordered insertMany, upsert of the ones already stored` },
    { name: 'candles.ingest.bulk_upsert_per_s', value: Math.round(bulkUpsert), unit: 'candles/s', note: `${bulkCount} new candles, CandleDbService.bulkUpsert (unordered bulkWrite upserts, batches of 1000)` },
    { name: 'candles.ingest.single_per_s', value: Math.round(single), unit: 'candles/s', note: `${singleCount} new candles, one findOneAndUpdate(upsert) each (the source system's pattern)` },
    { name: 'candles.ingest.bulk_vs_single', value: round(bulk / single), unit: 'x', note: 'ingest path vs one findOneAndUpdate per candle; target ≥ 10' },
    { name: 'candles.ingest.bulk_upsert_vs_single', value: round(bulkUpsert / single), unit: 'x', note: 'bulkWrite upserts vs one findOneAndUpdate per candle' },
  ];
}

/** Importing the same 100,000 candles again must add nothing (idempotent upserts). */
async function reingest(store: CandleStore, ctx: BenchContext): Promise<BenchResult[]> {
  const file = join(ctx.workDir, 'reingest.csv');
  await writeRows(file, syntheticCandles(100_000, START, 7));
  const target = key('BULK/BTC'); // stored by ingestComparison: the same 100,000 candles
  const before = await store.countRange(target);
  const again = await importCandleFile(store, { file, key: target });
  const after = await store.countRange(target);
  if (!again.ok || before !== 100_000) throw new Error(`re-import setup wrong: ok=${again.ok}, before=${before}`);
  return [{ name: 'candles.reingest.new_docs', value: after - before, unit: 'docs', note: `re-import of the same 100,000 candles (report: ${again.inserted} inserted, ${again.existing} already stored); must be 0` }];
}

/** Streaming CSV import at two sizes: rows/s, and a peak RSS that should not grow with the file. */
async function csvImports(store: CandleStore, ctx: BenchContext): Promise<BenchResult[]> {
  const imports: Array<{ rows: number; rowsPerS: number; peakMb: number }> = [];
  for (const rows of [250_000, 1_000_000]) {
    const file = join(ctx.workDir, `klines-${rows}.csv`);
    await writeBinanceCsv(file, rows);
    gc();
    const rss = peakRssTracker();
    const started = performance.now();
    const report = await importCandleFile(store, { file, key: key(`CSV${rows}/BTC`), format: 'binance-csv' });
    const seconds = (performance.now() - started) / 1000;
    const peakMb = rss.stop();
    if (!report.ok || report.inserted !== rows) throw new Error(`import of ${rows} rows failed: ${JSON.stringify(report.issues.slice(0, 3))}`);
    imports.push({ rows, rowsPerS: rows / seconds, peakMb });
    ctx.log(`import ${rows} rows: ${seconds.toFixed(1)} s, ${Math.round(rows / seconds)} rows/s, peak RSS ${peakMb.toFixed(0)} MB`);
  }
  const [small, large] = imports as [(typeof imports)[0], (typeof imports)[0]];
  return [
    { name: 'candles.import.csv_rows_per_s', value: Math.round(large.rowsPerS), unit: 'rows/s', note: '1,000,000-row Binance CSV, strict (validate pass + store pass), writes included' },
    { name: 'candles.import.peak_rss_mb', value: round(large.peakMb), unit: 'MB', note: 'process peak RSS while importing 1,000,000 rows' },
    { name: 'candles.import.peak_rss_mb_250k', value: round(small.peakMb), unit: 'MB', note: 'same for 250,000 rows: flat memory means about the same as for 1M' },
  ];
}

/** Downsampling the 1,000,000 stored 1m candles to 2,000 buckets (one $group in the database). */
async function downsampling(store: CandleStore, ctx: BenchContext): Promise<BenchResult[]> {
  const timings: number[] = [];
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    const series = await downsample(store, { ...key('CSV1000000/BTC'), maxPoints: 2000 });
    timings.push(performance.now() - started);
    if (series.candles.length > 2000 || series.candles.reduce((n, b) => n + b.count, 0) !== 1_000_000) throw new Error('downsample lost candles');
  }
  ctx.log(`downsample 1M → 2000: ${timings.map((t) => Math.round(t)).join(', ')} ms`);
  return [{ name: 'candles.downsample.ms', value: Math.round(Math.min(...timings)), unit: 'ms', note: '1,000,000 stored 1m candles to ≤2,000 OHLCV buckets in one aggregation, best of 2' }];
}

const benchmark: Benchmark = async (ctx) => {
  const manager = new ConnectionManager({ uri: ctx.databaseUri('candles') });
  await manager.connect();
  const store = new CandleStore(manager.connection);
  await store.ensureIndexes();
  try {
    return [
      ...(await ingestComparison(store, ctx)),
      ...(await reingest(store, ctx)),
      ...(await csvImports(store, ctx)),
      ...(await downsampling(store, ctx)),
    ];
  } finally {
    await manager.connection.dropDatabase().catch(() => undefined);
    await manager.close();
  }
};

export default benchmark;
