import type { RunRecord } from './run-record';
import type { CandleCache } from './candle-cache';

/** Symbols checked (and, when stale, read into the cache) at once: the checks are three small queries each. */
const CONCURRENT_SYMBOLS = 3;

/**
 * Makes sure every symbol of the run has a valid columnar cache file for its range (the workers read
 * those, never MongoDB) and records each symbol's candle count as its progress total.
 */
export async function candleFilesFor(cache: CandleCache, record: RunRecord): Promise<Record<string, string>> {
  const r = record.request;
  const files: Record<string, string> = {};
  const lengths: Record<string, number> = {};
  const pending = [...r.symbols];
  const next = async (): Promise<void> => {
    for (let symbol = pending.shift(); symbol !== undefined; symbol = pending.shift()) {
      const series = await cache.ensure({ exchangeName: r.exchangeName, symbol, interval: r.interval }, r.from!, r.to!);
      if (series.length === 0) {
        throw new Error(`no stored ${r.interval} candles for ${r.exchangeName} ${symbol} in ${new Date(r.from!).toISOString()} .. ${new Date(r.to!).toISOString()}; import or download them first`);
      }
      files[symbol] = series.file;
      lengths[symbol] = series.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_SYMBOLS, pending.length) }, next));
  // In the request's order, once all are known (progress totals are summed in map order).
  for (const symbol of r.symbols) record.progress.set(symbol, { processed: 0, total: lengths[symbol]! });
  return files;
}
