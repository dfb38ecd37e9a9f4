import type { EquityPoint, RunDetail, RunRequest, RunStats, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { computeStats, equityOfTrades, mergeTrades, statsOfTrades, type TradeTable } from './statistics';
import { rowCount, rowsOf, type SymbolResult } from './symbol-result';

/**
 * A backtest's result from its symbols' results (symbol-result.ts), on the main thread: the
 * statistics from the merged trade columns, and rows parsed only when asked for (the newest ones
 * for Storage and the history when the run ends, all of them when the run is opened).
 *
 * Each symbol's result is merged in as it arrives (`add`), while the other symbols still replay
 * and this thread would otherwise wait: the trade columns and the run-wide creation order grow
 * by a two-way merge per symbol, so the run's end merges only the last symbol and computes the
 * statistics, instead of merging every symbol at once after the last worker is done.
 */
export class BacktestOutcome {
  private readonly results: SymbolResult[] = [];
  private trades: TradeTable = mergeTrades([]);
  private openTrades = 0;
  /** Run-wide creation order: result index and row index of each row. */
  private orderSymbol: Uint16Array = new Uint16Array(0);
  private orderRow: Uint32Array = new Uint32Array(0);
  private computed?: { stats: RunStats; statsBySymbol: Record<string, RunStats> };

  constructor(
    private readonly request: RunRequest,
    /** Symbols without a result (a stopped run) are left out; any order. */
    results: readonly SymbolResult[] = [],
  ) {
    for (const r of results) this.add(r);
  }

  /** Merges in one more symbol's result (each symbol once). */
  add(result: SymbolResult): void {
    const k = this.results.push(result) - 1;
    this.trades = this.trades.length === 0 ? result.trades : mergeTrades([this.trades, result.trades]);
    this.openTrades += result.openTrades;
    [this.orderSymbol, this.orderRow] = withRowsOf(this.results, k, this.orderSymbol, this.orderRow);
    this.computed = undefined;
  }

  get stats(): RunStats {
    return this.summary().stats;
  }

  get statsBySymbol(): Record<string, RunStats> {
    return this.summary().statsBySymbol;
  }

  private summary(): { stats: RunStats; statsBySymbol: Record<string, RunStats> } {
    if (!this.computed) {
      const account = this.request.account;
      const bySymbol = new Map(this.results.map((r) => [r.symbol, r.stats]));
      const statsBySymbol: Record<string, RunStats> = {};
      // A stopped or failed run: the symbols that did not finish have no trades to count.
      for (const symbol of this.request.symbols) statsBySymbol[symbol] = bySymbol.get(symbol) ?? computeStats([], account);
      this.computed = { stats: statsOfTrades(this.trades, this.openTrades, account), statsBySymbol };
    }
    return this.computed;
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
    const from = this.results.map(rowCount);
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
    const bySymbol = new Map(this.results.map((r) => [r.symbol, r]));
    return this.request.symbols.flatMap((symbol) => {
      const r = bySymbol.get(symbol);
      return r && rowCount(r) > 0 ? rowsOf(r, rowCount(r) - 1) : [];
    });
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

/**
 * The creation order of the rows so far with result `k`'s rows merged in: creation time, then
 * symbol (as run-detail's `byCreation`); a symbol's own rows keep their order.
 */
function withRowsOf(results: readonly SymbolResult[], k: number, symbols: Uint16Array, rows: Uint32Array): [Uint16Array, Uint32Array] {
  const r = results[k]!;
  const n = r.createdAt.length;
  const total = symbols.length + n;
  const outSymbols = new Uint16Array(total);
  const outRows = new Uint32Array(total);
  let i = 0;
  let j = 0;
  for (let o = 0; o < total; o++) {
    let takeNew = i >= symbols.length;
    if (!takeNew && j < n) {
      const a = results[symbols[i]!]!;
      const d = r.createdAt[j]! - a.createdAt[rows[i]!]!;
      takeNew = d < 0 || (d === 0 && r.symbol < a.symbol);
    }
    if (takeNew) {
      outSymbols[o] = k;
      outRows[o] = j++;
    } else {
      outSymbols[o] = symbols[i]!;
      outRows[o] = rows[i++]!;
    }
  }
  return [outSymbols, outRows];
}
