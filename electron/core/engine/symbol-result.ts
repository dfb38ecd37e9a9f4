import type { Account, RunStats, SignalRow } from '../../../shared/domain/runs';
import { packRows, unpackRows, type PackedRows } from './row-columns';
import { createdAtOf } from './signal-lifecycle';
import { openTradesOf, statsOfTrades, tradeBuffers, tradeTableOf, type TradeTable } from './statistics';

/**
 * What one symbol of a backtest hands the main thread when its replay is over, built by its worker.
 * Nothing in it is an object per row: the rows are typed columns (row-columns.ts) in transferable
 * buffers (moved, not copied, between threads) and are decoded on the main thread only where they
 * are needed (the newest ones for Storage and the history, all of them when someone opens the
 * run), the closed trades are typed columns the run's statistics are merged from. So the main
 * thread's work per run follows what it stores, not how many signals or candles the replay went
 * through.
 */
export interface SymbolResult {
  symbol: string;
  /** This symbol's statistics, computed by its worker. */
  stats: RunStats;
  /** Rows with status `opened` at the end (not in `trades`). */
  openTrades: number;
  /** Rows in creation order. */
  rows: PackedRows;
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
  const { packed, transfer } = packRows(ordered);
  const createdAt = Float64Array.from(ordered, createdAtOf);
  const trades = tradeTableOf(ordered);
  const openTrades = openTradesOf(ordered);
  const result: SymbolResult = { symbol, stats: statsOfTrades(trades, openTrades, account), openTrades, rows: packed, createdAt, trades };
  return { result, transfer: [...transfer, createdAt.buffer, ...tradeBuffers(trades)] };
}

/** Rows [from, to) of a symbol's result (creation order), decoded. */
export function rowsOf(r: SymbolResult, from = 0, to = r.rows.count): SignalRow[] {
  return unpackRows(r.rows, from, to);
}

export function rowCount(r: SymbolResult): number {
  return r.rows.count;
}
