import type { RunRecord } from './run-record';
import type { CandleCache } from './candle-cache';

/**
 * Makes sure every symbol of the run has a valid columnar cache file for its range (the workers read
 * those, never MongoDB) and records each symbol's candle count as its progress total.
 */
export async function candleFilesFor(cache: CandleCache, record: RunRecord): Promise<Record<string, string>> {
  const r = record.request;
  const files: Record<string, string> = {};
  for (const symbol of r.symbols) {
    const series = await cache.ensure({ exchangeName: r.exchangeName, symbol, interval: r.interval }, r.from!, r.to!);
    if (series.length === 0) {
      throw new Error(`no stored ${r.interval} candles for ${r.exchangeName} ${symbol} in ${new Date(r.from!).toISOString()} .. ${new Date(r.to!).toISOString()}; import or download them first`);
    }
    files[symbol] = series.file;
    record.progress.set(symbol, { processed: 0, total: series.length });
  }
  return files;
}
