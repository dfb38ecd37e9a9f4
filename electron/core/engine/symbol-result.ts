import type { Account, RunStats, SignalRow } from '../../../shared/domain/runs';
import { createdAtOf } from './signal-lifecycle';
import { openTradesOf, statsOfTrades, tradeBuffers, tradeTableOf, type TradeTable } from './statistics';

/**
 * What one symbol of a backtest hands the main thread when its replay is over, built by its worker.
 * Nothing in it is an object per row: the rows are UTF-8 JSON in one transferable buffer (moved,
 * not copied, between threads) and are parsed on the main thread only where they are needed (the
 * newest ones for Storage and the history, all of them when someone opens the run), the closed
 * trades are typed columns the run's statistics are merged from. So the main thread's work per run
 * follows what it stores, not how many signals or candles the replay went through.
 */
export interface SymbolResult {
  symbol: string;
  /** This symbol's statistics, computed by its worker. */
  stats: RunStats;
  /** Rows with status `opened` at the end (not in `trades`). */
  openTrades: number;
  /** Rows in creation order, as JSON texts joined by `,`. */
  rows: Uint8Array;
  /** End offset in `rows` of each row (row i starts after row i−1's end and its comma). */
  rowEnds: Uint32Array;
  /** Creation time of each row: with the symbol, the run-wide order of rows. */
  createdAt: Float64Array;
  /** Closed trades in statistics order. */
  trades: TradeTable;
}

/** Creation time (one symbol: the sort is stable, so equal times keep the order they were reported in). */
function byCreation(a: SignalRow, b: SignalRow): number {
  return createdAtOf(a) - createdAtOf(b);
}

/** In the worker: one symbol's rows packed, with the buffers to transfer. */
export function packSymbolResult(symbol: string, rows: readonly SignalRow[], account?: Partial<Account>): { result: SymbolResult; transfer: ArrayBuffer[] } {
  const ordered = [...rows].sort(byCreation);
  const texts = ordered.map((row) => JSON.stringify(row));
  const rowEnds = new Uint32Array(texts.length);
  let end = -1;
  texts.forEach((text, i) => {
    end += 1 + Buffer.byteLength(text);
    rowEnds[i] = end;
  });
  // Encoded straight into the buffer that is transferred: no joined string or pooled Buffer as
  // well, which would stay behind as this worker's garbage after every symbol.
  const packed = new Uint8Array(Math.max(0, end));
  let at = 0;
  texts.forEach((text, i) => {
    if (i > 0) packed[at++] = 0x2c; // ','
    at += encoder.encodeInto(text, packed.subarray(at)).written;
  });
  const createdAt = Float64Array.from(ordered, createdAtOf);
  const trades = tradeTableOf(ordered);
  const openTrades = openTradesOf(ordered);
  const result: SymbolResult = { symbol, stats: statsOfTrades(trades, openTrades, account), openTrades, rows: packed, rowEnds, createdAt, trades };
  return { result, transfer: [packed.buffer, rowEnds.buffer, createdAt.buffer, ...tradeBuffers(trades)] };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Rows [from, to) of a symbol's result (creation order), parsed. */
export function rowsOf(r: SymbolResult, from = 0, to = r.rowEnds.length): SignalRow[] {
  if (to <= from) return [];
  const start = from === 0 ? 0 : r.rowEnds[from - 1]! + 1;
  return JSON.parse(`[${decoder.decode(r.rows.subarray(start, r.rowEnds[to - 1]!))}]`) as SignalRow[];
}

export function rowCount(r: SymbolResult): number {
  return r.rowEnds.length;
}
