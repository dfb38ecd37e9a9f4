import type { GlobalConfig } from './config';

/**
 * Position arithmetic with backtest-kit 19.5.0's rules (entries, partial closes, effective entry
 * price, PnL with fees and slippage, liquidation price). The order of floating-point operations
 * follows backtest-kit's, so results agree to the last bit, not just approximately.
 */

export type Position = 'long' | 'short';

export interface Entry {
  price: number;
  cost: number;
  timestamp: number;
}

export interface PartialClose {
  type: 'profit' | 'loss';
  percent: number;
  currentPrice: number;
  /** Cost basis still open just before this close, in dollars. */
  costBasisAtClose: number;
  /** How many entries the position had when this close happened. */
  entryCountAtClose: number;
  timestamp: number;
}

/** The fields of a signal the arithmetic reads. */
export interface PositionShape {
  id?: string;
  position: Position;
  priceOpen: number;
  cost?: number;
  multiplier?: number;
  _entry?: Entry[];
  _partial?: PartialClose[];
}

export interface ProfitLoss {
  pnlPercentage: number;
  priceOpen: number;
  priceClose: number;
  pnlCost: number;
  pnlEntries: number;
}

/** Cost-weighted harmonic mean of the entry prices: Σcost / Σ(cost/price). */
function weightedHarmonicMean(entries: readonly Entry[]): number {
  const totalCost = entries.reduce((s, e) => s + e.cost, 0);
  const totalCoins = entries.reduce((s, e) => s + e.cost / e.price, 0);
  if (totalCoins === 0) return 0;
  return totalCost / totalCoins;
}

function effectivePriceAtPartial(entries: readonly Entry[], partials: readonly PartialClose[], target: number, fallback: number): number {
  const p0 = partials[0]!;
  const coinsAtP0 = entries.slice(0, p0.entryCountAtClose).reduce((s, e) => s + e.cost / e.price, 0);
  let eff = coinsAtP0 === 0 ? fallback : p0.costBasisAtClose / coinsAtP0;
  for (let j = 1; j <= target; j++) {
    const prev = partials[j - 1]!;
    const curr = partials[j]!;
    const remaining = prev.costBasisAtClose * (1 - prev.percent / 100);
    const oldCoins = eff === 0 ? 0 : remaining / eff;
    const added = entries.slice(prev.entryCountAtClose, curr.entryCountAtClose);
    const newCoins = added.reduce((s, e) => s + e.cost / e.price, 0);
    const newCost = added.reduce((s, e) => s + e.cost, 0);
    const coins = oldCoins + newCoins;
    eff = coins === 0 ? eff : (remaining + newCost) / coins;
  }
  return eff;
}

/** The entry price PnL is measured from, after averaging-in (DCA) and partial closes. */
export function effectivePriceOpen(signal: PositionShape): number {
  const entries = signal._entry;
  if (!entries || entries.length === 0) return signal.priceOpen;
  const partials = signal._partial ?? [];
  if (partials.length === 0) return weightedHarmonicMean(entries);
  const effAtLast = effectivePriceAtPartial(entries, partials, partials.length - 1, signal.priceOpen);
  const last = partials[partials.length - 1]!;
  const remaining = last.costBasisAtClose * (1 - last.percent / 100);
  const oldCoins = effAtLast === 0 ? 0 : remaining / effAtLast;
  const added = entries.slice(last.entryCountAtClose);
  const newCoins = added.reduce((s, e) => s + e.cost / e.price, 0);
  const newCost = added.reduce((s, e) => s + e.cost, 0);
  const coins = oldCoins + newCoins;
  if (coins === 0) return effAtLast;
  return (remaining + newCost) / coins;
}

export function totalInvested(signal: PositionShape, config: GlobalConfig): number {
  const entries = signal._entry ?? [];
  return entries.length > 0 ? entries.reduce((s, e) => s + e.cost, 0) : (signal.cost ?? config.CC_POSITION_ENTRY_COST);
}

/** Share of the position closed so far (0..100, dollar basis) and the cost basis still open. */
export function totalClosed(signal: PositionShape, config: GlobalConfig): { totalClosedPercent: number; remainingCostBasis: number } {
  const entries = signal._entry ?? [];
  const partials = signal._partial ?? [];
  const invested = totalInvested(signal, config);
  if (partials.length === 0) return { totalClosedPercent: 0, remainingCostBasis: invested };
  let closed = 0;
  let remaining = 0;
  for (const p of partials) {
    closed += (p.percent / 100) * p.costBasisAtClose;
    remaining = p.costBasisAtClose * (1 - p.percent / 100);
  }
  remaining += entries.slice(partials[partials.length - 1]!.entryCountAtClose).reduce((s, e) => s + e.cost, 0);
  return { totalClosedPercent: invested > 0 ? (closed / invested) * 100 : 0, remainingCostBasis: remaining };
}

