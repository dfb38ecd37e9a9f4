import { num, record, type RawDocument } from './raw';

/** backtest-kit 19.5.0's defaults (GLOBAL_CONFIG): a bot that changed them with setConfig books slightly different figures. */
export const DEFAULT_PERCENT_FEE = 0.1;
export const DEFAULT_PERCENT_SLIPPAGE = 0.1;
const DEFAULT_ENTRY_COST = 100;

interface Entry {
  price: number;
  cost: number;
}

/** A partial close as ISignalRow `_partial` records it. */
interface PartialClose {
  percent: number;
  price: number;
  /** Dollar basis of the position when it was taken. */
  costBasis: number;
  /** How many entries (`_entry`) the position had then. */
  entryCount: number;
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

function partialsOf(signal: RawDocument): PartialClose[] {
  const raw = Array.isArray(signal._partial) ? signal._partial : [];
  const out: PartialClose[] = [];
  for (const p of raw) {
    const r = record(p);
    const percent = num(r?.percent);
    const price = num(r?.currentPrice);
    const costBasis = num(r?.costBasisAtClose);
    const entryCount = num(r?.entryCountAtClose);
    if (percent !== undefined && price !== undefined && costBasis !== undefined && entryCount !== undefined) out.push({ percent, price, costBasis, entryCount });
  }
  return out;
}

const coins = (entries: readonly Entry[]): number => entries.reduce((s, e) => s + e.cost / e.price, 0);
const spent = (entries: readonly Entry[]): number => entries.reduce((s, e) => s + e.cost, 0);

/**
 * The entry price in force when partial close `k` was taken: each partial keeps its share of the
 * cost basis at the price then in force, and entries bought after it average in.
 */
function priceAtPartial(entries: readonly Entry[], partials: readonly PartialClose[], k: number, fallback: number): number {
  const first = partials[0]!;
  const firstCoins = coins(entries.slice(0, first.entryCount));
  let price = firstCoins === 0 ? fallback : first.costBasis / firstCoins;
  for (let j = 1; j <= k; j++) {
    const before = partials[j - 1]!;
    const kept = before.costBasis * (1 - before.percent / 100);
    const added = entries.slice(before.entryCount, partials[j]!.entryCount);
    const held = (price === 0 ? 0 : kept / price) + coins(added);
    if (held !== 0) price = (kept + spent(added)) / held;
  }
  return price;
}

/** The position's effective entry price (cost-weighted over its entries, carried through its partial closes). */
export function effectivePriceOpen(signal: RawDocument): number | undefined {
  const entries = entriesOf(signal);
  const priceOpen = num(signal.priceOpen);
  if (entries.length === 0) return priceOpen;
  const partials = partialsOf(signal);
  if (partials.length === 0) {
    const c = coins(entries);
    return c === 0 ? priceOpen : spent(entries) / c;
  }
  const last = partials[partials.length - 1]!;
  const atLast = priceAtPartial(entries, partials, partials.length - 1, priceOpen ?? 0);
  const kept = last.costBasis * (1 - last.percent / 100);
  const after = entries.slice(last.entryCount);
  const held = (atLast === 0 ? 0 : kept / atLast) + coins(after);
  return held === 0 ? atLast : (kept + spent(after)) / held;
}

/**
 * What the open position would book if it closed at `priceClose`, by backtest-kit's own rules:
 * slippage against the trader on both sides, the fee once on opening and on each closed part in
 * proportion to its weight, partial closes already taken at their own prices (weighted by the
 * dollars they sold), the rest at `priceClose`, times the leverage multiplier.
 */
export function livePnl(
  signal: RawDocument,
  priceClose: number,
  config: { percentFee?: number; percentSlippage?: number } = {},
): { pnlPercentage: number; pnlCost: number } | undefined {
  const position = signal.position;
  const priceOpen = effectivePriceOpen(signal);
  if (priceOpen === undefined || priceOpen <= 0 || (position !== 'long' && position !== 'short') || !(priceClose > 0)) return undefined;
  const fee = config.percentFee ?? DEFAULT_PERCENT_FEE;
  const slip = (config.percentSlippage ?? DEFAULT_PERCENT_SLIPPAGE) / 100;
  const long = position === 'long';
  const opened = (p: number): number => p * (long ? 1 + slip : 1 - slip);
  const closed = (p: number): number => p * (long ? 1 - slip : 1 + slip);
  const gain = (open: number, close: number): number => (long ? (close - open) / open : (open - close) / open) * 100;

  const entries = entriesOf(signal);
  const invested = entries.length > 0 ? spent(entries) : (num(signal.cost) ?? DEFAULT_ENTRY_COST);
  const partials = partialsOf(signal);
  let weighted = 0;
  let fees = fee;
  let sold = 0;
  partials.forEach((p, i) => {
    const value = (p.percent / 100) * p.costBasis;
    const weight = value / invested;
    sold += value;
    const open = opened(priceAtPartial(entries, partials, i, num(signal.priceOpen) ?? priceOpen));
    const close = closed(p.price);
    weighted += weight * gain(open, close);
    fees += fee * weight * (close / open);
  });
  const rest = Math.max(0, (invested - sold) / invested);
  if (rest > 0) {
    const open = opened(priceOpen);
    const close = closed(priceClose);
    weighted += rest * gain(open, close);
    fees += fee * rest * (close / open);
  }
  const multiplier = num(signal.multiplier) ?? 1;
  const pnlPercentage = (weighted - fees) * multiplier;
  return { pnlPercentage, pnlCost: (pnlPercentage / 100) * invested };
}
