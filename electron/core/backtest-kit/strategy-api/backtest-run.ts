import { applyConfig, defaultConfig, type GlobalConfig } from './config';
import { isFatalStrategyError, StrategyCodeError } from './errors';
import { MINUTE_MS, INTERVAL_MINUTES, type MinuteFeed } from './minute-feed';
import { effectivePriceOpen, liquidationPrice, profitLoss, progressPercent, totalClosed, totalInvested } from './position-math';
import { excursionAt, SCHEDULED_PENDING_MOCK, toPublicSignal, ZERO_PNL, type SignalRow } from './public-signal';
import type { AnyFn, ExchangeSchema, Listener, ListenerKind, Registrations, RiskSchema, StrategySchema } from './registry';
import { validatePending, validateScheduled } from './signal-validation';

/**
 * One symbol of a backtest with backtest-kit 19.5.0's semantics, over our candle columns:
 *
 * - The frame ticks every `frameInterval` from its start to its end (inclusive). A tick first prices
 *   the market at the VWAP of the CC_AVG_PRICE_CANDLES_COUNT one-minute candles before it, then asks
 *   getSignal (throttled to the strategy's interval).
 * - A market signal opens at that VWAP; a signal with `priceOpen` opens at once at `priceOpen` when
 *   the VWAP has already reached it, otherwise it is scheduled.
 * - From the tick's own candle on, each one-minute candle is checked with the VWAP of the window
 *   ending at it: scheduled signals time out (CC_SCHEDULE_AWAIT_MINUTES), are rejected when the
 *   candle touches the stop-loss, or activate when it touches `priceOpen`; open positions expire
 *   (`minuteEstimatedTime`, none for Infinity), stop out when the candle touches the (trailing)
 *   stop-loss or the liquidation price, and take profit when the VWAP reaches the (trailing)
 *   take-profit. Closes happen at the exact level; expiry at the VWAP. A candle past the frame's end
 *   closes (`time_expired`) or cancels (`timeout`) what is left.
 * - After a signal ends, the frame resumes at its first tick after the closing candle.
 */

export type TickResult = Record<string, unknown> & { action: string; createdAt: number };

export interface BacktestRunOptions {
  symbol: string;
  feed: MinuteFeed;
  registrations: Registrations;
  strategyName: string;
  exchangeName: string;
  frameName: string;
  /** First tick (ms, aligned down to the minute) and last tick (inclusive). */
  frameStart: number;
  frameEnd: number;
  frameInterval: string;
  /** The module's own exchange schema, if any: its formatPrice/formatQuantity still apply (its candles do not). */
  exchangeSchema?: ExchangeSchema;
  /** The id of a signal created at `createdAt` that has no id of its own (deterministic per run). */
  signalId(createdAt: number): string;
  /** Called before each tick (progress, yielding to the event loop now and then). */
  onTick?(when: number): void | Promise<void>;
  /** Every scheduled, opened, closed and cancelled result, in order. */
  onResult?(result: TickResult): void | Promise<void>;
  /** Something worth telling the user that does not end the run (a risk rejection). */
  onNotice?(kind: 'error' | 'risk', message: string, time: number): void;
}

interface PartialLevels {
  profit: Set<number>;
  loss: Set<number>;
}

const PARTIAL_CAP_TOLERANCE_FACTOR = 1 + 1e-9;
const PARTIAL_FULL_CLOSE_EPSILON = 1e-9;
const LEVELS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

type Outcome = { closeTimestamp: number } | null;

let active: BacktestRun | null = null;

/** The run whose strategy code is executing now (ambient functions read it). */
export function activeRun(): BacktestRun | null {
  return active;
}

export class BacktestRun {
  readonly config: GlobalConfig;
  readonly symbol: string;
  readonly feed: MinuteFeed;
  readonly strategy: StrategySchema;
  /** The moment strategy code sees as "now" (getDate, getCandles…). */
  when = 0;
  pending: SignalRow | null = null;
  scheduled: SignalRow | null = null;
  /** Set by commitClosePending / a full partial close: closes at the next candle. */
  closedSignal: SignalRow | null = null;
  /** Set by commitCancelScheduled: cancels at the next candle. */
  cancelledSignal: SignalRow | null = null;
  /** Set by commitActivateScheduled: opens at the next candle, at its priceOpen. */
  activatedSignal: SignalRow | null = null;
  readonly sessionData = new Map<string, unknown>();
  readonly signalState = new Map<string, unknown>();
  readonly memory = new Map<string, Map<string, { value: unknown; description: string }>>();
  private lastSignalTimestamp: number | null = null;
  private lastPendingId: string | null = null;
  private readonly riskPositions = new Map<string, Map<string, Record<string, unknown>>>();
  private readonly partialLevels = new Map<string, PartialLevels>();
  private readonly breakevenReached = new Set<string>();
  private readonly listeners: Listener[];
  /** State / Memory adapters switched on (by the module, or during the run). */
  readonly enabled: Set<'state' | 'memory'>;
  private readonly strategyMs: number;
  private readonly avgCount: number;

