import type { CancelReason, CloseReason, CostModel, SignalRow, SignalTransition } from '../../../shared/domain/runs';
import type { PnlExtreme } from '../../../shared/domain/signals';
import type { CandleColumns } from './columnar';
import { pnlPercent } from './pnl';
import { strategySignalSchema, type StrategySignal } from './strategy';

/**
 * The signal lifecycle of DESIGN.md §2 for one symbol of one run, driven candle by candle:
 *
 *   scheduled ─(price reaches priceOpen)→ opened → active → closed (take_profit | stop_loss | time_expired)
 *   scheduled ─(timeout | price_reject | user)→ cancelled
 *
 * Rules (all conservative, so a backtest never flatters a strategy):
 * - A signal returned at a candle's close is checked from the next candle on. A market signal opens at
 *   that close price; a scheduled one waits until a candle's range reaches `priceOpen`.
 * - Events found inside candle k are stamped with k's close time; a fill at k's open (after a gap) with
 *   k's open time. Prices between candles are never invented: a gap is a jump from one close to the
 *   next open.
 * - Stop-loss and take-profit inside one candle: the stop-loss wins (we cannot know which came first).
 * - A candle that opens beyond the stop-loss fills at its open (worse than the stop); take-profit
 *   fills at `priceTakeProfit`, never better.
 * - A scheduled signal whose stop-loss is touched before it activates is cancelled (`price_reject`),
 *   also when the same candle touches `priceOpen` (backtest-kit's order). The candle that activates a
 *   scheduled signal is not checked for take-profit.
 * - Lifetime counts wall time, not candles: if a gap jumps past `openedAt + minuteEstimatedTime`, the
 *   position closes (`time_expired`) at the first open after the gap; a scheduled signal past its
 *   timeout is cancelled there too.
 * - Peak profit and max drawdown (a closed row's `peakProfit` / `maxDrawdown`) follow backtest-kit:
 *   one mark per candle the position stays open through (its close: our one price per candle, where
 *   backtest-kit marks its VWAP), plus the exit price; the fall starts at the entry's own PnL (fees
 *   and slippage, so below 0), the peak at 0 and only a real profit (PnL > 0) raises it.
 */

export interface SignalIdentity {
  runId: string;
  symbol: string;
  strategyName: string;
  exchangeName: string;
  frameName: string;
  backtest: boolean;
}

export interface LifecycleConfig {
  costs: CostModel;
  /** Candle interval of the feed, ms. */
  intervalMs: number;
  scheduleTimeoutMs: number;
  /**
   * `final`: only `closed` and `cancelled` reach the listener (a backtest keeps each signal once,
   * when it is final), so no copy of the row is made for the steps in between. Default `every`.
   */
  reports?: 'every' | 'final';
}

export type LifecycleListener = (transition: SignalTransition, row: SignalRow) => void;

export class SignalValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignalValidationError';
  }
}

/** When the strategy emitted the signal: a scheduled one at `scheduledAt`, a market one at `openedAt`. */
export function createdAtOf(row: SignalRow): number {
  return row.scheduledAt ?? row.openedAt!;
}

/** Deterministic id: re-running or resuming a run re-creates the same ids, so writes stay idempotent upserts. */
export function signalIdFor(runId: string, symbol: string, createdAt: number): string {
  return `${runId}:${symbol}:${createdAt}`;
}

const SIGNAL_KEYS = new Set(['position', 'priceOpen', 'priceTakeProfit', 'priceStopLoss', 'minuteEstimatedTime', 'note']);
const positiveFinite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** True when `strategySignalSchema` would accept the value unchanged. */
function looksValid(v: StrategySignal): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (v.position !== 'long' && v.position !== 'short') return false;
  if (!positiveFinite(v.priceTakeProfit) || !positiveFinite(v.priceStopLoss) || !positiveFinite(v.minuteEstimatedTime)) return false;
  if (v.priceOpen !== undefined && !positiveFinite(v.priceOpen)) return false;
  if (v.note !== undefined && (typeof v.note !== 'string' || v.note.length > 2000)) return false;
  for (const key in v) if (!SIGNAL_KEYS.has(key)) return false;
  return true;
}

/** Best and worst mark of an open position, as prices (PnL is monotonic in price, so it is computed once, at the close). */
interface Excursion {
  bestPrice: number;
  bestAt: number;
  worstPrice: number;
  worstAt: number;
}

export class SignalTracker {
  /** The pending signal (scheduled or opened), if any. Only one per symbol at a time. */
  current: SignalRow | null = null;
  private announcedActive = false;
  private excursion: Excursion | null = null;
  /** Set by `restore`: the opening time of a resumed position whose earlier marks are still to be read. */
  private remarkFrom: number | undefined;

