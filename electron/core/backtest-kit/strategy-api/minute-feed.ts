import type { Candle } from '../../../../shared/candles';

/** One-minute candles as parallel columns (the engine's CandleColumns has this shape). */
export interface CandleColumnsLike {
  length: number;
  timestamp: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
}

export const MINUTE_MS = 60_000;

export const INTERVAL_MINUTES: Record<string, number> = {
  '1m': 1,
  '3m': 3,
  '5m': 5,
  '15m': 15,
  '30m': 30,
  '1h': 60,
  '2h': 120,
  '4h': 240,
  '6h': 360,
  '8h': 480,
  '1d': 1440,
};

/** backtest-kit's candle shape is ours (shared/candles). */
export type CandleData = Candle;

export class MissingCandlesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingCandlesError';
  }
}

/**
 * One symbol's stored one-minute candles as a dense, minute-indexed series: the candle opening at
 * `base + k·60 s` is at index k. backtest-kit asks its exchange for exactly `limit` consecutive
 * candles; the exchange here is our candle store, so a minute the store lacks is answered the way
 * a gap-free exchange would show it: a flat candle at the previous close with zero volume (also
 * after the last stored candle). Before the first stored candle there is nothing to answer with:
 * that is an error, as an exchange without the data would give.
 */
export class MinuteFeed {
  readonly base: number;
  readonly length: number;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  private readonly lastClose: number;

  constructor(
    cols: CandleColumnsLike,
    readonly symbol: string,
  ) {
    if (cols.length === 0) throw new MissingCandlesError(`no stored 1m candles for ${symbol}`);
    const first = cols.timestamp[0]!;
    const last = cols.timestamp[cols.length - 1]!;
    if (first % MINUTE_MS !== 0) throw new Error(`${symbol}: 1m candle timestamps must be whole minutes (got ${first})`);
    const n = Math.round((last - first) / MINUTE_MS) + 1;
    if (n > 60_000_000) throw new Error(`${symbol}: the candle range spans ${n} minutes, too long for one run`);
    this.base = first;
    this.length = n;
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    this.volume = new Float64Array(n);
    let prevClose = cols.close[0]!;
    let k = 0;
    for (let i = 0; i < cols.length; i++) {
      const at = Math.round((cols.timestamp[i]! - first) / MINUTE_MS);
      if (at < k) continue; // duplicate timestamp: the first one stays
      for (; k < at; k++) this.flat(k, prevClose);
      this.open[k] = cols.open[i]!;
      this.high[k] = cols.high[i]!;
      this.low[k] = cols.low[i]!;
      this.close[k] = cols.close[i]!;
      this.volume[k] = cols.volume[i]!;
      prevClose = cols.close[i]!;
      k++;
    }
    this.lastClose = prevClose;
  }

  private flat(k: number, price: number): void {
    this.open[k] = price;
    this.high[k] = price;
    this.low[k] = price;
    this.close[k] = price;
    this.volume[k] = 0;
  }

  /** Index of the candle opening at `timestamp` (a whole minute); may be past the end. */
  indexOf(timestamp: number): number {
    const k = (timestamp - this.base) / MINUTE_MS;
    if (k < 0) {
      throw new MissingCandlesError(
        `${this.symbol}: no stored 1m candle at ${new Date(timestamp).toISOString()} (the first is at ${new Date(this.base).toISOString()}); import earlier candles or start the frame later`,
      );
    }
    return k;
  }

  openAt(k: number): number {
    return k < this.length ? this.open[k]! : this.lastClose;
  }
  highAt(k: number): number {
    return k < this.length ? this.high[k]! : this.lastClose;
  }
  lowAt(k: number): number {
    return k < this.length ? this.low[k]! : this.lastClose;
  }
  closeAt(k: number): number {
    return k < this.length ? this.close[k]! : this.lastClose;
  }
  volumeAt(k: number): number {
    return k < this.length ? this.volume[k]! : 0;
  }

  /**
   * Volume-weighted typical price ((high + low + close) / 3) of the candles [from, to] by index; the
   * mean close when they have no volume. Summed in backtest-kit's order, so it is bit-identical.
   */
  vwap(from: number, to: number): number {
    let pv = 0;
    for (let k = from; k <= to; k++) pv = pv + ((this.highAt(k) + this.lowAt(k) + this.closeAt(k)) / 3) * this.volumeAt(k);
    let vol = 0;
    for (let k = from; k <= to; k++) vol = vol + this.volumeAt(k);
    if (vol === 0) {
      let sum = 0;
      for (let k = from; k <= to; k++) sum = sum + this.closeAt(k);
      return sum / (to - from + 1);
    }
    return pv / vol;
  }

  /** One candle of `stepMinutes` minutes opening at minute index `k` (aggregated from 1m candles). */
  candle(k: number, stepMinutes: number): CandleData {
    const timestamp = this.base + k * MINUTE_MS;
    if (stepMinutes === 1) {
      return { timestamp, open: this.openAt(k), high: this.highAt(k), low: this.lowAt(k), close: this.closeAt(k), volume: this.volumeAt(k) };
    }
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    for (let j = k; j < k + stepMinutes; j++) {
      high = Math.max(high, this.highAt(j));
      low = Math.min(low, this.lowAt(j));
      volume += this.volumeAt(j);
    }
    return { timestamp, open: this.openAt(k), high, low, close: this.closeAt(k + stepMinutes - 1), volume };
  }

  /**
   * backtest-kit's getCandles at `when`: the `limit` candles of `interval` that opened before the
   * start of the interval containing `when`, oldest first.
   */
  candlesBefore(when: number, interval: string, limit: number): CandleData[] {
    const step = INTERVAL_MINUTES[interval];
    if (!step) throw new Error(`getCandles: unknown interval ${interval}`);
    if (!Number.isInteger(limit) || limit <= 0) throw new Error(`getCandles: limit must be a positive integer, got ${String(limit)}`);
    const stepMs = step * MINUTE_MS;
    const since = Math.floor(when / stepMs) * stepMs - limit * stepMs;
    const first = this.indexOf(since);
    const out: CandleData[] = new Array(limit);
    for (let i = 0; i < limit; i++) out[i] = this.candle(first + i * step, step);
    return out;
  }
}
