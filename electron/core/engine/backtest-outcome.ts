import type { EquityPoint, RunDetail, RunRequest, RunStats, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { computeStats, equityOfTrades, mergeTrades, statsOfTrades, type TradeTable } from './statistics';
import { rowsOf, type SymbolResult } from './symbol-result';

/**
 * A backtest's result from its symbols' results (symbol-result.ts), on the main thread: the
 * statistics from the merged trade columns, and rows parsed only when asked for (the newest ones
 * for Storage and the history when the run ends, all of them when the run is opened).
 */
export class BacktestOutcome {
  readonly stats: RunStats;
  readonly statsBySymbol: Record<string, RunStats>;
  private readonly trades: TradeTable;
  private readonly results: SymbolResult[];
  /** Run-wide creation order: result index and row index of each row. */
  private readonly orderSymbol: Uint16Array;
  private readonly orderRow: Uint32Array;

  constructor(
    private readonly request: RunRequest,
    /** In the request's symbol order; symbols without a result (a stopped run) are left out. */
    results: readonly SymbolResult[],
  ) {
    this.results = [...results];
    this.trades = mergeTrades(this.results.map((r) => r.trades));
    this.stats = statsOfTrades(this.trades, this.results.reduce((n, r) => n + r.openTrades, 0), request.account);
    this.statsBySymbol = {};
    for (const r of this.results) this.statsBySymbol[r.symbol] = r.stats;
    // A stopped or failed run: the symbols that did not finish have no trades to count.
    for (const symbol of request.symbols) this.statsBySymbol[symbol] ??= computeStats([], request.account);
    [this.orderSymbol, this.orderRow] = creationOrder(this.results);
  }

  get symbolCount(): number {
    return this.results.length;
  }

  get rowCount(): number {
    return this.orderRow.length;
  }

  /** The newest `count` rows, in creation order (each symbol's share is a contiguous tail of its rows). */
  newestRows(count: number): SignalRow[] {
    return this.rowsInOrder(Math.max(0, this.rowCount - count), this.rowCount);
  }

  /**
   * Rows [first, end) of the run's creation order, parsed: only those, so a caller can go through
   * a big run a page at a time (each symbol's share of a page is a contiguous run of its rows).
   */
  rowsInOrder(first: number, end: number): SignalRow[] {
    end = Math.min(end, this.rowCount);
    if (end <= first) return [];
    const from = this.results.map((r) => r.rowEnds.length);
    const to = this.results.map(() => 0);
    for (let i = first; i < end; i++) {
      const k = this.orderSymbol[i]!;
      from[k] = Math.min(from[k]!, this.orderRow[i]!);
      to[k] = Math.max(to[k]!, this.orderRow[i]! + 1);
    }
    const parsed = this.results.map((r, k) => rowsOf(r, from[k]!, to[k]!));
    const out: SignalRow[] = new Array(end - first);
    for (let i = first; i < end; i++) {
      const k = this.orderSymbol[i]!;
      out[i - first] = parsed[k]![this.orderRow[i]! - from[k]!]!;
    }
    return out;
  }

  /** Each symbol's last row (for Recent). */
  latestRows(): SignalRow[] {
    return this.results.filter((r) => r.rowEnds.length > 0).map((r) => rowsOf(r, r.rowEnds.length - 1)[0]!);
  }

  equity(start: number): EquityPoint[] {
    return equityOfTrades(this.trades, start, this.request.account);
  }

  /** The run's detail with every row (parsed now: call it when the run is opened, not per event). */
  detail(summary: RunSummary): RunDetail & { stats: RunStats } {
    return {
      ...summary,
      stats: this.stats,
      request: this.request,
      signals: this.newestRows(this.rowCount),
      equity: this.equity(this.request.from ?? summary.startedAt ?? summary.createdAt),
      statsBySymbol: { ...this.statsBySymbol },
    };
  }
}

/** Merges the symbols' creation orders: creation time, then symbol (as run-detail's `byCreation`). */
function creationOrder(results: readonly SymbolResult[]): [Uint16Array, Uint32Array] {
  const total = results.reduce((n, r) => n + r.createdAt.length, 0);
  const symbols = new Uint16Array(total);
  const rows = new Uint32Array(total);
  const at = new Array<number>(results.length).fill(0);
  for (let i = 0; i < total; i++) {
    let best = -1;
    for (let k = 0; k < results.length; k++) {
      const r = results[k]!;
      if (at[k]! >= r.createdAt.length) continue;
      if (best < 0) {
        best = k;
        continue;
      }
      const b = results[best]!;
      const d = r.createdAt[at[k]!]! - b.createdAt[at[best]!]!;
      if (d < 0 || (d === 0 && r.symbol < b.symbol)) best = k;
    }
    symbols[i] = best;
    rows[i] = at[best]!++;
  }
  return [symbols, rows];
}
