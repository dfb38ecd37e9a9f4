import type { GlobalConfig } from './config';
import { isFatalStrategyError } from './errors';
import { profitLoss, totalClosed } from './position-math';
import { ZERO_PNL, type SignalRow } from './public-signal';
import type { AnyFn, RiskSchema, StrategySchema } from './registry';
import type { RunListeners } from './run-listeners';

/**
 * The strategy's risk profiles (`riskName` / `riskList`, registered with addRiskSchema) as
 * backtest-kit 19.5.0 applies them: every validation sees the candidate signal and the positions
 * the profile holds; the first rejection wins, is reported (listenRisk, onRejected, a
 * `risk.rejection` notice) and refuses the signal. An allowed signal may reserve its place at once.
 *
 * The positions are those of this run's symbol: each symbol of a run is its own job (see
 * docs/backtest-kit-strategies.md for how that compares with backtest-kit's shared profiles).
 */

export interface RiskGateContext {
  symbol: string;
  strategyName: string;
  exchangeName: string;
  frameName: string;
  config: GlobalConfig;
  strategy: StrategySchema;
  risks: ReadonlyMap<string, RiskSchema>;
  listeners: RunListeners;
  /** Runs strategy code at a moment (its errors end the run). */
  callAt(when: number, fn: () => unknown): Promise<void>;
  /** The moment validations see as "now". */
  setWhen(when: number): void;
  onNotice?(kind: 'error' | 'risk', message: string, time: number): void;
}

type RiskPosition = Record<string, unknown>;

export class RiskGate {
  private readonly names: string[];
  private readonly positions = new Map<string, Map<string, RiskPosition>>();

  constructor(private readonly ctx: RiskGateContext) {
    const s = ctx.strategy;
    this.names = [...(s.riskName ? [s.riskName] : []), ...(s.riskList ?? [])];
    for (const riskName of this.names) {
      if (!ctx.risks.has(riskName)) throw new Error(`strategy ${s.strategyName} uses risk "${riskName}", which the module does not register (addRiskSchema)`);
    }
  }

  /** Whether the strategy has any risk profile. */
  get inUse(): boolean {
    return this.names.length > 0;
  }

  private key(): string {
    return `${this.ctx.strategyName}_${this.ctx.exchangeName}_${this.ctx.symbol}`;
  }

  private positionsOf(riskName: string): Map<string, RiskPosition> {
    let map = this.positions.get(riskName);
    if (!map) this.positions.set(riskName, (map = new Map()));
    return map;
  }

  /** Runs the validations of every profile; false when one rejects. With `reserve`, an allowed signal takes its place at once. */
  async check(signal: Record<string, unknown>, currentPrice: number, timestamp: number, reserve: boolean): Promise<boolean> {
    const { ctx } = this;
    for (const riskName of this.names) {
      const schema = ctx.risks.get(riskName)!;
      const positions = this.positionsOf(riskName);
      const currentSignal = this.candidate(signal, currentPrice, timestamp);
      const params = { symbol: ctx.symbol, strategyName: ctx.strategyName, exchangeName: ctx.exchangeName, frameName: ctx.frameName, riskName, currentPrice, timestamp, currentSignal };
      const payload = { ...params, activePositionCount: positions.size, activePositions: [...positions.values()] };
      const rejection = await this.runValidations(schema, payload, timestamp);
      if (rejection) {
        const event = {
          symbol: ctx.symbol,
          currentSignal,
          strategyName: ctx.strategyName,
          exchangeName: ctx.exchangeName,
          currentPrice,
          activePositionCount: positions.size,
          rejectionId: rejection.id,
          rejectionNote: rejection.note,
          frameName: ctx.frameName,
          timestamp,
          when: new Date(timestamp),
          backtest: true,
        };
        ctx.onNotice?.('risk', `${riskName} rejected a ${String(signal.position)} signal: ${rejection.note}`, timestamp);
        await ctx.listeners.emit('risk', event, timestamp);
        const onRejected = schema.callbacks?.onRejected;
        if (onRejected) await ctx.callAt(timestamp, () => onRejected(ctx.symbol, params));
        return false;
      }
      if (reserve) {
        positions.set(this.key(), {
          ...this.identity(),
          position: signal.position,
          priceOpen: (signal.priceOpen as number | undefined) ?? currentPrice,
          priceStopLoss: signal.priceStopLoss,
          priceTakeProfit: signal.priceTakeProfit,
          minuteEstimatedTime: (signal.minuteEstimatedTime as number | undefined) ?? ctx.config.CC_MAX_SIGNAL_LIFETIME_MINUTES,
          openTimestamp: timestamp,
        });
      }
      const onAllowed = schema.callbacks?.onAllowed;
      if (onAllowed) await ctx.callAt(timestamp, () => onAllowed(ctx.symbol, params));
    }
    return true;
  }

