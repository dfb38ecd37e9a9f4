import type { Candle } from '../../../shared/candles';
import type { CandleBucket } from './candle-store';

/**
 * One candle series held as sorted float64 columns (48 bytes a candle): the chart's overview and
 * zoomed windows are folded from here in a few milliseconds, where MongoDB would group a million
 * documents. Values are stored as given, so buckets come out exactly as the database computes them.
 */
export class CandleColumns {
  private ts: Float64Array;
  private o: Float64Array;
  private h: Float64Array;
  private l: Float64Array;
  private c: Float64Array;
  private v: Float64Array;
  private n = 0;

  constructor(capacity = 1024) {
    const size = Math.max(16, capacity);
    this.ts = new Float64Array(size);
    this.o = new Float64Array(size);
    this.h = new Float64Array(size);
    this.l = new Float64Array(size);
    this.c = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  get length(): number {
    return this.n;
  }

  /** Bytes held by the columns (for the cache's memory budget). */
  get bytes(): number {
    return this.ts.length * 8 * 6;
  }

  private grow(min: number): void {
    if (min <= this.ts.length) return;
    let size = this.ts.length;
    while (size < min) size *= 2;
    const widen = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.ts = widen(this.ts);
    this.o = widen(this.o);
    this.h = widen(this.h);
    this.l = widen(this.l);
    this.c = widen(this.c);
    this.v = widen(this.v);
  }

  private put(i: number, k: Candle): void {
    this.ts[i] = k.timestamp;
    this.o[i] = k.open;
    this.h[i] = k.high;
    this.l[i] = k.low;
    this.c[i] = k.close;
    this.v[i] = k.volume;
  }

  /** First index whose timestamp is >= `t`. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Stores `candles` the way an upsert does: a timestamp already held is replaced, a new one is
   * inserted in order. The common case, newer candles than any held, is an append.
   */
  upsert(candles: readonly Candle[]): void {
    if (candles.length === 0) return;
    const sorted = isSortedUnique(candles) ? candles : dedupeSorted(candles);
    if (this.n === 0 || sorted[0]!.timestamp > this.ts[this.n - 1]!) {
      this.grow(this.n + sorted.length);
      for (const k of sorted) this.put(this.n++, k);
      return;
    }
    // General case: merge two sorted runs into fresh columns, the incoming candle winning a tie.
    const merged = new CandleColumns(this.n + sorted.length);
    let i = 0;
    let j = 0;
    while (i < this.n || j < sorted.length) {
      const held = i < this.n ? this.ts[i]! : Infinity;
      const incoming = j < sorted.length ? sorted[j]!.timestamp : Infinity;
      if (incoming <= held) {
        merged.put(merged.n++, sorted[j++]!);
        if (incoming === held) i++;
      } else {
        merged.ts[merged.n] = held;
        merged.o[merged.n] = this.o[i]!;
        merged.h[merged.n] = this.h[i]!;
        merged.l[merged.n] = this.l[i]!;
        merged.c[merged.n] = this.c[i]!;
        merged.v[merged.n] = this.v[i]!;
        merged.n++;
        i++;
      }
    }
    Object.assign(this, { ts: merged.ts, o: merged.o, h: merged.h, l: merged.l, c: merged.c, v: merged.v, n: merged.n });
  }

  /** The held candles as six float64 columns back to back (timestamp, open, high, low, close, volume). */
  toBytes(): Buffer {
    const out = Buffer.alloc(this.n * 8 * 6);
    [this.ts, this.o, this.h, this.l, this.c, this.v].forEach((column, k) => {
      Buffer.from(column.buffer, column.byteOffset, this.n * 8).copy(out, k * this.n * 8);
    });
    return out;
  }

  /** The inverse of `toBytes()`; `length` candles. */
  static fromBytes(bytes: Uint8Array, length: number): CandleColumns {
    if (bytes.byteLength !== length * 8 * 6) throw new RangeError(`expected ${length * 48} bytes for ${length} candles, got ${bytes.byteLength}`);
    const cols = new CandleColumns(length);
    const copy = new Uint8Array(bytes); // aligned for Float64Array
    const all = new Float64Array(copy.buffer, copy.byteOffset, length * 6);
    [cols.ts, cols.o, cols.h, cols.l, cols.c, cols.v].forEach((column, k) => column.set(all.subarray(k * length, (k + 1) * length)));
    cols.n = length;
    return cols;
  }

  /** Oldest timestamp in `[from, to)`, if any. */
  oldest(from = -Infinity, to = Infinity): number | undefined {
    const i = this.lowerBound(from);
    return i < this.n && this.ts[i]! < to ? this.ts[i] : undefined;
  }

  /** Newest timestamp in `[from, to)`, if any. */
  newest(from = -Infinity, to = Infinity): number | undefined {
    const i = this.lowerBound(to) - 1;
    return i >= 0 && this.ts[i]! >= from ? this.ts[i] : undefined;
  }

  /** Candles of `[from, to)`, oldest first. */
  range(from = -Infinity, to = Infinity): Candle[] {
    const out: Candle[] = [];
    for (let i = this.lowerBound(from); i < this.n && this.ts[i]! < to; i++) {
      out.push({ timestamp: this.ts[i]!, open: this.o[i]!, high: this.h[i]!, low: this.l[i]!, close: this.c[i]!, volume: this.v[i]! });
    }
    return out;
  }

  /**
   * OHLCV buckets of `bucketMs` starting at `origin + k * bucketMs` over `[from, to)`, oldest first:
   * open = first open, high = max, low = min, close = last close, volume = sum (in time order).
   */
  buckets(from: number, to: number, origin: number, bucketMs: number): CandleBucket[] {
    const out: CandleBucket[] = [];
    let current: CandleBucket | undefined;
    for (let i = this.lowerBound(from); i < this.n && this.ts[i]! < to; i++) {
      const t = this.ts[i]!;
      const start = t - ((t - origin) % bucketMs);
      if (current?.timestamp !== start) {
        current = { timestamp: start, open: this.o[i]!, high: this.h[i]!, low: this.l[i]!, close: this.c[i]!, volume: this.v[i]!, count: 1 };
        out.push(current);
      } else {
        if (this.h[i]! > current.high) current.high = this.h[i]!;
        if (this.l[i]! < current.low) current.low = this.l[i]!;
        current.close = this.c[i]!;
        current.volume += this.v[i]!;
        current.count++;
      }
    }
    return out;
  }
}

function isSortedUnique(candles: readonly Candle[]): boolean {
  for (let i = 1; i < candles.length; i++) if (candles[i]!.timestamp <= candles[i - 1]!.timestamp) return false;
  return true;
}

/** Sorted by time; of two candles with one timestamp the later one in the input wins, as with upserts. */
function dedupeSorted(candles: readonly Candle[]): Candle[] {
  const byTime = new Map<number, Candle>();
  for (const k of candles) byTime.set(k.timestamp, k);
  return [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
}
