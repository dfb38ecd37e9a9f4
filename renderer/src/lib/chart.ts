/** A visible slice [start, end) of a candle series. */
export interface ViewWindow {
  start: number;
  end: number;
}

const MIN_BARS = 20;

/**
 * Zooms around an anchor (0..1 across the plot): the candle under the cursor stays under it.
 * `factor` < 1 zooms in, > 1 zooms out.
 */
export function zoomWindow(w: ViewWindow, count: number, factor: number, anchor = 0.5): ViewWindow {
  const size = w.end - w.start;
  const next = Math.round(Math.min(count, Math.max(Math.min(MIN_BARS, count), size * factor)));
  const pivot = w.start + size * Math.min(1, Math.max(0, anchor));
  let start = Math.round(pivot - next * anchor);
  start = Math.max(0, Math.min(count - next, start));
  return { start, end: start + next };
}

/** Moves the window by `bars` (positive: later), clamped to the series. */
export function panWindow(w: ViewWindow, count: number, bars: number): ViewWindow {
  const size = w.end - w.start;
  const start = Math.max(0, Math.min(count - size, Math.round(w.start + bars)));
  return { start, end: start + size };
}

/**
 * Pixel geometry of one candle inside the floating bar recharts draws for [low, high]: `y` is the
 * pixel of the high, `height` spans to the low.
 */
export function candleGeometry(y: number, height: number, c: { open: number; high: number; low: number; close: number }) {
  const span = c.high - c.low;
  const perUnit = span > 0 ? height / span : 0;
  const yOpen = y + (c.high - c.open) * perUnit;
  const yClose = y + (c.high - c.close) * perUnit;
  const bodyTop = Math.min(yOpen, yClose);
  // A flat candle (open == close) still gets a visible 1px body.
  const bodyHeight = Math.max(1, Math.abs(yOpen - yClose));
  return { wickTop: y, wickBottom: y + height, bodyTop, bodyHeight };
}

/** Index of the candle whose period contains `t` (the last one starting at or before it); -1 before the first. */
export function candleIndexAt(timestamps: readonly number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (timestamps[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return [];
  const raw = (hi - lo) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
