import { applyConfig, defaultConfig, type GlobalConfig } from './config';
import { StrategyCodeError } from './errors';
import { MINUTE_MS, INTERVAL_MINUTES, type MinuteFeed } from './minute-feed';
import { commitAverageBuy, commitBreakeven, commitPartialClose, commitTrailingStop, commitTrailingTake } from './position-commits';
import { liquidationPrice, profitLoss, totalInvested } from './position-math';
import { PositionMonitor, recordCloseExcursion, trackExcursion } from './position-monitor';
import { excursionAt, toPublicSignal, type SignalRow } from './public-signal';
import type { ExchangeSchema, Listener, Registrations, StrategySchema } from './registry';
import { RiskGate } from './risk-gate';
import { RunListeners } from './run-listeners';
import { signalFromDto } from './signal-from-dto';
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
 *
 * Its parts live beside it: signal-from-dto (what getSignal's answer becomes), risk-gate (risk
 * profiles), position-monitor (per-candle callbacks of an open position), position-commits (the
 * commit* functions' effects), run-listeners (listen* subscriptions).
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
  private readonly listeners: RunListeners;
  private readonly risk: RiskGate;
  private readonly monitor: PositionMonitor;
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
    this.symbol = options.symbol;
    this.feed = options.feed;
    const callAt = (when: number, fn: () => unknown): Promise<void> => this.callUser(when, fn);
    this.listeners = new RunListeners(options.registrations.listeners, callAt);
    this.risk = new RiskGate({
      ...this.names(),
      config: this.config,
      strategy,
      risks: options.registrations.risks,
      listeners: this.listeners,
      callAt,
      setWhen: (when) => {
        this.when = when;
      },
      onNotice: options.onNotice,
    });
    this.monitor = new PositionMonitor({
      symbol: this.symbol,
      names: this.names(),
      config: this.config,
      callbacks: strategy.callbacks ?? {},
      listeners: this.listeners,
      callAt,
      publicSignal: (signal, price) => this.publicOf('pending', signal, price),
    });
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
    return this.listeners.add(listener);
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
      await this.listeners.emit('doneBacktest', { backtest: true, symbol: this.symbol, strategyName: this.strategyName, exchangeName: this.exchangeName, frameName: this.frameName }, this.when);
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
    this.risk.add(signal, when);
    await this.callback('onOpen', when, signal, 'pending', signal.priceOpen);
    await this.emit({ action: 'opened', signal: this.publicOf('pending', signal, signal.priceOpen), currentPrice: signal.priceOpen, ...this.names(), backtest: true, createdAt: when });
    return this.processPending(signal, when, frameEnd, this.firstChunkEnd(when, false));
  }

  private async idle(when: number, currentPrice: number): Promise<void> {
    if (this.listeners.has('idlePing')) await this.listeners.emit('idlePing', { ...this.names(), currentPrice, backtest: true, timestamp: when, when: new Date(when) }, when);
    const cb = this.strategy.callbacks?.onIdle;
    if (cb) await this.callUser(when, () => cb(this.symbol, currentPrice, new Date(when), true));
    if (this.listeners.has('signal') || this.listeners.has('signalBacktest') || this.strategy.callbacks?.onTick) {
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
      if (!(await this.risk.check(dto, currentPrice, when, true))) {
        this.lastSignalTimestamp = null;
        return null;
      }
      reserved = this.risk.inUse;
      const row = signalFromDto(dto, currentPrice, when, { ...this.names(), config: this.config, signalId: this.options.signalId });
      if (row._isScheduled) validateScheduled(row, currentPrice, this.config);
      else validatePending(row, currentPrice, this.config);
      return row;
    } catch (error) {
      // backtest-kit 19.5.0 means to report this and go on, but its error handler itself fails (the
      // functools-kit it runs with calls the handler without its `self`), so the backtest dies:
      // the run fails here too, naming the cause.
      if (reserved) this.risk.remove();
      throw new StrategyCodeError(`getSignal at ${new Date(when).toISOString()}`, error);
    }
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
        if (!(await this.risk.check(activated, avg, t, true))) {
          this.risk.remove();
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
        if (!(await this.risk.check(signal, signal.priceOpen, t, true))) {
          this.scheduled = null;
          this.risk.remove();
          const result = { action: 'cancelled', signal: this.publicOf('scheduled', signal, avg), currentPrice: avg, closeTimestamp: t, ...this.names(), backtest: true, reason: 'user', createdAt: t };
          await this.emit(result);
          return { closeTimestamp: t };
        }
        return this.activate(signal, t, frameEnd);
      }
      if (this.listeners.has('schedulePing')) {
        await this.listeners.emit('schedulePing', { ...this.names(), currentPrice: avg, data: this.publicOf('scheduled', signal, avg), backtest: true, timestamp: t, when: new Date(t) }, t);
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
    this.risk.add(signal, t);
    await this.callback('onOpen', t, signal, 'pending', signal.priceOpen);
    await this.emit({ action: 'opened', signal: this.publicOf('pending', signal, signal.priceOpen), currentPrice: signal.priceOpen, ...this.names(), backtest: true, createdAt: t });
    return this.processPending(signal, t + MINUTE_MS, frameEnd, this.firstChunkEnd(signal.scheduledAt, true));
  }

  private async cancelScheduled(signal: SignalRow, price: number, at: number, reason: 'timeout' | 'price_reject' | 'user'): Promise<Outcome> {
    this.scheduled = null;
    this.cancelledSignal = null;
    this.risk.remove();
    await this.callback('onCancel', at, signal, 'scheduled', price);
    const result: TickResult = { action: 'cancelled', signal: this.publicOf('scheduled', signal, price), currentPrice: price, closeTimestamp: at, ...this.names(), backtest: true, reason, createdAt: at };
    if (signal.cancelId !== undefined) result.cancelId = signal.cancelId;
    await this.emit(result);
    return { closeTimestamp: at };
  }

  // ---- open positions --------------------------------------------------------------------------

  /**
   * backtest-kit replays a position without a lifetime in chunks of CC_MAX_CANDLES_PER_REQUEST
   * one-minute candles (each starting with the VWAP look-back) and reports the position as `active`
   * at the last candle of every chunk it survives. The first chunk of a market entry starts at the
   * look-back before its tick; that of a scheduled entry also spans the wait for activation.
   */
  private firstChunkEnd(tick: number, scheduled: boolean): number {
    const c = this.config;
    const lookBack = c.CC_AVG_PRICE_CANDLES_COUNT - 1;
    const candles = scheduled ? lookBack + c.CC_SCHEDULE_AWAIT_MINUTES + c.CC_MAX_CANDLES_PER_REQUEST + 1 : c.CC_MAX_CANDLES_PER_REQUEST;
    return tick + (candles - 1 - lookBack) * MINUTE_MS;
  }

  private async processPending(signal: SignalRow, start: number, frameEnd: number, firstChunkEnd: number): Promise<Outcome> {
    const feed = this.feed;
    const n = this.avgCount;
    const long = signal.position === 'long';
    const lifeMs = signal.minuteEstimatedTime * MINUTE_MS;
    const watched = this.monitor.watched;
    let chunkEnd = signal.minuteEstimatedTime === Infinity ? firstChunkEnd : Infinity;
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
      trackExcursion(signal, avg, t, this.config);
      if (watched) await this.monitor.candle(signal, avg, t);
      if (t === chunkEnd) {
        await this.emitActive(signal, avg, t);
        chunkEnd += (this.config.CC_MAX_CANDLES_PER_REQUEST - (n - 1)) * MINUTE_MS;
      }
    }
  }

  private async closePending(signal: SignalRow, price: number, reason: string, at: number): Promise<Outcome> {
    if (reason !== 'closed') recordCloseExcursion(signal, price, at, this.config);
    this.pending = null;
    this.closedSignal = null;
    const publicSignal = this.publicOf('pending', signal, price);
    await this.callback('onClose', at, signal, 'pending', price);
    this.monitor.forget(signal.id);
    this.risk.remove();
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
    const outcome = commitPartialClose(signal, kind, percentToClose, currentPrice, this.when, this.config);
    if (outcome === 'closed-all') {
      this.closedSignal = Object.assign({}, signal, { closeId: undefined, closeNote: 'full_partial_close' });
      this.pending = null;
    }
    return outcome !== 'refused';
  }

  trailingStop(percentShift: number, currentPrice: number): boolean {
    return !!this.pending && commitTrailingStop(this.pending, percentShift, currentPrice, this.config);
  }

  trailingTake(percentShift: number, currentPrice: number): boolean {
    return !!this.pending && commitTrailingTake(this.pending, percentShift, currentPrice, this.config);
  }

  breakeven(currentPrice: number): boolean {
    return !!this.pending && commitBreakeven(this.pending, currentPrice, this.config);
  }

  averageBuy(currentPrice: number, cost: number): boolean {
    return !!this.pending && commitAverageBuy(this.pending, currentPrice, cost, this.when, this.config);
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

  /** The `active` result of a position without a lifetime at the end of a candle chunk: listeners only (no onTick, as in backtest-kit). */
  private async emitActive(signal: SignalRow, price: number, at: number): Promise<void> {
    if (!this.listeners.has('signal') && !this.listeners.has('signalBacktest')) return;
    const publicSignal = this.publicOf('pending', signal, price);
    const result = { action: 'active', signal: publicSignal, currentPrice: price, ...this.names(), percentTp: 0, percentSl: 0, pnl: publicSignal.pnl, backtest: true, createdAt: at };
    await this.listeners.emit('signalBacktest', result, at);
    await this.listeners.emit('signal', result, at);
  }

  private async emit(result: TickResult): Promise<void> {
    const onTick = this.strategy.callbacks?.onTick;
    if (onTick) await this.callUser(result.createdAt, () => onTick(this.symbol, result, result.currentPrice, new Date(result.createdAt), true));
    if (result.action !== 'idle') await this.options.onResult?.(result);
    await this.listeners.emit('signalBacktest', result, result.createdAt);
    await this.listeners.emit('signal', result, result.createdAt);
  }
}
