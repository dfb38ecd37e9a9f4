import { z } from 'zod';
import { INTERVALS, type Candle, type Interval } from '../../../shared/candles';
import type { Position } from '../../../shared/domain/runs';
import type { CandleColumns } from './columnar';
import type { IndicatorSet } from './indicators';

/**
 * The strategy module format. A module default-exports a definition (or a factory receiving
 * `{ z, defineStrategy }`, so a user file needs no imports at all):
 *
 *   export default defineStrategy({
 *     name: 'my-sma', interval: '1m',
 *     params: z.object({ fast: z.number().int().min(2).default(10), ... }),
 *     getSignal(ctx) { ... return { position: 'long', priceTakeProfit, priceStopLoss, minuteEstimatedTime } },
 *   });
 */

/** What getSignal returns to open a position. Without `priceOpen` it opens at market (the current price). */
export interface StrategySignal {
  position: Position;
  /** Present: the signal is scheduled until the price reaches it. */
  priceOpen?: number;
  priceTakeProfit: number;
  priceStopLoss: number;
  /** Lifetime once opened; the position closes with `time_expired` after it. */
  minuteEstimatedTime: number;
  note?: string;
}

export const strategySignalSchema = z
  .object({
    position: z.enum(['long', 'short']),
    priceOpen: z.number().finite().positive().optional(),
    priceTakeProfit: z.number().finite().positive(),
    priceStopLoss: z.number().finite().positive(),
    minuteEstimatedTime: z.number().finite().positive(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** Session data per (strategy, exchange, frame, symbol, backtest). */
export interface SessionAccess {
  get<T = unknown>(): Promise<T | null>;
  set(value: unknown): Promise<void>;
}
/** A strategy's state per (signalId, bucketName). */
export interface StateAccess {
  get<T = unknown>(signalId: string, bucketName: string): Promise<T | null>;
  set(signalId: string, bucketName: string, value: unknown): Promise<void>;
}
/** A strategy's notes per (signalId, bucketName, memoryId). */
export interface MemoryAccess {
  get<T = unknown>(signalId: string, bucketName: string, memoryId: string): Promise<T | null>;
  set(signalId: string, bucketName: string, memoryId: string, value: unknown): Promise<void>;
}

export interface StrategyContext<P = Record<string, unknown>> {
  symbol: string;
  /** Close time of the current candle, ms: the moment the strategy is evaluated. */
  time: number;
  /** The current price: the current candle's close. */
  price: number;
  params: P;
  backtest: boolean;
  /**
   * The id a signal returned from this call will carry (deterministic: run, symbol, time). Use it to
   * key State and Memory entries about that signal.
   */
  signalId: string;
  /** Index of the current candle in `candles`. */
  index: number;
  /** Every candle seen so far (indices 0..index) as typed-array columns; read, never write. */
  candles: CandleColumns;
  /** The last `count` candles as objects, oldest first (allocates: prefer `candles` in hot code). */
  recent(count: number): Candle[];
  indicators: IndicatorSet;
  session: SessionAccess;
  state: StateAccess;
  memory: MemoryAccess;
}

export type ParamsSchema = z.ZodObject;

/** A strategy written for backtest-kit: a file that registers it with addStrategySchema. */
export interface BacktestKitSource {
  file: string;
  /** The name it registered (a file may register several). */
  strategyName: string;
}

export interface StrategyDefinition<S extends ParamsSchema = ParamsSchema> {
  name: string;
  description?: string;
  /** Present for backtest-kit strategy files: runs get our backtest-kit API instead of getSignal(ctx). */
  backtestKit?: BacktestKitSource;
  /**
   * Candles a run needs around its range: backtest-kit strategies look back before the first tick
   * (getCandles, the VWAP) and the frame closes on the candle after the last one. `interval`: the
   * candles its runs read whatever the run's interval (backtest-kit files: 1m, the run's interval
   * being their frame's).
   */
  candleWindow?: { beforeMs: number; afterMs: number; interval?: Interval };
  /** How often getSignal is evaluated; candles of a finer frame interval are skipped in between. */
  interval: Interval;
  params: S;
  getSignal(context: StrategyContext<z.output<S>>): StrategySignal | null | Promise<StrategySignal | null>;
}

export function defineStrategy<S extends ParamsSchema>(definition: StrategyDefinition<S>): StrategyDefinition<S> {
  return definition;
}

export interface StrategyKit {
  z: typeof z;
  defineStrategy: typeof defineStrategy;
}

export const STRATEGY_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,79}$/;

const definitionShape = z.object({
  name: z.string().regex(STRATEGY_NAME_PATTERN, 'letters, digits, ".", "_" or "-", at most 80, starting with a letter or digit'),
  description: z.string().optional(),
  interval: z.enum(INTERVALS),
  params: z.custom<ParamsSchema>((v) => v instanceof z.ZodObject, 'must be a zod object schema (z.object({...}))'),
  getSignal: z.custom<StrategyDefinition['getSignal']>((v) => typeof v === 'function', 'must be a function'),
});

export class InvalidStrategyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStrategyError';
  }
}

/** Checks a module's default export and returns the definition; the error names every bad field. */
export function validateStrategyExport(value: unknown, origin: string): StrategyDefinition {
  const resolved = typeof value === 'function' ? (value as (kit: StrategyKit) => unknown)({ z, defineStrategy }) : value;
  const parsed = definitionShape.safeParse(resolved);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(export)'}: ${i.message}`).join('; ');
    throw new InvalidStrategyError(`${origin}: default export is not a strategy definition: ${issues}`);
  }
  const def = resolved as StrategyDefinition;
  const defaults = def.params.safeParse({});
  if (!defaults.success) {
    const issues = defaults.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvalidStrategyError(`${origin}: every parameter needs a default (so a run can start without a form): ${issues}`);
  }
  return def;
}

/** Parses run parameters against the strategy's schema; the error names each bad parameter. */
export function parseStrategyParams<S extends ParamsSchema>(def: StrategyDefinition<S>, params: unknown): z.output<S> {
  const parsed = def.params.safeParse(params ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    throw new InvalidStrategyError(`invalid parameters for strategy "${def.name}": ${issues}`);
  }
  return parsed.data;
}
