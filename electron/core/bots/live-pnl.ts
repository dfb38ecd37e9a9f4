import { num, record, type RawDocument } from './raw';

/** backtest-kit 19.5.0's defaults (GLOBAL_CONFIG): a bot that changed them with setConfig books slightly different figures. */
export const DEFAULT_PERCENT_FEE = 0.1;
export const DEFAULT_PERCENT_SLIPPAGE = 0.1;
const DEFAULT_ENTRY_COST = 100;

interface Entry {
  price: number;
  cost: number;
}

function entriesOf(signal: RawDocument): Entry[] {
  const raw = Array.isArray(signal._entry) ? signal._entry : [];
  const out: Entry[] = [];
  for (const e of raw) {
    const r = record(e);
    const price = num(r?.price);
    const cost = num(r?.cost);
    if (price !== undefined && cost !== undefined && price > 0) out.push({ price, cost });
  }
  return out;
}

/** The cost-weighted entry price of the position (what backtest-kit calls the effective open price without partial closes). */
export function effectivePriceOpen(signal: RawDocument): number | undefined {
  const entries = entriesOf(signal);
  if (entries.length === 0) return num(signal.priceOpen);
  const coins = entries.reduce((s, e) => s + e.cost / e.price, 0);
  if (coins === 0) return num(signal.priceOpen);
  return entries.reduce((s, e) => s + e.cost, 0) / coins;
}

/**
 * What the open position would book if it closed at `priceClose`: backtest-kit's own formula for a
 * position without partial closes (slippage against the trader on both sides, the fee on opening
 * and on closing, times the leverage multiplier). Partial closes are ignored: the figure then
 * covers the whole original position.
 */
export function livePnl(
  signal: RawDocument,
  priceClose: number,
  config: { percentFee?: number; percentSlippage?: number } = {},
): { pnlPercentage: number; pnlCost: number } | undefined {
  const priceOpen = effectivePriceOpen(signal);
  const position = signal.position;
  if (priceOpen === undefined || priceOpen <= 0 || (position !== 'long' && position !== 'short') || !(priceClose > 0)) return undefined;
  const fee = config.percentFee ?? DEFAULT_PERCENT_FEE;
  const slip = (config.percentSlippage ?? DEFAULT_PERCENT_SLIPPAGE) / 100;
  const long = position === 'long';
  const openWithSlip = priceOpen * (long ? 1 + slip : 1 - slip);
  const closeWithSlip = priceClose * (long ? 1 - slip : 1 + slip);
  const gross = long ? ((closeWithSlip - openWithSlip) / openWithSlip) * 100 : ((openWithSlip - closeWithSlip) / openWithSlip) * 100;
  const fees = fee * (1 + closeWithSlip / openWithSlip);
  const multiplier = num(signal.multiplier) ?? 1;
  const pnlPercentage = (gross - fees) * multiplier;
  const entries = entriesOf(signal);
  const invested = entries.length > 0 ? entries.reduce((s, e) => s + e.cost, 0) : (num(signal.cost) ?? DEFAULT_ENTRY_COST);
  return { pnlPercentage, pnlCost: (pnlPercentage / 100) * invested };
}
