import type { GlobalConfig } from './config';
import { effectivePriceOpen, progressPercent } from './position-math';
import { excursionAt, type SignalRow } from './public-signal';
import type { ListenerKind, StrategyCallbacks } from './registry';
import type { RunListeners } from './run-listeners';

/**
 * What backtest-kit 19.5.0 does on every one-minute candle an open position survives: it tracks the
 * position's peak profit and deepest drawdown, and calls the strategy's per-candle callbacks and
 * listeners (active ping, breakeven reached, partial profit / loss levels of 10 %, 20 %, … of the
 * way to the take-profit or stop-loss), in backtest-kit's order.
 */

const LEVELS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

export interface MonitorContext {
  symbol: string;
  names: { strategyName: string; exchangeName: string; frameName: string; symbol: string };
  config: GlobalConfig;
  callbacks: StrategyCallbacks;
  listeners: RunListeners;
  callAt(when: number, fn: () => unknown): Promise<void>;
  /** The signal as strategy code sees it, priced at `price`. */
  publicSignal(signal: SignalRow, price: number): Record<string, unknown>;
}

/** Peak profit and deepest drawdown of the open position (the public signal's peakProfit / maxDrawdown). */
export function trackExcursion(signal: SignalRow, avg: number, t: number, config: GlobalConfig): void {
  const long = signal.position === 'long';
  const distance = long ? avg - effectivePriceOpen(signal) : effectivePriceOpen(signal) - avg;
  if (distance > 0 && (long ? avg > signal._peak.price : avg < signal._peak.price)) {
    const point = excursionAt(signal, avg, t, config);
    if (point.pnlPercentage > 0) signal._peak = point;
  } else if (distance < 0 && (long ? avg < signal._fall.price : avg > signal._fall.price)) {
    signal._fall = excursionAt(signal, avg, t, config);
  }
}

/** The close price is a point of the trade's excursion too (not for a close by hand). */
export function recordCloseExcursion(signal: SignalRow, price: number, at: number, config: GlobalConfig): void {
  const point = excursionAt(signal, price, at, config);
  if (point.pnlPercentage < signal._fall.pnlPercentage) signal._fall = { ...point };
  if (point.pnlPercentage > 0 && point.pnlPercentage > signal._peak.pnlPercentage) signal._peak = { ...point };
}

export class PositionMonitor {
  private readonly partialLevels = new Map<string, { profit: Set<number>; loss: Set<number> }>();
  private readonly breakevenReached = new Set<string>();

  constructor(private readonly ctx: MonitorContext) {}

  /** Whether any per-candle callback or listener is there to call (otherwise the candles are only checked). */
  get watched(): boolean {
    const c = this.ctx.callbacks;
    const l = this.ctx.listeners;
    return !!(c.onActivePing || c.onPartialProfit || c.onPartialLoss || c.onBreakeven || c.onWrite)
      || l.has('partialProfitAvailable') || l.has('partialLossAvailable') || l.has('breakevenAvailable') || l.has('activePing');
  }

  /** The position's levels are no longer tracked (it closed). */
  forget(signalId: string): void {
    this.partialLevels.delete(signalId);
    this.breakevenReached.delete(signalId);
  }

  /** The per-candle callbacks of an open position at candle `t`, priced at the VWAP `avg`. */
  async candle(signal: SignalRow, avg: number, t: number): Promise<void> {
    const { ctx } = this;
    const callbacks = ctx.callbacks;
    const long = signal.position === 'long';
    const eff = effectivePriceOpen(signal);
    const distance = long ? avg - eff : eff - avg;
    const publicSignal = () => ctx.publicSignal(signal, avg);
    const ping = async () => {
      if (ctx.listeners.has('activePing')) {
        await ctx.listeners.emit('activePing', { ...ctx.names, currentPrice: avg, data: publicSignal(), backtest: true, timestamp: t, when: new Date(t) }, t);
      }
      if (callbacks.onActivePing) {
        const cb = callbacks.onActivePing;
        await ctx.callAt(t, () => cb(ctx.symbol, publicSignal(), avg, new Date(t), true));
      }
    };
    if (distance > 0) {
      const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
      const progress = progressPercent(distance, long ? take - eff : eff - take);
      await ping();
      await this.breakevenCheck(signal, avg, t);
      await this.partials('profit', signal, avg, progress, t);
    } else if (distance < 0) {
      const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
      const progress = progressPercent(Math.abs(distance), long ? eff - stop : stop - eff);
      await ping();
      await this.partials('loss', signal, avg, progress, t);
    } else await ping();
  }

  private async breakevenCheck(signal: SignalRow, avg: number, t: number): Promise<void> {
    if (this.breakevenReached.has(signal.id)) return;
    const { ctx } = this;
    const threshold = (ctx.config.CC_PERCENT_SLIPPAGE + ctx.config.CC_PERCENT_FEE) * 2 + ctx.config.CC_BREAKEVEN_THRESHOLD;
    const eff = effectivePriceOpen(signal);
    const reached = signal.position === 'long' ? avg >= eff * (1 + threshold / 100) : avg <= eff * (1 - threshold / 100);
    if (!reached) return;
    this.breakevenReached.add(signal.id);
    const data = ctx.publicSignal(signal, avg);
    await ctx.listeners.emit('breakevenAvailable', { ...ctx.names, data, currentPrice: avg, backtest: true, timestamp: t }, t);
    const cb = ctx.callbacks.onBreakeven;
    if (cb) await ctx.callAt(t, () => cb(ctx.symbol, data, avg, new Date(t), true));
  }

  private async partials(kind: 'profit' | 'loss', signal: SignalRow, avg: number, progress: number, t: number): Promise<void> {
    const { ctx } = this;
    const listenerKind: ListenerKind = kind === 'profit' ? 'partialProfitAvailable' : 'partialLossAvailable';
    const cb = kind === 'profit' ? ctx.callbacks.onPartialProfit : ctx.callbacks.onPartialLoss;
    if (!cb && !ctx.listeners.has(listenerKind)) return;
    const data = ctx.publicSignal(signal, avg);
    let levels = this.partialLevels.get(signal.id);
    if (!levels) this.partialLevels.set(signal.id, (levels = { profit: new Set(), loss: new Set() }));
    const reached = kind === 'profit' ? levels.profit : levels.loss;
    for (const level of LEVELS) {
      if (Math.abs(progress) >= level && !reached.has(level)) {
        reached.add(level);
        await ctx.listeners.emit(listenerKind, { ...ctx.names, data, currentPrice: avg, level, backtest: true, timestamp: t }, t);
      }
    }
    if (cb) await ctx.callAt(t, () => cb(ctx.symbol, data, progress, avg, new Date(t), true));
  }
}
