import type { GlobalConfig } from './config';

/**
 * backtest-kit's checks on a signal before it is opened or scheduled. A failed check makes
 * backtest-kit drop the signal (the error is reported, the run goes on); we do the same.
 */

export interface CheckedSignal {
  position: unknown;
  priceOpen: number;
  priceTakeProfit: number;
  priceStopLoss: number;
  minuteEstimatedTime: number;
  multiplier: number;
  isolated: unknown;
  symbol?: string;
}

const isNumberType = (v: unknown): boolean => typeof v === 'number';

function fail(signal: CheckedSignal, errors: string[]): never {
  throw new Error(`Invalid signal for ${String(signal.position)} position (${signal.symbol || 'empty symbol'}):\n${errors.join('\n')}`);
}

function priceChecks(s: CheckedSignal, errors: string[]): void {
  for (const key of ['priceOpen', 'priceTakeProfit', 'priceStopLoss'] as const) {
    if (!isNumberType(s[key])) errors.push(`${key} must be a number type, got ${String(s[key])} (${typeof s[key]})`);
    if (!isFinite(s[key])) errors.push(`${key} must be a finite number, got ${String(s[key])} (${typeof s[key]})`);
  }
  for (const key of ['priceOpen', 'priceTakeProfit', 'priceStopLoss'] as const) {
    if (isFinite(s[key]) && s[key] <= 0) errors.push(`${key} must be positive, got ${s[key]}`);
  }
}

function distanceChecks(s: CheckedSignal, c: GlobalConfig, errors: string[]): void {
  const long = s.position === 'long';
  const side = long ? 'Long' : 'Short';
  if (long) {
    if (s.priceTakeProfit <= s.priceOpen) errors.push(`Long: priceTakeProfit (${s.priceTakeProfit}) must be > priceOpen (${s.priceOpen})`);
    if (s.priceStopLoss >= s.priceOpen) errors.push(`Long: priceStopLoss (${s.priceStopLoss}) must be < priceOpen (${s.priceOpen})`);
  } else {
    if (s.priceTakeProfit >= s.priceOpen) errors.push(`Short: priceTakeProfit (${s.priceTakeProfit}) must be < priceOpen (${s.priceOpen})`);
    if (s.priceStopLoss <= s.priceOpen) errors.push(`Short: priceStopLoss (${s.priceStopLoss}) must be > priceOpen (${s.priceOpen})`);
  }
  const tp = ((long ? s.priceTakeProfit - s.priceOpen : s.priceOpen - s.priceTakeProfit) / s.priceOpen) * 100;
  const sl = ((long ? s.priceOpen - s.priceStopLoss : s.priceStopLoss - s.priceOpen) / s.priceOpen) * 100;
  if (c.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT && tp < c.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT) {
    errors.push(`${side}: TakeProfit too close to priceOpen (${tp.toFixed(3)}%). Minimum distance: ${c.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT}% to cover trading fees.`);
  }
  if (c.CC_MIN_STOPLOSS_DISTANCE_PERCENT && sl < c.CC_MIN_STOPLOSS_DISTANCE_PERCENT) {
    errors.push(`${side}: StopLoss too close to priceOpen (${sl.toFixed(3)}%). Minimum distance: ${c.CC_MIN_STOPLOSS_DISTANCE_PERCENT}%.`);
  }
  if (c.CC_MAX_STOPLOSS_DISTANCE_PERCENT && sl > c.CC_MAX_STOPLOSS_DISTANCE_PERCENT) {
    errors.push(`${side}: StopLoss too far from priceOpen (${sl.toFixed(3)}%). Maximum distance: ${c.CC_MAX_STOPLOSS_DISTANCE_PERCENT}%.`);
  }
}