  constructor(private readonly options: BacktestRunOptions) {
    this.config = defaultConfig();
    for (const change of options.registrations.configChanges) applyConfig(this.config, change);
    const strategy = options.registrations.strategies.get(options.strategyName);
    if (!strategy) throw new Error(`the module registers no strategy named "${options.strategyName}"`);
    this.strategy = strategy;
    for (const riskName of this.riskNames()) {
      if (!options.registrations.risks.has(riskName)) throw new Error(`strategy ${strategy.strategyName} uses risk "${riskName}", which the module does not register (addRiskSchema)`);
    }
    this.symbol = options.symbol;
    this.feed = options.feed;
    this.listeners = [...options.registrations.listeners];
    this.enabled = new Set(options.registrations.enabled);
    const minutes = INTERVAL_MINUTES[strategy.interval ?? '1m'];
    if (!minutes) throw new Error(`strategy ${strategy.strategyName}: unknown interval "${strategy.interval}"`);
    this.strategyMs = minutes * MINUTE_MS;
    this.avgCount = this.config.CC_AVG_PRICE_CANDLES_COUNT;
  }

  get exchangeName(): string {
    return this.options.exchangeName;
  }
  get exchangeSchema(): ExchangeSchema | undefined {
    return this.options.exchangeSchema;
  }
  get frameName(): string {
    return this.options.frameName;
  }
  get strategyName(): string {
    return this.strategy.strategyName;
  }

  /** Applies a setConfig made while the run is going (setConfig inside strategy code). */
  setConfig(changes: Partial<GlobalConfig>): void {
    applyConfig(this.config, changes);
  }