  /** The open position counts in every profile of the strategy. */
  add(signal: SignalRow, timestamp: number): void {
    for (const riskName of this.names) {
      this.positionsOf(riskName).set(this.key(), {
        ...this.identity(),
        position: signal.position,
        priceOpen: signal.priceOpen,
        priceStopLoss: signal.priceStopLoss,
        priceTakeProfit: signal.priceTakeProfit,
        minuteEstimatedTime: signal.minuteEstimatedTime,
        openTimestamp: timestamp,
      });
    }
  }

  /** The position (or reservation) no longer counts. */
  remove(): void {
    for (const riskName of this.names) this.positionsOf(riskName).delete(this.key());
  }

  private identity(): { strategyName: string; exchangeName: string; frameName: string; symbol: string } {
    const { strategyName, exchangeName, frameName, symbol } = this.ctx;
    return { strategyName, exchangeName, frameName, symbol };
  }

  /** A validation rejects by throwing, or by returning a note or `{id, note}`. */
  private async runValidations(schema: RiskSchema, payload: Record<string, unknown>, timestamp: number): Promise<{ id: string | null; note: string } | null> {
    for (const validation of schema.validations ?? []) {
      const fn: AnyFn = typeof validation === 'function' ? validation : validation.validate;
      let rejection: unknown;
      try {
        this.ctx.setWhen(timestamp);
        rejection = await fn(payload);
      } catch (error) {
        if (isFatalStrategyError(error)) throw error;
        rejection = error instanceof Error ? error.message : String(error);
      }
      if (!rejection) continue;
      if (typeof rejection === 'string') return { id: null, note: rejection };
      if (typeof rejection === 'object') {
        const r = rejection as { id?: unknown; note?: unknown };
        return { id: (r.id as string) || null, note: (r.note as string) || 'Validation rejected the signal' };
      }
    }
    return null;
  }

  /** The signal as a validation sees it (`currentSignal`): backtest-kit's public shape before it opens. */
  private candidate(signal: Record<string, unknown>, currentPrice: number, timestamp: number): Record<string, unknown> {
    const config = this.ctx.config;
    const s = signal as Partial<SignalRow> & Record<string, unknown>;
    const priceOpen = (s.priceOpen as number | undefined) ?? currentPrice;
    const scheduledPnl = s._isScheduled !== false;
    const pnl = scheduledPnl ? { ...ZERO_PNL } : profitLoss({ ...(s as SignalRow), priceOpen }, currentPrice, config);
    return {
      ...structuredClone(s),
      cost: (s.cost as number) || config.CC_POSITION_ENTRY_COST,
      multiplier: s.multiplier ?? config.CC_SIGNAL_LEVERAGE_MULTIPLIER,
      isolated: s.isolated ?? config.CC_SIGNAL_ISOLATED_MARGIN,
      timestamp: s.timestamp ?? timestamp,
      totalEntries: 1,
      totalPartials: 0,
      priceOpen,
      priceStopLoss: s._trailingPriceStopLoss ?? s.priceStopLoss,
      priceTakeProfit: s._trailingPriceTakeProfit ?? s.priceTakeProfit,
      originalPriceStopLoss: s.priceStopLoss,
      originalPriceTakeProfit: s.priceTakeProfit,
      originalPriceOpen: priceOpen,
      partialExecuted: Array.isArray(s._partial) ? totalClosed(s as SignalRow, config).totalClosedPercent : 0,
      pnl,
      maxDrawdown: pnl,
      peakProfit: pnl,
    };
  }
}
