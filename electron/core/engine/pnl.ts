import type { CostModel, Position } from '../../../shared/domain/runs';

/**
 * Net PnL of one round trip, in percent of the capital put in. Slippage moves each fill against the
 * trader (a long buys higher and sells lower); the fee is charged on the value of each side:
 *
 *   long:  entry = open × (1 + s), exit = close × (1 − s), pnl = (exit × (1 − f)) / (entry × (1 + f)) − 1
 *   short: entry = open × (1 − s), exit = close × (1 + s), pnl = (entry × (1 − f)) / (exit × (1 + f)) − 1
 *
 * with f = feePercent / 100 and s = slippagePercent / 100, per side.
 */
export function pnlPercent(position: Position, priceOpen: number, priceClose: number, costs: CostModel): number {
  const f = costs.feePercent / 100;
  const s = costs.slippagePercent / 100;
  if (position === 'long') {
    const entry = priceOpen * (1 + s);
    const exit = priceClose * (1 - s);
    return ((exit * (1 - f)) / (entry * (1 + f)) - 1) * 100;
  }
  const entry = priceOpen * (1 - s);
  const exit = priceClose * (1 + s);
  return ((entry * (1 - f)) / (exit * (1 + f)) - 1) * 100;
}