  constructor(
    private readonly identity: SignalIdentity,
    private readonly config: LifecycleConfig,
    private readonly listener: LifecycleListener,
  ) {}

  /** Puts back a pending signal read from Storage when a live run resumes. */
  restore(row: SignalRow, announcedActive: boolean): void {
    this.current = { ...row };
    this.announcedActive = announcedActive;
    // The marks before the checkpoint are not stored: the first candle after it re-reads them from the
    // feed's columns (a paper replay holds its whole range; a live feed what it fetched).
    if (row.status === 'opened') {
      this.startExcursion(row.priceOpen, row.openedAt!);
      this.remarkFrom = row.openedAt!;
    }
  }

  /** Marks the candles a restored position stayed open through before candle `k` (those from its opening on). */
  private remark(cols: CandleColumns, k: number, from: number): void {
    let i = k;
    while (i > 0 && cols.timestamp[i - 1]! >= from) i--;
    const long = this.current!.position === 'long';
    for (; i < k; i++) this.mark(long, cols.close[i]!, cols.timestamp[i]! + this.config.intervalMs);
  }

  private startExcursion(price: number, at: number): void {
    this.excursion = { bestPrice: price, bestAt: at, worstPrice: price, worstAt: at };
  }

  /**
   * Takes a strategy's signal computed at `time` (a candle's close) at `price`. Throws
   * SignalValidationError, naming the field, when the prices are inconsistent.
   */
  submit(signal: StrategySignal, time: number, price: number): SignalRow {
    if (this.current) throw new SignalValidationError(`a ${this.current.status} signal ${this.current.signalId} is still pending`);
    // The zod schema is the rule; the hand-written check only spares strategies that emit tens of
    // thousands of signals its cost, and any doubt goes to zod for the field-by-field message.
    let s = signal;
    if (!looksValid(signal)) {
      const parsed = strategySignalSchema.safeParse(signal);
      if (!parsed.success) {
        throw new SignalValidationError(parsed.error.issues.map((i) => `${i.path.join('.') || 'signal'}: ${i.message}`).join('; '));
      }
      s = parsed.data;
    }
    const long = s.position === 'long';
    // A scheduled entry the price has already reached opens at once, at the current price.
    const reached = s.priceOpen === undefined || (long ? price <= s.priceOpen : price >= s.priceOpen);
    const entry = reached ? price : s.priceOpen!;
    if (long ? !(s.priceTakeProfit > entry) : !(s.priceTakeProfit < entry)) {
      throw new SignalValidationError(
        `priceTakeProfit ${s.priceTakeProfit} must be ${long ? 'above' : 'below'} the entry price ${entry} for a ${s.position}`,
      );
    }
    if (long ? !(s.priceStopLoss < entry) : !(s.priceStopLoss > entry)) {
      throw new SignalValidationError(`priceStopLoss ${s.priceStopLoss} must be ${long ? 'below' : 'above'} the entry price ${entry} for a ${s.position}`);
    }
    const row: SignalRow = {
      signalId: signalIdFor(this.identity.runId, this.identity.symbol, time),
      runId: this.identity.runId,
      symbol: this.identity.symbol,
      strategyName: this.identity.strategyName,
      exchangeName: this.identity.exchangeName,
      frameName: this.identity.frameName,
      backtest: this.identity.backtest,
      position: s.position,
      status: reached ? 'opened' : 'scheduled',
      priceOpen: entry,
      priceTakeProfit: s.priceTakeProfit,
      priceStopLoss: s.priceStopLoss,
      minuteEstimatedTime: s.minuteEstimatedTime,
    };
    if (s.note !== undefined) row.note = s.note;
    this.current = row;
    this.announcedActive = false;
    if (reached) {
      row.openedAt = time;
      this.startExcursion(entry, time);
      this.reportStep('opened', row);
    } else {
      row.scheduledAt = time;
      this.reportStep('scheduled', row);
    }
    return row;
  }

  /** Cancels a scheduled signal on the user's request; an opened one cannot be cancelled. */
  cancel(at: number): boolean {
    if (this.current?.status !== 'scheduled') return false;
    this.finishCancelled(this.current, 'user', at);
    return true;
  }

  /** Advances the pending signal over candle `k`. */
  onCandle(cols: CandleColumns, k: number): void {
    const row = this.current;
    if (!row) return;
    if (this.remarkFrom !== undefined) {
      if (row.status === 'opened') this.remark(cols, k, this.remarkFrom);
      this.remarkFrom = undefined;
    }
    if (row.status === 'scheduled') this.scheduledCandle(row, cols, k);
    else this.openCandle(row, cols, k);
  }

