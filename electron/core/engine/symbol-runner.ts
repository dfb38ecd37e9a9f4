import { INTERVAL_MS, type Candle, type Interval } from '../../../shared/candles';
import { candleAt, type CandleColumns } from './columnar';
import { IndicatorSet } from './indicators';
import { signalIdFor, SignalTracker, SignalValidationError, type LifecycleConfig, type LifecycleListener, type SignalIdentity } from './signal-lifecycle';
import type { MemoryAccess, SessionAccess, StateAccess, StrategyContext, StrategyDefinition, StrategySignal } from './strategy';

export interface SymbolRunnerOptions {
  identity: SignalIdentity;
  strategy: StrategyDefinition;
  params: Record<string, unknown>;
  interval: Interval;
  lifecycle: LifecycleConfig;
  services: { session: SessionAccess; state: StateAccess; memory: MemoryAccess };
  onSignal: LifecycleListener;
  /** A signal the strategy returned that breaks a rule: reported, then ignored; the run goes on. */
  onInvalidSignal(error: SignalValidationError, time: number): void;
}

/**
 * Replays one symbol: per candle, first the pending signal meets the candle (lifecycle), then the
 * indicators advance, then, with no signal pending and on the strategy's interval, getSignal runs on
 * the candle's close. Backtests, paper replays and live feeds all go through this one loop.
 */
export class SymbolRunner {
  readonly tracker: SignalTracker;
  readonly indicators: IndicatorSet;
  private cols: CandleColumns;
  private readonly ctx: StrategyContext;
  private readonly candleMs: number;
  private readonly strategyMs: number;

  constructor(cols: CandleColumns, private readonly options: SymbolRunnerOptions) {
    this.cols = cols;
    this.candleMs = INTERVAL_MS[options.interval];
    this.strategyMs = INTERVAL_MS[options.strategy.interval];
    this.tracker = new SignalTracker(options.identity, options.lifecycle, options.onSignal);
    this.indicators = new IndicatorSet(cols);
    const recent = (count: number): Candle[] => {
      const out: Candle[] = [];
      for (let i = Math.max(0, this.ctx.index - count + 1); i <= this.ctx.index; i++) out.push(candleAt(this.cols, i));
      return out;
    };
    this.ctx = new RunnerContext(options.identity, options.params, cols, recent, this.indicators, options.services);
  }

  /** Live feeds grow (and may re-allocate) their columns. */
  setColumns(cols: CandleColumns): void {
    this.cols = cols;
    this.ctx.candles = cols;
  }

  /**
   * Processes candles [from, to). Stays synchronous while the strategy does; returns a promise only
   * once a getSignal call returns one, and then continues asynchronously.
   */
  run(from: number, to: number): void | Promise<void> {
    const cols = this.cols;
    const tracker = this.tracker;
    const indicators = this.indicators;
    const ctx = this.ctx;
    const strategy = this.options.strategy;
    const candleMs = this.candleMs;
    const strategyMs = this.strategyMs;
    const gated = strategyMs > candleMs;
    for (let i = from; i < to; i++) {
      if (tracker.current !== null) tracker.onCandle(cols, i);
      indicators.advance(cols, i);
      if (tracker.current !== null) continue;
      const time = cols.timestamp[i]! + candleMs;
      if (gated && time % strategyMs !== 0) continue;
      ctx.index = i;
      ctx.time = time;
      ctx.price = cols.close[i]!;
      const out = strategy.getSignal(ctx);
      if (out === null || out === undefined) continue;
      if (typeof (out as Promise<unknown>).then === 'function') {
        return (out as Promise<StrategySignal | null>).then(async (signal) => {
          if (signal) this.submit(signal, time, cols.close[i]!);
          await this.run(i + 1, to);
        });
      }
      this.submit(out as StrategySignal, time, ctx.price);
    }
  }

  private submit(signal: StrategySignal, time: number, price: number): void {
    try {
      this.tracker.submit(signal, time, price);
    } catch (error) {
      if (error instanceof SignalValidationError) this.options.onInvalidSignal(error, time);
      else throw error;
    }
  }
}

/**
 * The context a strategy's getSignal sees, as a class: its fields keep one shape and `time` and
 * `price` are numbers from the start, so the loop's per-candle writes of them stay in place
 * (as a literal with a getter and spread services it was an object whose number writes each
 * allocated, ~50 MB of garbage per 500,000 candles).
 */
class RunnerContext implements StrategyContext {
  readonly symbol: string;
  time = Number.NaN;
  price = Number.NaN;
  index = -1;
  readonly params: Record<string, unknown>;
  readonly backtest: boolean;
  candles: CandleColumns;
  readonly recent: (count: number) => Candle[];
  readonly indicators: IndicatorSet;
  readonly session: SessionAccess;
  readonly state: StateAccess;
  readonly memory: MemoryAccess;

  /** Private (not a property a strategy sees or a spread copies). */
  readonly #identity: SignalIdentity;

  constructor(
    identity: SignalIdentity,
    params: Record<string, unknown>,
    candles: CandleColumns,
    recent: (count: number) => Candle[],
    indicators: IndicatorSet,
    services: { session: SessionAccess; state: StateAccess; memory: MemoryAccess },
  ) {
    this.#identity = identity;
    this.symbol = identity.symbol;
    this.params = params;
    this.backtest = identity.backtest;
    this.candles = candles;
    this.recent = recent;
    this.indicators = indicators;
    this.session = services.session;
    this.state = services.state;
    this.memory = services.memory;
  }

  /** Computed on demand: building the string for every candle would tax strategies that never use it. */
  get signalId(): string {
    return signalIdFor(this.#identity.runId, this.#identity.symbol, this.time);
  }
}
