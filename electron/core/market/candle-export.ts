import type { Candle, CandleKey } from '../../../shared/candles';
import type { CandleStore } from './candle-store';

export type CandleExportFormat = 'csv' | 'json';

/** Candles per chunk: about 0.6 MB of CSV, well under a WebSocket message and quick to write. */
export const EXPORT_CHUNK_ROWS = 10_000;

export interface CandleExportRange extends CandleKey {
  /** Inclusive, ms; the whole series when absent. */
  from?: number;
  /** Exclusive, ms. */
  to?: number;
}

export interface ExportChunk {
  text: string;
  rows: number;
  /** Pass back as `after` for the next chunk; undefined once the file is complete. */
  next?: number;
}

/** The header our importer recognises, so an exported file imports back unchanged. */
export const CSV_HEADER = 'timestamp,open,high,low,close,volume';

// String(n) is JavaScript's shortest text that parses back to the same double: nothing is rounded.
const csvLine = (c: Candle): string => `${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume}`;
const jsonRow = (c: Candle): string => `[${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume}]`;

export const EXPORT_MEDIA_TYPES: Record<CandleExportFormat, string> = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' };

/** `binance_ETH-BTC_1m_2018-01-20_2018-01-30.csv`: the series and the range, safe on every file system. */
export function exportFileName(range: CandleExportRange, format: CandleExportFormat): string {
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(':', '').replace('T', '-');
  const parts = [range.exchangeName, range.symbol, range.interval];
  if (range.from !== undefined) parts.push(day(range.from));
  if (range.to !== undefined) parts.push(day(range.to));
  return `${parts.join('_').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 180)}.${format}`;
}

/**
 * One piece of an export, oldest candles first: CSV with our import header (ccxt's
 * `[timestamp, open, high, low, close, volume]` rows for JSON), read by keyset pages so a series
 * of any length is written in constant memory. The chunks concatenated are the whole file; the
 * first carries the header (or `[`), the last the closing `]`.
 */
export async function exportChunk(
  store: CandleStore,
  range: CandleExportRange,
  format: CandleExportFormat,
  after?: number,
  rows = EXPORT_CHUNK_ROWS,
): Promise<ExportChunk> {
  const { exchangeName, symbol, interval, from, to } = range;
  const page = await store.page({ exchangeName, symbol, interval, from, to, after, limit: rows, direction: 1 });
  const first = after === undefined;
  const last = page.next === undefined;
  let text: string;
  if (format === 'csv') {
    text = (first ? `${CSV_HEADER}\n` : '') + page.items.map((c) => `${csvLine(c)}\n`).join('');
  } else {
    const body = page.items.map(jsonRow).join(',\n');
    text = (first ? '[\n' : body ? ',\n' : '') + body + (last ? '\n]\n' : '');
  }
  return { text, rows: page.items.length, ...(last ? {} : { next: page.next }) };
}

/** The whole export as a stream of chunks (the host's download route writes them as they come). */
export async function* exportChunks(store: CandleStore, range: CandleExportRange, format: CandleExportFormat, rows = EXPORT_CHUNK_ROWS): AsyncGenerator<ExportChunk> {
  let after: number | undefined;
  for (;;) {
    const chunk = await exportChunk(store, range, format, after, rows);
    yield chunk;
    if (chunk.next === undefined) return;
    after = chunk.next;
  }
}
