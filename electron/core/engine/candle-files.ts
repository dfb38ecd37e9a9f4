import type { RunRecord } from './run-record';
import type { CandleCache } from './candle-cache';

/** Symbols checked (and, when stale, read into the cache) at once: the checks are three small queries each. */
const CONCURRENT_SYMBOLS = 3;

/**
 * Starts making sure every symbol of the run has a valid columnar cache file for its range (the
 * workers read those, never MongoDB), in the request's order, a few symbols at a time, and records
 * each symbol's candle count as its progress total once known. Returns each symbol's file as it
 * becomes ready, so a backtest's first workers start while the later symbols are still checked.
 * A symbol without stored candles rejects its own promise, naming it; a promise nobody awaits (the
 * run failed before reaching it) is not an unhandled rejection.
 */
export function candleFilesAsReady(cache: CandleCache, record: RunRecord): Map<string, Promise<string>> {
  const r = record.request;
  // Every symbol's entry exists from the start, in the request's order (totals fill in as known).
  for (const symbol of r.symbols) record.progress.set(symbol, { processed: 0, total: 0 });
  const starts = new Map<string, () => void>();
  const files = new Map<string, Promise<string>>();
  for (const symbol of r.symbols) {
    const file = new Promise<void>((resolve) => starts.set(symbol, resolve)).then(async () => {
      const series = await cache.ensure({ exchangeName: r.exchangeName, symbol, interval: r.interval }, r.from!, r.to!);
      if (series.length === 0) {
        throw new Error(`no stored ${r.interval} candles for ${r.exchangeName} ${symbol} in ${new Date(r.from!).toISOString()} .. ${new Date(r.to!).toISOString()}; import or download them first`);
      }
      record.progress.set(symbol, { processed: 0, total: series.length });
      return series.file;
    });
    file.catch(() => undefined);
    files.set(symbol, file);
  }
  // A few checks at a time, each starting the next when it settles.
  const order = [...r.symbols];
  const startNext = (): void => {
    const symbol = order.shift();
    if (symbol === undefined) return;
    starts.get(symbol)!();
    void files.get(symbol)!.finally(startNext).catch(() => undefined);
  };
  for (let k = 0; k < CONCURRENT_SYMBOLS; k++) startNext();
  return files;
}

/** Every symbol's cache file (a paper replay needs them all before it starts). */
export async function candleFilesFor(cache: CandleCache, record: RunRecord): Promise<Record<string, string>> {
  const files = candleFilesAsReady(cache, record);
  const out: Record<string, string> = {};
  for (const [symbol, file] of files) out[symbol] = await file;
  return out;
}
