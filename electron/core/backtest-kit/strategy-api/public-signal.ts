import type { GlobalConfig } from './config';
import { effectivePriceOpen, profitLoss, totalClosed, type Entry, type PartialClose, type Position, type ProfitLoss } from './position-math';

/** A signal as the engine holds it (backtest-kit's ISignalRow / IScheduledSignalRow). */
export interface SignalRow {
  [extra: string]: unknown;
  id: string;
  position: Position;
  priceOpen: number;
  priceTakeProfit: number;
  priceStopLoss: number;
  minuteEstimatedTime: number;
  note: string;
  cost: number;
  multiplier: number;
  isolated: boolean;
  symbol: string;
  exchangeName: string;
  strategyName: string;
  frameName: string;
  scheduledAt: number;
  pendingAt: number;
  timestamp: number;
  _isScheduled: boolean;
  _entry: Entry[];
  _partial?: PartialClose[];
  _trailingPriceStopLoss?: number;
  _trailingPriceTakeProfit?: number;
  _peak: ExcursionPoint;
  _fall: ExcursionPoint;
  closeId?: string;
  closeNote?: string;
  cancelId?: string;
  cancelNote?: string;
}

export interface ExcursionPoint {
  price: number;
  timestamp: number;
  pnlPercentage: number;
  pnlCost: number;
  pnlEntries: number;
  priceOpen: number;
  priceClose: number;
}

export const ZERO_PNL: ProfitLoss = { pnlPercentage: 0, priceOpen: 0, priceClose: 0, pnlCost: 0, pnlEntries: 0 };

/** Placeholder pendingAt of a scheduled signal until it activates (backtest-kit's SCHEDULED_SIGNAL_PENDING_MOCK). */
export const SCHEDULED_PENDING_MOCK = 0;

export function excursionAt(signal: SignalRow, price: number, timestamp: number, config: GlobalConfig): ExcursionPoint {
  const pnl = profitLoss(signal, price, config);
  return { price, timestamp, pnlPercentage: pnl.pnlPercentage, pnlCost: pnl.pnlCost, pnlEntries: pnl.pnlEntries, priceOpen: pnl.priceOpen, priceClose: pnl.priceClose };
}

/**
 * A copy strategy code may change freely: the top level, entries, partial closes and excursion
 * points are copied (structuredClone of the whole row per candle would cost more than the rest of
 * the candle's work).
 */
function copyOf(signal: SignalRow): SignalRow {
  const out: SignalRow = { ...signal, _entry: signal._entry.map((e) => ({ ...e })), _peak: { ...signal._peak }, _fall: { ...signal._fall } };
  if (signal._partial) out._partial = signal._partial.map((p) => ({ ...p }));
  return out;
}

/** backtest-kit's IPublicSignalRow: the row with effective prices and the PnL at `currentPrice`. */
export function toPublicSignal(kind: 'scheduled' | 'pending', signal: SignalRow, currentPrice: number, config: GlobalConfig): Record<string, unknown> {
  const scheduled = kind === 'scheduled';
  const partialExecuted = signal._partial ? totalClosed(signal, config).totalClosedPercent : 0;
  return {
    ...copyOf(signal),
    priceOpen: scheduled ? signal.priceOpen : effectivePriceOpen(signal),
    multiplier: signal.multiplier ?? config.CC_SIGNAL_LEVERAGE_MULTIPLIER,
    isolated: signal.isolated ?? config.CC_SIGNAL_ISOLATED_MARGIN,
    priceStopLoss: signal._trailingPriceStopLoss ?? signal.priceStopLoss,
    priceTakeProfit: signal._trailingPriceTakeProfit ?? signal.priceTakeProfit,
    originalPriceOpen: signal.priceOpen,
    originalPriceStopLoss: signal.priceStopLoss,
    originalPriceTakeProfit: signal.priceTakeProfit,
    maxDrawdown: scheduled ? { ...ZERO_PNL } : { ...signal._fall },
    peakProfit: scheduled ? { ...ZERO_PNL } : { ...signal._peak },
    partialExecuted,
    totalEntries: Array.isArray(signal._entry) ? signal._entry.length : scheduled ? 0 : 1,
    totalPartials: Array.isArray(signal._partial) ? signal._partial.length : 0,
    pnl: scheduled ? { ...ZERO_PNL } : profitLoss(signal, currentPrice, config),
  };
}