  addListener(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** VWAP of the candles before `when` (backtest-kit's getAveragePrice at that moment). */
  averagePriceAt(when: number): number {
    const k = this.feed.indexOf(Math.floor(when / MINUTE_MS) * MINUTE_MS);
    return this.feed.vwap(k - this.avgCount, k - 1);
  }

  async run(): Promise<void> {
    const step = INTERVAL_MINUTES[this.options.frameInterval];
    if (!step) throw new Error(`frame interval "${this.options.frameInterval}" is not one of ${Object.keys(INTERVAL_MINUTES).join(', ')}`);
    const first = Math.floor(this.options.frameStart / MINUTE_MS) * MINUTE_MS;
    const end = this.options.frameEnd;
    if (first > end) throw new Error('the frame is empty: its start is after its end');
    const stepMs = step * MINUTE_MS;
    // One run at a time per thread (a worker runs its jobs in turn): the ambient functions read it.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    active = this;
    try {
      let when = first;
      const onTick = this.options.onTick;
      while (when <= end) {
        if (onTick) {
          const pending = onTick(when);
          if (pending) await pending;
        }
        const outcome = await this.tick(when, end);
        if (outcome) {
          // The frame resumes at its first tick after the closing candle.
          const skip = Math.floor((outcome.closeTimestamp - first) / stepMs) + 1;
          when = Math.max(when + stepMs, first + skip * stepMs);
        } else when += stepMs;
      }
      await this.emitListeners('doneBacktest', { backtest: true, symbol: this.symbol, strategyName: this.strategyName, exchangeName: this.exchangeName, frameName: this.frameName });
    } finally {
      active = null;
    }
  }

  // ---- one tick ---------------------------------------------------------------------------------

  private async tick(when: number, frameEnd: number): Promise<Outcome> {
    this.when = when;
    const currentPrice = this.averagePriceAt(when);
    const signal = await this.getSignal(when, currentPrice);
    if (!signal) {
      await this.idle(when, currentPrice);
      return null;
    }
    if (signal._isScheduled) {
      this.scheduled = signal;
      await this.callback('onSchedule', when, signal, 'scheduled', currentPrice);
      await this.emit({ action: 'scheduled', signal: this.publicOf('scheduled', signal, currentPrice), currentPrice, ...this.names(), backtest: true, createdAt: when });
      return this.processScheduled(signal, when, frameEnd);
    }
    this.pending = signal;
    this.lastPendingId = signal.id;
    this.riskAdd(signal, when);
    await this.callback('onOpen', when, signal, 'pending', signal.priceOpen);
    await this.emit({ action: 'opened', signal: this.publicOf('pending', signal, signal.priceOpen), currentPrice: signal.priceOpen, ...this.names(), backtest: true, createdAt: when });
    return this.processPending(signal, when, frameEnd);
  }

  private async idle(when: number, currentPrice: number): Promise<void> {
    if (this.hasListeners('idlePing')) await this.emitListeners('idlePing', { ...this.names(), currentPrice, backtest: true, timestamp: when, when: new Date(when) }, when);
    const cb = this.strategy.callbacks?.onIdle;
    if (cb) await this.callUser(when, () => cb(this.symbol, currentPrice, new Date(when), true));
    if (this.hasListeners('signal') || this.hasListeners('signalBacktest') || this.strategy.callbacks?.onTick) {
      await this.emit({ action: 'idle', signal: null, currentPrice, ...this.names(), backtest: true, createdAt: when });
    }
  }

  private names(): { strategyName: string; exchangeName: string; frameName: string; symbol: string } {
    return { strategyName: this.strategyName, exchangeName: this.exchangeName, frameName: this.frameName, symbol: this.symbol };
  }

  private async getSignal(when: number, currentPrice: number): Promise<SignalRow | null> {
    const aligned = Math.floor(when / this.strategyMs) * this.strategyMs;
    if (this.lastSignalTimestamp !== null && aligned === this.lastSignalTimestamp) return null;
    this.lastSignalTimestamp = aligned;
    let reserved = false;
    try {
      const dto = (await this.strategy.getSignal(this.symbol, new Date(when), currentPrice)) as Record<string, unknown> | null | undefined;
      if (!dto) return null;
      if (dto.symbol && dto.symbol !== this.symbol) throw new Error(`Symbol mismatch: expected ${this.symbol}, got ${String(dto.symbol)}`);
      if (dto.id && dto.id === this.lastPendingId) return null;
      if (!(await this.riskCheck(dto, currentPrice, when, true))) {
        this.lastSignalTimestamp = null;
        return null;
      }
      reserved = this.riskNames().length > 0;
      const row = this.rowFromDto(dto, currentPrice, when);
      if (row._isScheduled) validateScheduled(row, currentPrice, this.config);
      else validatePending(row, currentPrice, this.config);
      return row;
    } catch (error) {
      // backtest-kit 19.5.0 means to report this and go on, but its error handler itself fails (the
      // functools-kit it runs with calls the handler without its `self`), so the backtest dies:
      // the run fails here too, naming the cause.
      if (reserved) this.riskRemove();
      throw new StrategyCodeError(`getSignal at ${new Date(when).toISOString()}`, error);
    }
  }

  private rowFromDto(dto: Record<string, unknown>, currentPrice: number, when: number): SignalRow {
    const c = this.config;
    const position = dto.position as SignalRow['position'];
    const cost = (dto.cost as number) || c.CC_POSITION_ENTRY_COST;
    const entryCost = (dto.cost as number | undefined) ?? c.CC_POSITION_ENTRY_COST;
    const base = {
      ...structuredClone(dto),
      id: (dto.id as string) || this.options.signalId(when),
      cost,
      position,
      note: (dto.note as string) || '',
      priceTakeProfit: dto.priceTakeProfit as number,
      priceStopLoss: dto.priceStopLoss as number,
      minuteEstimatedTime: (dto.minuteEstimatedTime as number | undefined) ?? c.CC_MAX_SIGNAL_LIFETIME_MINUTES,
      multiplier: (dto.multiplier as number | undefined) ?? c.CC_SIGNAL_LEVERAGE_MULTIPLIER,
      isolated: (dto.isolated as boolean | undefined) ?? c.CC_SIGNAL_ISOLATED_MARGIN,
      symbol: this.symbol,
      exchangeName: this.exchangeName,
      strategyName: this.strategyName,
      frameName: this.frameName,
      scheduledAt: when,
      timestamp: when,
    };
    const zero = (price: number) => ({ price, timestamp: when, pnlPercentage: 0, pnlCost: 0, priceClose: 0, priceOpen: 0, pnlEntries: 0 });
    const requested = dto.priceOpen as number | undefined;
    if (requested !== undefined) {
      const reached = (position === 'long' && currentPrice <= requested) || (position === 'short' && currentPrice >= requested);
      const row: SignalRow = {
        ...base,
        priceOpen: requested,
        pendingAt: reached ? when : SCHEDULED_PENDING_MOCK,
        _isScheduled: !reached,
        _entry: [{ price: requested, cost: entryCost, timestamp: when }],
        _peak: zero(requested),
        _fall: zero(requested),
      };
      if (reached) row._fall = excursionAt(row, requested, when, c);
      return row;
    }
    const row: SignalRow = {
      ...base,
      priceOpen: currentPrice,
      pendingAt: when,
      _isScheduled: false,
      _entry: [{ price: currentPrice, cost: entryCost, timestamp: when }],
      _peak: zero(currentPrice),
      _fall: zero(currentPrice),
    };
    row._fall = excursionAt(row, currentPrice, when, c);
    return row;
  }

  // ---- scheduled signals -----------------------------------------------------------------------

  private async processScheduled(signal: SignalRow, start: number, frameEnd: number): Promise<Outcome> {
    const wait = this.config.CC_SCHEDULE_AWAIT_MINUTES * MINUTE_MS;
    const feed = this.feed;
    const n = this.avgCount;
    const long = signal.position === 'long';
    for (let t = start; ; t += MINUTE_MS) {
      const k = feed.indexOf(t);
      const avg = feed.vwap(k - (n - 1), k);
      if (t > frameEnd) return this.cancelScheduled(signal, avg, t, 'timeout');
      if (this.cancelledSignal) return this.cancelScheduled(this.cancelledSignal, avg, t, 'user');
      if (this.activatedSignal) {
        // Activated by hand (commitActivateScheduled): opens now at its priceOpen, risk permitting.
        const activated = this.activatedSignal;
        this.activatedSignal = null;
        if (!(await this.riskCheck(activated, avg, t, true))) {
          this.riskRemove();
          await this.emit({ action: 'cancelled', signal: this.publicOf('scheduled', activated, avg), currentPrice: avg, closeTimestamp: t, ...this.names(), backtest: true, reason: 'user', createdAt: t });
          return { closeTimestamp: t };
        }
        return this.activate(activated, t, frameEnd);
      }
      if (t - signal.scheduledAt >= wait) return this.cancelScheduled(signal, avg, t, 'timeout');
      const low = feed.lowAt(k);
      const high = feed.highAt(k);
      if (long ? low <= signal.priceStopLoss : high >= signal.priceStopLoss) return this.cancelScheduled(signal, avg, t, 'price_reject');
      if (long ? low <= signal.priceOpen : high >= signal.priceOpen) {
        if (!(await this.riskCheck(signal, signal.priceOpen, t, true))) {
          this.scheduled = null;
          this.riskRemove();
          const result = { action: 'cancelled', signal: this.publicOf('scheduled', signal, avg), currentPrice: avg, closeTimestamp: t, ...this.names(), backtest: true, reason: 'user', createdAt: t };
          await this.emit(result);
          return { closeTimestamp: t };
        }
        return this.activate(signal, t, frameEnd);
      }
      if (this.hasListeners('schedulePing')) {
        await this.emitListeners('schedulePing', { ...this.names(), currentPrice: avg, data: this.publicOf('scheduled', signal, avg), backtest: true, timestamp: t, when: new Date(t) }, t);
      }
      const ping = this.strategy.callbacks?.onSchedulePing;
      if (ping) await this.callUser(t, () => ping(this.symbol, this.publicOf('scheduled', signal, avg), avg, new Date(t), true));
    }
  }

  /** A scheduled signal becomes the open position at candle `t`; it is checked from the next candle on. */
  private async activate(signal: SignalRow, t: number, frameEnd: number): Promise<Outcome> {
    signal.pendingAt = t;
    signal._isScheduled = false;
    signal._peak = { price: signal.priceOpen, timestamp: t, pnlPercentage: 0, pnlCost: 0, pnlEntries: 0, priceClose: 0, priceOpen: 0 };
    signal._fall = excursionAt(signal, signal.priceOpen, t, this.config);
    this.scheduled = null;
    this.pending = signal;
    this.lastPendingId = signal.id;
    this.riskAdd(signal, t);
    await this.callback('onOpen', t, signal, 'pending', signal.priceOpen);
    await this.emit({ action: 'opened', signal: this.publicOf('pending', signal, signal.priceOpen), currentPrice: signal.priceOpen, ...this.names(), backtest: true, createdAt: t });
    return this.processPending(signal, t + MINUTE_MS, frameEnd);
  }

  private async cancelScheduled(signal: SignalRow, price: number, at: number, reason: 'timeout' | 'price_reject' | 'user'): Promise<Outcome> {
    this.scheduled = null;
    this.cancelledSignal = null;
    this.riskRemove();
    await this.callback('onCancel', at, signal, 'scheduled', price);
    const result: TickResult = { action: 'cancelled', signal: this.publicOf('scheduled', signal, price), currentPrice: price, closeTimestamp: at, ...this.names(), backtest: true, reason, createdAt: at };
    if (signal.cancelId !== undefined) result.cancelId = signal.cancelId;
    await this.emit(result);
    return { closeTimestamp: at };
  }

  // ---- open positions --------------------------------------------------------------------------

  private async processPending(signal: SignalRow, start: number, frameEnd: number): Promise<Outcome> {
    const feed = this.feed;
    const n = this.avgCount;
    const long = signal.position === 'long';
    const lifeMs = signal.minuteEstimatedTime * MINUTE_MS;
    const callbacks = this.strategy.callbacks;
    const monitored = !!(callbacks?.onActivePing || callbacks?.onPartialProfit || callbacks?.onPartialLoss || callbacks?.onBreakeven || callbacks?.onWrite)
      || this.hasListeners('partialProfitAvailable') || this.hasListeners('partialLossAvailable') || this.hasListeners('breakevenAvailable') || this.hasListeners('activePing');
    for (let t = start; ; t += MINUTE_MS) {
      const k = feed.indexOf(t);
      const avg = feed.vwap(k - (n - 1), k);
      if (t > frameEnd) return this.closePending(signal, avg, 'time_expired', t);
      if (this.closedSignal) return this.closePending(this.closedSignal, avg, 'closed', t);
      let reason: string | null = null;
      if (t - signal.pendingAt >= lifeMs) reason = 'time_expired';
      const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
      const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
      const liquidation = reason === null && signal.isolated ? liquidationPrice(signal, this.config) : null;
      if (reason === null) {
        const useLiquidation = liquidation !== null && (long ? liquidation > stop : liquidation < stop);
        const level = useLiquidation ? liquidation! : stop;
        if (long ? feed.lowAt(k) <= level : feed.highAt(k) >= level) reason = useLiquidation ? 'liquidation' : 'stop_loss';
        else if (long ? avg >= take : avg <= take) reason = 'take_profit';
      }
      if (reason !== null) {
        const price = reason === 'take_profit' ? take : reason === 'stop_loss' ? stop : reason === 'liquidation' ? liquidation! : avg;
        return this.closePending(signal, price, reason, t);
      }
      this.trackExcursion(signal, avg, t, long);
      if (monitored) await this.monitor(signal, avg, t, long);
    }
  }

  /** Peak profit and deepest drawdown of the open position (the public signal's peakProfit / maxDrawdown). */
  private trackExcursion(signal: SignalRow, avg: number, t: number, long: boolean): void {
    const distance = long ? avg - effectivePriceOpen(signal) : effectivePriceOpen(signal) - avg;
    if (distance > 0 && (long ? avg > signal._peak.price : avg < signal._peak.price)) {
      const point = excursionAt(signal, avg, t, this.config);
      if (point.pnlPercentage > 0) signal._peak = point;
    } else if (distance < 0 && (long ? avg < signal._fall.price : avg > signal._fall.price)) {
      signal._fall = excursionAt(signal, avg, t, this.config);
    }
  }

  /** The per-candle callbacks of an open position, in backtest-kit's order. */
  private async monitor(signal: SignalRow, avg: number, t: number, long: boolean): Promise<void> {
    const callbacks = this.strategy.callbacks ?? {};
    const eff = effectivePriceOpen(signal);
    const distance = long ? avg - eff : eff - avg;
    const publicSignal = () => this.publicOf('pending', signal, avg);
    const ping = async () => {
      if (this.hasListeners('activePing')) {
        await this.emitListeners('activePing', { ...this.names(), currentPrice: avg, data: publicSignal(), backtest: true, timestamp: t, when: new Date(t) }, t);
      }
      if (callbacks.onActivePing) {
        const cb = callbacks.onActivePing;
        await this.callUser(t, () => cb(this.symbol, publicSignal(), avg, new Date(t), true));
      }
    };
    if (distance > 0) {
      const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
      const progress = progressPercent(distance, long ? take - eff : eff - take);
      await ping();
      await this.breakevenCheck(signal, avg, t);
      await this.partialCallbacks('profit', signal, avg, progress, t);
    } else if (distance < 0) {
      const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
      const progress = progressPercent(Math.abs(distance), long ? eff - stop : stop - eff);
      await ping();
      await this.partialCallbacks('loss', signal, avg, progress, t);
    } else await ping();
  }

  private async breakevenCheck(signal: SignalRow, avg: number, t: number): Promise<void> {
    if (this.breakevenReached.has(signal.id)) return;
    const threshold = (this.config.CC_PERCENT_SLIPPAGE + this.config.CC_PERCENT_FEE) * 2 + this.config.CC_BREAKEVEN_THRESHOLD;
    const eff = effectivePriceOpen(signal);
    const reached = signal.position === 'long' ? avg >= eff * (1 + threshold / 100) : avg <= eff * (1 - threshold / 100);
    if (!reached) return;
    this.breakevenReached.add(signal.id);
    const data = this.publicOf('pending', signal, avg);
    await this.emitListeners('breakevenAvailable', { ...this.names(), data, currentPrice: avg, backtest: true, timestamp: t }, t);
    const cb = this.strategy.callbacks?.onBreakeven;
    if (cb) await this.callUser(t, () => cb(this.symbol, data, avg, new Date(t), true));
  }

  private async partialCallbacks(kind: 'profit' | 'loss', signal: SignalRow, avg: number, progress: number, t: number): Promise<void> {
    const listenerKind: ListenerKind = kind === 'profit' ? 'partialProfitAvailable' : 'partialLossAvailable';
    const cb = kind === 'profit' ? this.strategy.callbacks?.onPartialProfit : this.strategy.callbacks?.onPartialLoss;
    if (!cb && !this.hasListeners(listenerKind)) return;
    const data = this.publicOf('pending', signal, avg);
    let levels = this.partialLevels.get(signal.id);
    if (!levels) this.partialLevels.set(signal.id, (levels = { profit: new Set(), loss: new Set() }));
    const reached = kind === 'profit' ? levels.profit : levels.loss;
    for (const level of LEVELS) {
      if (Math.abs(progress) >= level && !reached.has(level)) {
        reached.add(level);
        await this.emitListeners(listenerKind, { ...this.names(), data, currentPrice: avg, level, backtest: true, timestamp: t }, t);
      }
    }
    if (cb) await this.callUser(t, () => cb(this.symbol, data, progress, avg, new Date(t), true));
  }

  private async closePending(signal: SignalRow, price: number, reason: string, at: number): Promise<Outcome> {
    if (reason !== 'closed') {
      // The close price is a point of the trade's excursion too.
      const point = excursionAt(signal, price, at, this.config);
      if (point.pnlPercentage < signal._fall.pnlPercentage) signal._fall = { ...point };
      if (point.pnlPercentage > 0 && point.pnlPercentage > signal._peak.pnlPercentage) signal._peak = { ...point };
    }
    this.pending = null;
    this.closedSignal = null;
    const publicSignal = this.publicOf('pending', signal, price);
    await this.callback('onClose', at, signal, 'pending', price);
    this.partialLevels.delete(signal.id);
    this.breakevenReached.delete(signal.id);
    this.riskRemove();
    const result: TickResult = {
      action: 'closed',
      signal: publicSignal,
      currentPrice: price,
      closeReason: reason,
      closeTimestamp: at,
      pnl: publicSignal.pnl,
      ...this.names(),
      backtest: true,
      createdAt: at,
    };
    if (reason === 'closed') result.closeId = signal.closeId;
    await this.emit(result);
    return { closeTimestamp: at };
  }

  // ---- position commits (called by the commit* functions with the ambient price) ----------------

  partialClose(kind: 'profit' | 'loss', percentToClose: number, currentPrice: number): boolean {
    const signal = this.pending;
    if (!signal) return false;
    if (typeof percentToClose !== 'number' || !isFinite(percentToClose) || percentToClose <= 0 || percentToClose > 100) return false;
    if (typeof currentPrice !== 'number' || !isFinite(currentPrice) || currentPrice <= 0) return false;
    const long = signal.position === 'long';
    const eff = effectivePriceOpen(signal);
    if (!this.config.CC_ENABLE_PPPL_EVERYWHERE) {
      if (kind === 'profit' && (long ? currentPrice <= eff : currentPrice >= eff)) return false;
      if (kind === 'loss' && (long ? currentPrice >= eff : currentPrice <= eff)) return false;
    }
    if (kind === 'profit') {
      const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
      if (long ? currentPrice >= take : currentPrice <= take) return false;
    } else {
      const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
      if (long ? currentPrice <= stop : currentPrice >= stop) return false;
    }
    const { totalClosedPercent, remainingCostBasis } = totalClosed(signal, this.config);
    const invested = (signal._entry ?? []).reduce((s, e) => s + e.cost, 0) || (signal.cost ?? this.config.CC_POSITION_ENTRY_COST);
    const dollars = (percentToClose / 100) * remainingCostBasis;
    if ((totalClosedPercent / 100) * invested + dollars > invested * PARTIAL_CAP_TOLERANCE_FACTOR) return false;
    signal._partial ??= [];
    signal._partial.push({ type: kind, percent: percentToClose, currentPrice, costBasisAtClose: remainingCostBasis, entryCountAtClose: signal._entry ? signal._entry.length : 1, timestamp: this.when });
    const after = totalClosed(signal, this.config).remainingCostBasis;
    if (after <= invested * PARTIAL_FULL_CLOSE_EPSILON) {
      this.closedSignal = Object.assign({}, signal, { closeId: undefined, closeNote: 'full_partial_close' });
      this.pending = null;
    }
    return true;
  }

  trailingStop(percentShift: number, currentPrice: number): boolean {
    const signal = this.pending;
    if (!signal || !this.validShift(percentShift, currentPrice)) return false;
    const long = signal.position === 'long';
    const eff = effectivePriceOpen(signal);
    const distance = Math.abs(((eff - signal.priceStopLoss) / eff) * 100) + percentShift;
    const next = long ? eff * (1 - distance / 100) : eff * (1 + distance / 100);
    if (long ? currentPrice < next : currentPrice > next) return false;
    const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
    if (long ? next >= take : next <= take) return false;
    const current = signal._trailingPriceStopLoss;
    if (current !== undefined && !this.config.CC_ENABLE_TRAILING_EVERYWHERE && (long ? next <= current : next >= current)) return false;
    signal._trailingPriceStopLoss = next;
    return true;
  }

  trailingTake(percentShift: number, currentPrice: number): boolean {
    const signal = this.pending;
    if (!signal || !this.validShift(percentShift, currentPrice)) return false;
    const long = signal.position === 'long';
    const eff = effectivePriceOpen(signal);
    const distance = Math.abs(((signal.priceTakeProfit - eff) / eff) * 100) + percentShift;
    const next = long ? eff * (1 + distance / 100) : eff * (1 - distance / 100);
    if (long ? currentPrice > next : currentPrice < next) return false;
    const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
    if (long ? next <= stop : next >= stop) return false;
    const current = signal._trailingPriceTakeProfit;
    if (current !== undefined && !this.config.CC_ENABLE_TRAILING_EVERYWHERE && (long ? next >= current : next <= current)) return false;
    signal._trailingPriceTakeProfit = next;
    return true;
  }

  private validShift(percentShift: number, currentPrice: number): boolean {
    if (typeof percentShift !== 'number' || !isFinite(percentShift) || percentShift < -100 || percentShift > 100 || percentShift === 0) return false;
    return typeof currentPrice === 'number' && isFinite(currentPrice) && currentPrice > 0;
  }

  breakeven(currentPrice: number): boolean {
    const signal = this.pending;
    if (!signal || typeof currentPrice !== 'number' || !isFinite(currentPrice) || currentPrice <= 0) return false;
    const long = signal.position === 'long';
    const price = effectivePriceOpen(signal);
    const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
    if (long ? price >= take : price <= take) return false;
    const threshold = (this.config.CC_PERCENT_SLIPPAGE + this.config.CC_PERCENT_FEE) * 2 + this.config.CC_BREAKEVEN_THRESHOLD;
    const reached = long ? currentPrice >= price * (1 + threshold / 100) : currentPrice <= price * (1 - threshold / 100);
    const trailing = signal._trailingPriceStopLoss;
    if (trailing !== undefined) {
      if (long ? trailing > price : trailing < price) return true; // already protecting profit
      if (!reached || (long ? price <= trailing : price >= trailing)) return false;
    } else if (!reached || (long ? signal.priceStopLoss >= price : signal.priceStopLoss <= price)) return false;
    if (long ? currentPrice < price : currentPrice > price) return false;
    signal._trailingPriceStopLoss = price;
    return true;
  }

  averageBuy(currentPrice: number, cost: number): boolean {
    const signal = this.pending;
    if (!signal || typeof currentPrice !== 'number' || !isFinite(currentPrice) || currentPrice <= 0) return false;
    if (!signal._entry || signal._entry.length === 0) signal._entry = [{ price: signal.priceOpen, cost: signal.cost ?? this.config.CC_POSITION_ENTRY_COST, timestamp: this.when }];
    if (!this.config.CC_ENABLE_DCA_EVERYWHERE) {
      if (signal.position === 'long' && currentPrice >= Math.min(...signal._entry.map((e) => e.price))) return false;
      if (signal.position === 'short' && currentPrice <= Math.max(...signal._entry.map((e) => e.price))) return false;
    }
    signal._entry.push({ price: currentPrice, cost, timestamp: this.when });
    return true;
  }

  requestClosePending(payload: { id?: string; note?: string }): void {
    if (!this.pending) return;
    this.closedSignal = Object.assign({}, this.pending, { closeId: payload.id, closeNote: payload.note });
    this.pending = null;
  }

  requestActivateScheduled(payload: { id?: string; note?: string }): void {
    if (!this.scheduled) return;
    this.activatedSignal = Object.assign({}, this.scheduled, { activateId: payload.id, activateNote: payload.note });
    this.scheduled = null;
  }

  requestCancelScheduled(payload: { id?: string; note?: string }): void {
    if (!this.scheduled) return;
    this.cancelledSignal = Object.assign({}, this.scheduled, { cancelId: payload.id, cancelNote: payload.note });
    this.scheduled = null;
  }

  publicOf(kind: 'scheduled' | 'pending', signal: SignalRow, price: number): Record<string, unknown> & { pnl: unknown } {
    return toPublicSignal(kind, signal, price, this.config) as Record<string, unknown> & { pnl: unknown };
  }

  pnlOf(signal: SignalRow, price: number): ReturnType<typeof profitLoss> {
    return profitLoss(signal, price, this.config);
  }

  invested(signal: SignalRow): number {
    return totalInvested(signal, this.config);
  }

  // ---- risk ---------------------------------------------------------------------------------------

  private riskNames(): string[] {
    const s = this.strategy;
    return [...(s.riskName ? [s.riskName] : []), ...(s.riskList ?? [])];
  }

  private riskKey(): string {
    return `${this.strategyName}_${this.exchangeName}_${this.symbol}`;
  }

  /** Runs the strategy's risk validations; the first rejection wins and is reported (risk.rejection). */
  private async riskCheck(signal: Record<string, unknown>, currentPrice: number, timestamp: number, reserve: boolean): Promise<boolean> {
    const names = this.riskNames();
    if (names.length === 0) return true;
    for (const riskName of names) {
      const schema = this.options.registrations.risks.get(riskName)!;
      const positions = this.positionsOf(riskName);
      const currentSignal = this.riskSignal(signal, currentPrice, timestamp);
      const params = { symbol: this.symbol, strategyName: this.strategyName, exchangeName: this.exchangeName, frameName: this.frameName, riskName, currentPrice, timestamp, currentSignal };
      const payload = { ...params, activePositionCount: positions.size, activePositions: [...positions.values()] };
      const rejection = await this.runValidations(schema, payload, timestamp);
      if (rejection) {
        const event = {
          symbol: this.symbol,
          currentSignal,
          strategyName: this.strategyName,
          exchangeName: this.exchangeName,
          currentPrice,
          activePositionCount: positions.size,
          rejectionId: rejection.id,
          rejectionNote: rejection.note,
          frameName: this.frameName,
          timestamp,
          when: new Date(timestamp),
          backtest: true,
        };
        this.options.onNotice?.('risk', `${riskName} rejected a ${String(signal.position)} signal: ${rejection.note}`, timestamp);
        await this.emitListeners('risk', event, timestamp);
        const onRejected = schema.callbacks?.onRejected;
        if (onRejected) await this.callUser(timestamp, () => onRejected(this.symbol, params));
        return false;
      }
      if (reserve) {
        positions.set(this.riskKey(), {
          strategyName: this.strategyName,
          exchangeName: this.exchangeName,
          frameName: this.frameName,
          symbol: this.symbol,
          position: signal.position,
          priceOpen: (signal.priceOpen as number | undefined) ?? currentPrice,
          priceStopLoss: signal.priceStopLoss,
          priceTakeProfit: signal.priceTakeProfit,
          minuteEstimatedTime: (signal.minuteEstimatedTime as number | undefined) ?? this.config.CC_MAX_SIGNAL_LIFETIME_MINUTES,
          openTimestamp: timestamp,
        });
      }
      const onAllowed = schema.callbacks?.onAllowed;
      if (onAllowed) await this.callUser(timestamp, () => onAllowed(this.symbol, params));
    }
    return true;
  }

  private async runValidations(schema: RiskSchema, payload: Record<string, unknown>, timestamp: number): Promise<{ id: string | null; note: string } | null> {
    for (const validation of schema.validations ?? []) {
      const fn: AnyFn = typeof validation === 'function' ? validation : validation.validate;
      let rejection: unknown;
      try {
        this.when = timestamp;
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

  private riskSignal(signal: Record<string, unknown>, currentPrice: number, timestamp: number): Record<string, unknown> {
    const s = signal as Partial<SignalRow> & Record<string, unknown>;
    const priceOpen = (s.priceOpen as number | undefined) ?? currentPrice;
    const scheduledPnl = s._isScheduled !== false;
    const pnl = scheduledPnl ? { ...ZERO_PNL } : profitLoss({ ...(s as SignalRow), priceOpen }, currentPrice, this.config);
    return {
      ...structuredClone(s),
      cost: (s.cost as number) || this.config.CC_POSITION_ENTRY_COST,
      multiplier: s.multiplier ?? this.config.CC_SIGNAL_LEVERAGE_MULTIPLIER,
      isolated: s.isolated ?? this.config.CC_SIGNAL_ISOLATED_MARGIN,
      timestamp: s.timestamp ?? timestamp,
      totalEntries: 1,
      totalPartials: 0,
      priceOpen,
      priceStopLoss: s._trailingPriceStopLoss ?? s.priceStopLoss,
      priceTakeProfit: s._trailingPriceTakeProfit ?? s.priceTakeProfit,
      originalPriceStopLoss: s.priceStopLoss,
      originalPriceTakeProfit: s.priceTakeProfit,
      originalPriceOpen: priceOpen,
      partialExecuted: Array.isArray(s._partial) ? totalClosed(s as SignalRow, this.config).totalClosedPercent : 0,
      pnl,
      maxDrawdown: pnl,
      peakProfit: pnl,
    };
  }

  private positionsOf(riskName: string): Map<string, Record<string, unknown>> {
    let map = this.riskPositions.get(riskName);
    if (!map) this.riskPositions.set(riskName, (map = new Map()));
    return map;
  }

  private riskAdd(signal: SignalRow, timestamp: number): void {
    for (const riskName of this.riskNames()) {
      this.positionsOf(riskName).set(this.riskKey(), {
        strategyName: this.strategyName,
        exchangeName: this.exchangeName,
        frameName: this.frameName,
        symbol: this.symbol,
        position: signal.position,
        priceOpen: signal.priceOpen,
        priceStopLoss: signal.priceStopLoss,
        priceTakeProfit: signal.priceTakeProfit,
        minuteEstimatedTime: signal.minuteEstimatedTime,
        openTimestamp: timestamp,
      });
    }
  }

  private riskRemove(): void {
    for (const riskName of this.riskNames()) this.positionsOf(riskName).delete(this.riskKey());
  }

  // ---- user code and events -----------------------------------------------------------------------

  /** Runs strategy code at moment `when`; an error in it ends the run (see StrategyCodeError). */
  async callUser(when: number, fn: () => unknown): Promise<void> {
    const saved = this.when;
    this.when = when;
    try {
      await fn();
    } catch (error) {
      throw error instanceof StrategyCodeError ? error : new StrategyCodeError(`strategy callback at ${new Date(when).toISOString()}`, error);
    } finally {
      this.when = saved;
    }
  }

  private async callback(name: 'onOpen' | 'onClose' | 'onSchedule' | 'onCancel', when: number, signal: SignalRow, kind: 'scheduled' | 'pending', price: number): Promise<void> {
    const cb = this.strategy.callbacks?.[name];
    if (cb) await this.callUser(when, () => cb(this.symbol, this.publicOf(kind, signal, price), price, new Date(when), true));
  }

  private hasListeners(kind: ListenerKind): boolean {
    for (const l of this.listeners) if (l.kind === kind) return true;
    return false;
  }

  /** Calls the `kind` listeners with `event`, strategy code seeing moment `at`. */
  private async emitListeners(kind: ListenerKind, event: unknown, at = this.when): Promise<void> {
    for (const l of [...this.listeners]) {
      if (l.kind !== kind) continue;
      if (l.filter && !l.filter(event)) continue;
      if (l.once) this.listeners.splice(this.listeners.indexOf(l), 1);
      await this.callUser(at, () => l.fn(event));
    }
  }

  private async emit(result: TickResult): Promise<void> {
    const onTick = this.strategy.callbacks?.onTick;
    if (onTick) await this.callUser(result.createdAt, () => onTick(this.symbol, result, result.currentPrice, new Date(result.createdAt), true));
    if (result.action !== 'idle') await this.options.onResult?.(result);
    await this.emitListeners('signalBacktest', result, result.createdAt);
    await this.emitListeners('signal', result, result.createdAt);
  }
}
