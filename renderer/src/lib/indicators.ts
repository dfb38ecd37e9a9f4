import type { Candle, StrategyParams } from '../../../shared/contract/domain';

/**
 * The built-in strategies' indicators, recomputed over the candles a chart shows so a trader can see
 * why a trade opened. Values before the warm-up are null (no line is drawn there).
 */

export function sma(values: readonly number[], period: number): Array<number | null> {
  const out: Array<number | null> = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= period) sum -= values[i - period]!;
    out.push(i >= period - 1 ? sum / period : null);
  }
  return out;
}

/** Wilder's RSI: gains and losses seeded with their simple mean over `period`, then smoothed by 1/period. */
export function rsi(closes: readonly number[], period: number): Array<number | null> {
  const out: Array<number | null> = [null];
  let gain = 0;
  let loss = 0;
  for (let i = 1; i < closes.length; i++) {
    const change = closes[i]! - closes[i - 1]!;
    const g = Math.max(0, change);
    const l = Math.max(0, -change);
    if (i <= period) {
      gain += g / period;
      loss += l / period;
      if (i < period) {
        out.push(null);
        continue;
      }
    } else {
      gain = (gain * (period - 1) + g) / period;
      loss = (loss * (period - 1) + l) / period;
    }
    out.push(loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss));
  }
  return out;
}

/** The channel a breakout is measured against: the highest high and lowest low of the `period` candles before each one. */
export function donchian(highs: readonly number[], lows: readonly number[], period: number): { upper: Array<number | null>; lower: Array<number | null> } {
  const upper: Array<number | null> = [];
  const lower: Array<number | null> = [];
  for (let i = 0; i < highs.length; i++) {
    if (i < period) {
      upper.push(null);
      lower.push(null);
      continue;
    }
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = i - period; j < i; j++) {
      if (highs[j]! > hi) hi = highs[j]!;
      if (lows[j]! < lo) lo = lows[j]!;
    }
    upper.push(hi);
    lower.push(lo);
  }
  return { upper, lower };
}

export interface IndicatorLine {
  id: string;
  label: string;
  color: string;
  values: Array<number | null>;
  dashed?: boolean;
}

export interface IndicatorPane {
  label: string;
  values: Array<number | null>;
  min: number;
  max: number;
  /** Horizontal guides (RSI's oversold and overbought). */
  levels: number[];
}

const num = (v: StrategyParams[string] | undefined, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.round(v) : fallback);

/** What a built-in strategy draws, from its parameters; nothing for other strategies. */
export function strategyIndicators(strategyName: string, params: StrategyParams, candles: readonly Candle[]): { lines: IndicatorLine[]; pane?: IndicatorPane } {
  const closes = candles.map((c) => c.close);
  if (strategyName === 'sma-crossover') {
    const fast = num(params.fast, 10);
    const slow = num(params.slow, 30);
    return {
      lines: [
        { id: 'sma-fast', label: `SMA ${fast}`, color: 'var(--accent)', values: sma(closes, fast) },
        { id: 'sma-slow', label: `SMA ${slow}`, color: 'var(--warn)', values: sma(closes, slow) },
      ],
    };
  }
  if (strategyName === 'donchian-breakout') {
    const period = num(params.period, 20);
    const ch = donchian(
      candles.map((c) => c.high),
      candles.map((c) => c.low),
      period,
    );
    return {
      lines: [
        { id: 'dc-upper', label: `${period}-candle high`, color: 'var(--accent)', values: ch.upper, dashed: true },
        { id: 'dc-lower', label: `${period}-candle low`, color: 'var(--accent)', values: ch.lower, dashed: true },
      ],
    };
  }
  if (strategyName === 'rsi-mean-reversion') {
    const period = num(params.period, 14);
    return { lines: [], pane: { label: `RSI ${period}`, values: rsi(closes, period), min: 0, max: 100, levels: [num(params.oversold, 30), num(params.overbought, 70)] } };
  }
  return { lines: [] };
}