/** The checks shared by market and scheduled signals (validateCommonSignal). */
export function validateCommon(s: CheckedSignal, c: GlobalConfig): void {
  const errors: string[] = [];
  if (s.position === undefined || s.position === null) errors.push('position is required and must be "long" or "short"');
  if (s.position !== 'long' && s.position !== 'short') errors.push(`position must be "long" or "short", got "${String(s.position)}"`);
  if (s.position === 'long' && !c.CC_ENABLE_LONG_SIGNAL) errors.push('Long signals are disabled (CC_ENABLE_LONG_SIGNAL=false)');
  if (s.position === 'short' && !c.CC_ENABLE_SHORT_SIGNAL) errors.push('Short signals are disabled (CC_ENABLE_SHORT_SIGNAL=false)');
  priceChecks(s, errors);
  if (s.position === 'long' || s.position === 'short') distanceChecks(s, c, errors);
  const life = s.minuteEstimatedTime;
  if (!isNumberType(life)) errors.push(`minuteEstimatedTime must be a number type, got ${String(life)} (${typeof life})`);
  if (life <= 0) errors.push(`minuteEstimatedTime must be positive, got ${life}`);
  if (life === Infinity && c.CC_MAX_SIGNAL_LIFETIME_MINUTES !== Infinity) {
    errors.push('minuteEstimatedTime cannot be Infinity when CC_MAX_SIGNAL_LIFETIME_MINUTES is not Infinity');
  }
  if (life !== Infinity && !Number.isInteger(life)) errors.push(`minuteEstimatedTime must be an integer (whole number), got ${life}`);
  if (c.CC_MAX_SIGNAL_LIFETIME_MINUTES !== Infinity && life > c.CC_MAX_SIGNAL_LIFETIME_MINUTES) {
    errors.push(`minuteEstimatedTime too large (${life} minutes). Maximum: ${c.CC_MAX_SIGNAL_LIFETIME_MINUTES} minutes.`);
  }
  if (typeof s.multiplier !== 'number' || !Number.isFinite(s.multiplier)) errors.push(`multiplier must be a finite number, got ${String(s.multiplier)}`);
  if (s.multiplier <= 0) errors.push(`multiplier must be positive, got ${s.multiplier}`);
  if (typeof s.isolated !== 'boolean') errors.push(`isolated must be a boolean, got ${String(s.isolated)}`);
  if (errors.length > 0) fail(s, errors);
}

function currentPriceChecks(currentPrice: number, errors: string[]): void {
  if (!isNumberType(currentPrice)) errors.push(`currentPrice must be a number type, got ${String(currentPrice)}`);
  if (!isFinite(currentPrice)) errors.push(`currentPrice must be a finite number, got ${currentPrice}`);
  if (isFinite(currentPrice) && currentPrice <= 0) errors.push(`currentPrice must be positive, got ${currentPrice}`);
}

/** A signal that opens now at `currentPrice` must not be closed by its own levels at once. */
export function validatePending(s: CheckedSignal, currentPrice: number, c: GlobalConfig): void {
  const errors: string[] = [];
  currentPriceChecks(currentPrice, errors);
  if (errors.length > 0) fail(s, errors);
  validateCommon(s, c);
  if (isFinite(currentPrice)) {
    if (s.position === 'long') {
      if (currentPrice <= s.priceStopLoss) errors.push(`Long immediate: currentPrice (${currentPrice}) <= priceStopLoss (${s.priceStopLoss}).`);
      if (currentPrice >= s.priceTakeProfit) errors.push(`Long immediate: currentPrice (${currentPrice}) >= priceTakeProfit (${s.priceTakeProfit}).`);
    } else {
      if (currentPrice >= s.priceStopLoss) errors.push(`Short immediate: currentPrice (${currentPrice}) >= priceStopLoss (${s.priceStopLoss}).`);
      if (currentPrice <= s.priceTakeProfit) errors.push(`Short immediate: currentPrice (${currentPrice}) <= priceTakeProfit (${s.priceTakeProfit}).`);
    }
  }
  if (errors.length > 0) fail(s, errors);
}

/** A scheduled entry must sit between its stop-loss and take-profit. */
export function validateScheduled(s: CheckedSignal, currentPrice: number, c: GlobalConfig): void {
  const errors: string[] = [];
  currentPriceChecks(currentPrice, errors);
  if (errors.length > 0) fail(s, errors);
  validateCommon(s, c);
  if (isFinite(s.priceOpen)) {
    if (s.position === 'long') {
      if (s.priceOpen <= s.priceStopLoss) errors.push(`Long scheduled: priceOpen (${s.priceOpen}) <= priceStopLoss (${s.priceStopLoss}).`);
      if (s.priceOpen >= s.priceTakeProfit) errors.push(`Long scheduled: priceOpen (${s.priceOpen}) >= priceTakeProfit (${s.priceTakeProfit}).`);
    } else {
      if (s.priceOpen >= s.priceStopLoss) errors.push(`Short scheduled: priceOpen (${s.priceOpen}) >= priceStopLoss (${s.priceStopLoss}).`);
      if (s.priceOpen <= s.priceTakeProfit) errors.push(`Short scheduled: priceOpen (${s.priceOpen}) <= priceTakeProfit (${s.priceTakeProfit}).`);
    }
  }
  if (errors.length > 0) fail(s, errors);
}
