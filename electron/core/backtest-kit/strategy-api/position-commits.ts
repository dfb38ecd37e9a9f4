import type { GlobalConfig } from './config';
import { effectivePriceOpen, totalClosed } from './position-math';
import type { SignalRow } from './public-signal';

/**
 * What the commit* functions do to an open position (backtest-kit 19.5.0's checks and effects):
 * partial closes, trailing stop / take, breakeven, DCA entries. Each answers whether it applied,
 * as backtest-kit's commit functions do; a refused commit leaves the signal as it was.
 */

const PARTIAL_CAP_TOLERANCE_FACTOR = 1 + 1e-9;
const PARTIAL_FULL_CLOSE_EPSILON = 1e-9;

const isPositivePrice = (price: unknown): price is number => typeof price === 'number' && isFinite(price) && price > 0;

/**
 * Closes `percentToClose` % of what is still open at `currentPrice` (moment `when`). 'closed-all'
 * when nothing is left afterwards: the caller closes the position at the next candle.
 */
export function commitPartialClose(
  signal: SignalRow,
  kind: 'profit' | 'loss',
  percentToClose: number,
  currentPrice: number,
  when: number,
  config: GlobalConfig,
): 'refused' | 'applied' | 'closed-all' {
  if (typeof percentToClose !== 'number' || !isFinite(percentToClose) || percentToClose <= 0 || percentToClose > 100) return 'refused';
  if (!isPositivePrice(currentPrice)) return 'refused';
  const long = signal.position === 'long';
  const eff = effectivePriceOpen(signal);
  if (!config.CC_ENABLE_PPPL_EVERYWHERE) {
    if (kind === 'profit' && (long ? currentPrice <= eff : currentPrice >= eff)) return 'refused';
    if (kind === 'loss' && (long ? currentPrice >= eff : currentPrice <= eff)) return 'refused';
  }
  if (kind === 'profit') {
    const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
    if (long ? currentPrice >= take : currentPrice <= take) return 'refused';
  } else {
    const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
    if (long ? currentPrice <= stop : currentPrice >= stop) return 'refused';
  }
  const { totalClosedPercent, remainingCostBasis } = totalClosed(signal, config);
  const invested = (signal._entry ?? []).reduce((s, e) => s + e.cost, 0) || (signal.cost ?? config.CC_POSITION_ENTRY_COST);
  const dollars = (percentToClose / 100) * remainingCostBasis;
  if ((totalClosedPercent / 100) * invested + dollars > invested * PARTIAL_CAP_TOLERANCE_FACTOR) return 'refused';
  signal._partial ??= [];
  signal._partial.push({ type: kind, percent: percentToClose, currentPrice, costBasisAtClose: remainingCostBasis, entryCountAtClose: signal._entry ? signal._entry.length : 1, timestamp: when });
  const after = totalClosed(signal, config).remainingCostBasis;
  return after <= invested * PARTIAL_FULL_CLOSE_EPSILON ? 'closed-all' : 'applied';
}

function validShift(percentShift: number, currentPrice: number): boolean {
  if (typeof percentShift !== 'number' || !isFinite(percentShift) || percentShift < -100 || percentShift > 100 || percentShift === 0) return false;
  return isPositivePrice(currentPrice);
}

/** Moves the stop-loss by `percentShift` points of distance from the effective entry. */
export function commitTrailingStop(signal: SignalRow, percentShift: number, currentPrice: number, config: GlobalConfig): boolean {
  if (!validShift(percentShift, currentPrice)) return false;
  const long = signal.position === 'long';
  const eff = effectivePriceOpen(signal);
  const distance = Math.abs(((eff - signal.priceStopLoss) / eff) * 100) + percentShift;
  const next = long ? eff * (1 - distance / 100) : eff * (1 + distance / 100);
  if (long ? currentPrice < next : currentPrice > next) return false;
  const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
  if (long ? next >= take : next <= take) return false;
  const current = signal._trailingPriceStopLoss;
  if (current !== undefined && !config.CC_ENABLE_TRAILING_EVERYWHERE && (long ? next <= current : next >= current)) return false;
  signal._trailingPriceStopLoss = next;
  return true;
}

/** Moves the take-profit by `percentShift` points of distance from the effective entry. */
export function commitTrailingTake(signal: SignalRow, percentShift: number, currentPrice: number, config: GlobalConfig): boolean {
  if (!validShift(percentShift, currentPrice)) return false;
  const long = signal.position === 'long';
  const eff = effectivePriceOpen(signal);
  const distance = Math.abs(((signal.priceTakeProfit - eff) / eff) * 100) + percentShift;
  const next = long ? eff * (1 + distance / 100) : eff * (1 - distance / 100);
  if (long ? currentPrice > next : currentPrice < next) return false;
  const stop = signal._trailingPriceStopLoss ?? signal.priceStopLoss;
  if (long ? next <= stop : next >= stop) return false;
  const current = signal._trailingPriceTakeProfit;
  if (current !== undefined && !config.CC_ENABLE_TRAILING_EVERYWHERE && (long ? next >= current : next <= current)) return false;
  signal._trailingPriceTakeProfit = next;
  return true;
}

/** Moves the stop-loss to the effective entry once the price has gone far enough past it. */
export function commitBreakeven(signal: SignalRow, currentPrice: number, config: GlobalConfig): boolean {
  if (!isPositivePrice(currentPrice)) return false;
  const long = signal.position === 'long';
  const price = effectivePriceOpen(signal);
  const take = signal._trailingPriceTakeProfit ?? signal.priceTakeProfit;
  if (long ? price >= take : price <= take) return false;
  const threshold = (config.CC_PERCENT_SLIPPAGE + config.CC_PERCENT_FEE) * 2 + config.CC_BREAKEVEN_THRESHOLD;
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

/** Adds a DCA entry of `cost` dollars at `currentPrice` (only below the lowest entry for a long, unless DCA is allowed everywhere). */
export function commitAverageBuy(signal: SignalRow, currentPrice: number, cost: number, when: number, config: GlobalConfig): boolean {
  if (!isPositivePrice(currentPrice)) return false;
  if (!signal._entry || signal._entry.length === 0) signal._entry = [{ price: signal.priceOpen, cost: signal.cost ?? config.CC_POSITION_ENTRY_COST, timestamp: when }];
  if (!config.CC_ENABLE_DCA_EVERYWHERE) {
    if (signal.position === 'long' && currentPrice >= Math.min(...signal._entry.map((e) => e.price))) return false;
    if (signal.position === 'short' && currentPrice <= Math.max(...signal._entry.map((e) => e.price))) return false;
  }
  signal._entry.push({ price: currentPrice, cost, timestamp: when });
  return true;
}