  private scheduledCandle(row: SignalRow, cols: CandleColumns, k: number): void {
    const t = cols.timestamp[k]!;
    const closeTime = t + this.config.intervalMs;
    const deadline = row.scheduledAt! + this.config.scheduleTimeoutMs;
    if (t >= deadline) return this.finishCancelled(row, 'timeout', t);
    const long = row.position === 'long';
    const low = cols.low[k]!;
    const high = cols.high[k]!;
    if (long ? low <= row.priceStopLoss : high >= row.priceStopLoss) return this.finishCancelled(row, 'price_reject', closeTime);
    if (long ? low <= row.priceOpen : high >= row.priceOpen) {
      row.status = 'opened';
      row.openedAt = closeTime;
      this.announcedActive = false;
      this.startExcursion(row.priceOpen, closeTime);
      this.reportStep('opened', row);
      return;
    }
    if (closeTime >= deadline) this.finishCancelled(row, 'timeout', closeTime);
  }

  private openCandle(row: SignalRow, cols: CandleColumns, k: number): void {
    const t = cols.timestamp[k]!;
    const closeTime = t + this.config.intervalMs;
    const expiresAt = row.openedAt! + row.minuteEstimatedTime * 60_000;
    const open = cols.open[k]!;
    if (t >= expiresAt) return this.finishClosed(row, 'time_expired', open, t);
    if (!this.announcedActive) {
      this.announcedActive = true;
      this.reportStep('active', row);
    }
    const long = row.position === 'long';
    const low = cols.low[k]!;
    const high = cols.high[k]!;
    if (long ? open <= row.priceStopLoss : open >= row.priceStopLoss) return this.finishClosed(row, 'stop_loss', open, t);
    if (long ? low <= row.priceStopLoss : high >= row.priceStopLoss) return this.finishClosed(row, 'stop_loss', row.priceStopLoss, closeTime);
    if (long ? high >= row.priceTakeProfit : low <= row.priceTakeProfit) {
      return this.finishClosed(row, 'take_profit', row.priceTakeProfit, closeTime);
    }
    if (closeTime >= expiresAt) return this.finishClosed(row, 'time_expired', cols.close[k]!, closeTime);
    this.mark(long, cols.close[k]!, closeTime);
  }

  /** A candle the position stays open through: its close is the position's mark. */
  private mark(long: boolean, price: number, at: number): void {
    const x = this.excursion;
    if (!x) return;
    if (long ? price > x.bestPrice : price < x.bestPrice) {
      x.bestPrice = price;
      x.bestAt = at;
    } else if (long ? price < x.worstPrice : price > x.worstPrice) {
      x.worstPrice = price;
      x.worstAt = at;
    }
  }

  /** The row's peakProfit / maxDrawdown, the exit price counted as the last mark (as backtest-kit does). */
  private recordExcursion(row: SignalRow, priceClose: number, at: number): void {
    const x = this.excursion ?? { bestPrice: row.priceOpen, bestAt: row.openedAt!, worstPrice: row.priceOpen, worstAt: row.openedAt! };
    const point = (price: number, timestamp: number): PnlExtreme => ({ pnlPercentage: pnlPercent(row.position, row.priceOpen, price, this.config.costs), price, timestamp });
    const exit = point(priceClose, at);
    // The fall starts at the entry (its PnL is the costs, below 0); the peak at a zero snapshot.
    let fall = point(x.worstPrice, x.worstAt);
    let peak = point(x.bestPrice, x.bestAt);
    if (!(peak.pnlPercentage > 0)) peak = { pnlPercentage: 0, price: row.priceOpen, timestamp: row.openedAt! };
    if (exit.pnlPercentage < fall.pnlPercentage) fall = exit;
    if (exit.pnlPercentage > 0 && exit.pnlPercentage > peak.pnlPercentage) peak = exit;
    row.peakProfit = peak;
    row.maxDrawdown = fall;
    this.excursion = null;
  }

  /** A step before the final one: reported (as a copy) unless the listener wants final rows only. */
  private reportStep(transition: 'scheduled' | 'opened' | 'active', row: SignalRow): void {
    if (this.config.reports !== 'final') this.listener(transition, { ...row });
  }

  private finishClosed(row: SignalRow, reason: CloseReason, priceClose: number, at: number): void {
    row.status = 'closed';
    row.closeReason = reason;
    row.priceClose = priceClose;
    row.closedAt = at;
    row.pnlPercent = pnlPercent(row.position, row.priceOpen, priceClose, this.config.costs);
    this.recordExcursion(row, priceClose, at);
    this.current = null;
    this.listener('closed', { ...row });
  }

  private finishCancelled(row: SignalRow, reason: CancelReason, at: number): void {
    row.status = 'cancelled';
    row.cancelReason = reason;
    row.closedAt = at;
    this.current = null;
    this.excursion = null;
    this.listener('cancelled', { ...row });
  }
}