/** A floating-point allowance when summing partial closes against what was invested. */
const OVERCLOSE_RELATIVE_TOLERANCE = 1e-8;

/** PnL of the position closed (its remainder) at `priceClose`, fees and slippage included. */
export function profitLoss(signal: PositionShape, priceClose: number, config: GlobalConfig): ProfitLoss {
  const invested = totalInvested(signal, config);
  const multiplier = signal.multiplier ?? config.CC_SIGNAL_LEVERAGE_MULTIPLIER;
  const priceOpen = effectivePriceOpen(signal);
  const slip = config.CC_PERCENT_SLIPPAGE;
  const fee = config.CC_PERCENT_FEE;
  const long = signal.position === 'long';
  const partials = signal._partial;
  if (partials && partials.length > 0) {
    const entries = signal._entry ?? [];
    let weighted = 0;
    let fees = fee;
    let closedDollars = 0;
    for (let i = 0; i < partials.length; i++) {
      const p = partials[i]!;
      const dollars = (p.percent / 100) * p.costBasisAtClose;
      const weight = dollars / invested;
      closedDollars += dollars;
      const eff = effectivePriceAtPartial(entries, partials, i, signal.priceOpen);
      const openSlip = long ? eff * (1 + slip / 100) : eff * (1 - slip / 100);
      const closeSlip = long ? p.currentPrice * (1 - slip / 100) : p.currentPrice * (1 + slip / 100);
      const pnl = long ? ((closeSlip - openSlip) / openSlip) * 100 : ((openSlip - closeSlip) / openSlip) * 100;
      weighted += weight * pnl;
      fees += fee * weight * (closeSlip / openSlip);
    }
    if (closedDollars > invested + Math.max(0.001, invested * OVERCLOSE_RELATIVE_TOLERANCE)) {
      throw new Error(`Partial closes dollar value (${closedDollars.toFixed(4)}) exceeds total invested (${invested}) — signal id: ${signal.id}`);
    }
    const remainingWeight = (invested - closedDollars) / invested;
    if (remainingWeight > 0) {
      const openSlip = long ? priceOpen * (1 + slip / 100) : priceOpen * (1 - slip / 100);
      const closeSlip = long ? priceClose * (1 - slip / 100) : priceClose * (1 + slip / 100);
      const pnl = long ? ((closeSlip - openSlip) / openSlip) * 100 : ((openSlip - closeSlip) / openSlip) * 100;
      weighted += remainingWeight * pnl;
      fees += fee * remainingWeight * (closeSlip / openSlip);
    }
    const pnlPercentage = (weighted - fees) * multiplier;
    return { pnlPercentage, priceOpen, priceClose, pnlCost: (pnlPercentage / 100) * invested, pnlEntries: invested };
  }
  const openSlip = long ? priceOpen * (1 + slip / 100) : priceOpen * (1 - slip / 100);
  const closeSlip = long ? priceClose * (1 - slip / 100) : priceClose * (1 + slip / 100);
  const totalFee = fee * (1 + closeSlip / openSlip);
  let pnlPercentage = long ? ((closeSlip - openSlip) / openSlip) * 100 : ((openSlip - closeSlip) / openSlip) * 100;
  pnlPercentage -= totalFee;
  pnlPercentage *= multiplier;
  return { pnlPercentage, priceOpen, priceClose, pnlCost: (pnlPercentage / 100) * invested, pnlEntries: invested };
}

/**
 * Isolated margin: the close price at which the leveraged PnL reaches -100 %, or null when out of
 * reach. PnL is linear in the close price, so two evaluations give the line.
 */
export function liquidationPrice(signal: PositionShape, config: GlobalConfig): number | null {
  const p0 = signal.priceOpen;
  const p1 = signal.priceOpen * 0.9;
  const pnl0 = profitLoss(signal, p0, config).pnlPercentage;
  const pnl1 = profitLoss(signal, p1, config).pnlPercentage;
  const k = (pnl1 - pnl0) / (p1 - p0);
  if (!Number.isFinite(k) || Math.abs(k) < Number.EPSILON) return null;
  const price = p0 + (-100 - pnl0) / k;
  if (!Number.isFinite(price) || price <= 0) return null;
  return price;
}

/** Progress 0..100 towards a level; a level at or behind the entry counts as reached. */
export function progressPercent(covered: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(Math.max((covered / total) * 100, 0), 100);
}
