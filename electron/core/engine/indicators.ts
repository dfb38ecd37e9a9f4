import type { CandleColumns } from './columnar';

/**
 * Incremental indicators: each candle costs O(1) (Donchian amortised O(1)), so a strategy pays the
 * same per candle whether the run holds a thousand candles or ten million. Each indicator reads the
 * shared candle columns by index; `previous*` fields give the value one candle earlier, which is
 * what crossovers and breakouts compare against.
 */
interface Incremental {
  push(cols: CandleColumns, i: number): void;
}

function checkPeriod(kind: string, period: number): void {
  if (!Number.isInteger(period) || period < 1 || period > 100_000) {
    throw new RangeError(`${kind} period must be a whole number from 1 to 100000, got ${period}`);
  }
}

export class Sma implements Incremental {
  value = NaN;
  previous = NaN;
  private readonly window: Float64Array;
  private count = 0;
  private sum = 0;
  constructor(readonly period: number) {
    checkPeriod('SMA', period);
    this.window = new Float64Array(period);
  }
  get ready(): boolean {
    return this.count >= this.period;
  }
  push(cols: CandleColumns, i: number): void {
    const x = cols.close[i]!;
    const slot = this.count % this.period;
    if (this.count >= this.period) this.sum -= this.window[slot]!;
    this.window[slot] = x;
    this.sum += x;
    this.count++;
    this.previous = this.value;
    this.value = this.count >= this.period ? this.sum / this.period : NaN;
  }
}

export class Ema implements Incremental {
  value = NaN;
  previous = NaN;
  private readonly alpha: number;
  private count = 0;
  private seed = 0;
  constructor(readonly period: number) {
    checkPeriod('EMA', period);
    this.alpha = 2 / (period + 1);
  }
  get ready(): boolean {
    return this.count >= this.period;
  }
  push(cols: CandleColumns, i: number): void {
    const x = cols.close[i]!;
    this.count++;
    this.previous = this.value;
    if (this.count < this.period) {
      this.seed += x;
    } else if (this.count === this.period) {
      this.value = (this.seed + x) / this.period;
    } else {
      this.value += this.alpha * (x - this.value);
    }
  }
}

/** Wilder's RSI: average gain/loss seeded with a simple mean, then smoothed by 1/period. */
export class Rsi implements Incremental {
  value = NaN;
  previous = NaN;
  private count = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private lastClose = NaN;
  constructor(readonly period: number) {
    checkPeriod('RSI', period);
  }
  get ready(): boolean {
    return this.count > this.period;
  }
  push(cols: CandleColumns, i: number): void {
    const x = cols.close[i]!;
    this.count++;
    this.previous = this.value;
    if (this.count === 1) {
      this.lastClose = x;
      return;
    }
    const change = x - this.lastClose;
    this.lastClose = x;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const p = this.period;
    if (this.count <= p + 1) {
      this.avgGain += gain / p;
      this.avgLoss += loss / p;
      if (this.count < p + 1) return;
    } else {
      this.avgGain = (this.avgGain * (p - 1) + gain) / p;
      this.avgLoss = (this.avgLoss * (p - 1) + loss) / p;
    }
    this.value = this.avgLoss === 0 ? (this.avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + this.avgGain / this.avgLoss);
  }
}

/** Highest high and lowest low of the last `period` candles (the current one included). */
export class Donchian implements Incremental {
  upper = NaN;
  lower = NaN;
  previousUpper = NaN;
  previousLower = NaN;
  private count = 0;
  // Monotonic deques of candle indices in ring buffers: the front is the extreme of the window.
  private readonly maxQ: Int32Array;
  private readonly minQ: Int32Array;
  private maxHead = 0;
  private maxTail = 0;
  private minHead = 0;
  private minTail = 0;
  constructor(readonly period: number) {
    checkPeriod('Donchian', period);
    this.maxQ = new Int32Array(period + 1);
    this.minQ = new Int32Array(period + 1);
  }
  get ready(): boolean {
    return this.count >= this.period;
  }
  get middle(): number {
    return (this.upper + this.lower) / 2;
  }
  push(cols: CandleColumns, i: number): void {
    const cap = this.period + 1;
    const high = cols.high;
    const low = cols.low;
    const oldest = i - this.period;
    while (this.maxHead !== this.maxTail && this.maxQ[this.maxHead]! <= oldest) this.maxHead = (this.maxHead + 1) % cap;
    while (this.minHead !== this.minTail && this.minQ[this.minHead]! <= oldest) this.minHead = (this.minHead + 1) % cap;
    while (this.maxHead !== this.maxTail) {
      const back = (this.maxTail - 1 + cap) % cap;
      if (high[this.maxQ[back]!]! > high[i]!) break;
      this.maxTail = back;
    }
    this.maxQ[this.maxTail] = i;
    this.maxTail = (this.maxTail + 1) % cap;
    while (this.minHead !== this.minTail) {
      const back = (this.minTail - 1 + cap) % cap;
      if (low[this.minQ[back]!]! < low[i]!) break;
      this.minTail = back;
    }
    this.minQ[this.minTail] = i;
    this.minTail = (this.minTail + 1) % cap;
    this.count++;
    this.previousUpper = this.upper;
    this.previousLower = this.lower;
    if (this.count >= this.period) {
      this.upper = high[this.maxQ[this.maxHead]!]!;
      this.lower = low[this.minQ[this.minHead]!]!;
    }
  }
}

/** How much history an indicator needs to reach the value it would have had from the start. */
type Warmup = 'window' | 'all';

/**
 * The indicator helpers a strategy sees as `context.indicators`. An indicator is created on first
 * use, caught up on the candles already seen (so its value never depends on when the strategy first
 * asked, e.g. after a resume), and from then on advanced once per candle by the engine.
 */
export class IndicatorSet {
  private readonly all: Incremental[] = [];
  private readonly smas = new Map<number, Sma>();
  private readonly emas = new Map<number, Ema>();
  private readonly rsis = new Map<number, Rsi>();
  private readonly donchians = new Map<number, Donchian>();
  private cols: CandleColumns;
  private cursor = -1;

  constructor(cols: CandleColumns) {
    this.cols = cols;
  }

  /** The engine calls this once per candle, before the strategy, with the candle's index. */
  advance(cols: CandleColumns, i: number): void {
    this.cols = cols;
    this.cursor = i;
    const all = this.all;
    for (let k = 0; k < all.length; k++) all[k]!.push(cols, i);
  }

  sma(period: number): Sma {
    return this.smas.get(period) ?? this.add(this.smas, period, new Sma(period), 'window');
  }
  ema(period: number): Ema {
    return this.emas.get(period) ?? this.add(this.emas, period, new Ema(period), 'all');
  }
  rsi(period: number): Rsi {
    return this.rsis.get(period) ?? this.add(this.rsis, period, new Rsi(period), 'all');
  }
  donchian(period: number): Donchian {
    return this.donchians.get(period) ?? this.add(this.donchians, period, new Donchian(period), 'window');
  }

  private add<T extends Incremental & { period: number }>(map: Map<number, T>, period: number, indicator: T, warmup: Warmup): T {
    const start = warmup === 'all' ? 0 : Math.max(0, this.cursor - period - 1);
    for (let i = start; i <= this.cursor; i++) indicator.push(this.cols, i);
    map.set(period, indicator);
    this.all.push(indicator);
    return indicator;
  }
}
