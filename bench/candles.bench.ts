import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Candle, CandleKey } from '../shared/candles';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { importCandleFile } from '../electron/core/market/candle-importer';
import { downsample } from '../electron/core/market/candle-history';
import { CandleStore } from '../electron/core/market/candle-store';
import { peakRssTracker, type Benchmark, type BenchResult } from './harness';

const M = 60_000;
const START = Date.UTC(2020, 0, 1);

/** A deterministic random walk of valid, aligned 1m candles (mulberry32, so runs are comparable). */
function* syntheticCandles(count: number, start = START, seed = 42): Generator<Candle> {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

const benchmark: Benchmark = async (ctx) => {
  const manager = new ConnectionManager({ uri: ctx.databaseUri('candles') });
  await manager.connect();
  const store = new CandleStore(manager.connection);
  await store.ensureIndexes();
  const results: BenchResult[] = [];
  const key = (symbol: string): CandleKey => ({ exchangeName: 'bench', symbol, interval: '1m' });
  try {
    // 1. Streaming CSV import at two sizes: rows/s, and peak RSS that should not grow with the file.
    const sizes = [250_000, 1_000_000];
    const imports: Array<{ rows: number; rowsPerS: number; peakMb: number }> = [];
    for (const rows of sizes) {
      const file = join(ctx.workDir, `klines-${rows}.csv`);
      await writeBinanceCsv(file, rows);
      gc();
      const rss = peakRssTracker();
      const started = performance.now();
      const report = await importCandleFile(store, { file, key: { ...key(`CSV${rows}/BTC`) }, format: 'binance-csv' });
      const seconds = (performance.now() - started) / 1000;
      const peakMb = rss.stop();
      if (!report.ok || report.inserted !== rows) throw new Error(`import of ${rows} rows failed: ${JSON.stringify(report.issues.slice(0, 3))}`);
      imports.push({ rows, rowsPerS: rows / seconds, peakMb });
      ctx.log(`import ${rows} rows: ${seconds.toFixed(1)} s, ${Math.round(rows / seconds)} rows/s, peak RSS ${peakMb.toFixed(0)} MB`);
    }
    const [small, large] = imports as [(typeof imports)[0], (typeof imports)[0]];
    results.push(
      { name: 'candles.import.csv_rows_per_s', value: Math.round(large.rowsPerS), unit: 'rows/s', note: '1,000,000-row Binance CSV, strict (validate pass + store pass), upserts included' },
      { name: 'candles.import.peak_rss_mb', value: round(large.peakMb), unit: 'MB', note: 'process peak RSS while importing 1,000,000 rows' },
      { name: 'candles.import.peak_rss_mb_250k', value: round(small.peakMb), unit: 'MB', note: 'same, 250,000 rows: flat memory means about the same as 1M' },
    );

    // 2. Downsampling the 1,000,000 stored 1m candles to 2,000 buckets (one $group in the database).
    const downsampleKey = key(`CSV${sizes[1]}/BTC`);
    await downsample(store, { ...downsampleKey, maxPoints: 2000 }); // warm-up
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const series = await downsample(store, { ...downsampleKey, maxPoints: 2000 });
      timings.push(performance.now() - started);
      if (series.candles.length > 2000 || series.candles.reduce((n, b) => n + b.count, 0) !== 1_000_000) throw new Error('downsample lost candles');
    }
    const median = timings.sort((a, b) => a - b)[1]!;
    results.push({ name: 'candles.downsample.ms', value: Math.round(median), unit: 'ms', note: '1,000,000 stored 1m candles to ≤2,000 OHLCV buckets, median of 3' });
    ctx.log(`downsample 1M → 2000: ${timings.map((t) => Math.round(t)).join(', ')} ms`);

    // 3. Bulk upsert against one findOneAndUpdate per candle (the source system's pattern), same server, same run.
    const bulkCount = 100_000;
    const singleCount = 3_000;
    const bulkCandles = [...syntheticCandles(bulkCount, START, 7)];
    let started = performance.now();
    const bulk = await store.bulkUpsert(key('BULK/BTC'), bulkCandles);
    const bulkPerS = bulkCount / ((performance.now() - started) / 1000);
    if (bulk.inserted !== bulkCount) throw new Error(`bulk upsert inserted ${bulk.inserted}`);
    started = performance.now();
    for (const candle of syntheticCandles(singleCount, START, 7)) await store.upsertCandle(key('SINGLE/BTC'), candle);
    const singlePerS = singleCount / ((performance.now() - started) / 1000);
    ctx.log(`bulk ${Math.round(bulkPerS)}/s, single findOneAndUpdate ${Math.round(singlePerS)}/s`);
    results.push(
      { name: 'candles.ingest.bulk_per_s', value: Math.round(bulkPerS), unit: 'candles/s', note: `${bulkCount} new candles, bulkWrite of unordered upserts in batches of 1000` },
      { name: 'candles.ingest.single_per_s', value: Math.round(singlePerS), unit: 'candles/s', note: `${singleCount} new candles, one findOneAndUpdate(upsert) each` },
      { name: 'candles.ingest.bulk_vs_single', value: round(bulkPerS / singlePerS), unit: 'x', note: 'target ≥ 10' },
    );

    // 4. Importing the same 100,000 candles again must add nothing (idempotent upserts).
    const file = join(ctx.workDir, 'reingest.csv');
    const out = createWriteStream(file);
    for (const c of bulkCandles) out.write(`${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume},${c.timestamp + M - 1},0,0,0,0,0\n`);
    out.end();
    await once(out, 'finish');
    const before = await store.countRange(key('BULK/BTC'));
    const again = await importCandleFile(store, { file, key: key('BULK/BTC') });
    const after = await store.countRange(key('BULK/BTC'));
    if (!again.ok) throw new Error('re-import failed');
    results.push({ name: 'candles.reingest.new_docs', value: after - before, unit: 'docs', note: `re-import of the same ${bulkCount} candles (report says ${again.inserted} inserted); must be 0` });
  } finally {
    await manager.connection.dropDatabase().catch(() => undefined);
    await manager.close();
  }
  return results;
};

export default benchmark;
