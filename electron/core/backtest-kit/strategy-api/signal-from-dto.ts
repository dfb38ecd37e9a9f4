import type { GlobalConfig } from './config';
import { excursionAt, SCHEDULED_PENDING_MOCK, type SignalRow } from './public-signal';

/**
 * The signal row backtest-kit 19.5.0 builds from what getSignal returned at `when` (priced at
 * `currentPrice`, the VWAP): defaults from the config, and the entry kind: a market signal opens at
 * the VWAP; one with `priceOpen` opens at once when the VWAP has already reached it, otherwise it is
 * scheduled.
 */
export interface SignalSource {
  symbol: string;
  strategyName: string;
  exchangeName: string;
  frameName: string;
  config: GlobalConfig;
  /** The id of a signal created at `createdAt` that has no id of its own. */
  signalId(createdAt: number): string;
}

export function signalFromDto(dto: Record<string, unknown>, currentPrice: number, when: number, source: SignalSource): SignalRow {
  const c = source.config;
  const position = dto.position as SignalRow['position'];
  const cost = (dto.cost as number) || c.CC_POSITION_ENTRY_COST;
  const entryCost = (dto.cost as number | undefined) ?? c.CC_POSITION_ENTRY_COST;
  const base = {
    ...structuredClone(dto),
    id: (dto.id as string) || source.signalId(when),
    cost,
    position,
    note: (dto.note as string) || '',
    priceTakeProfit: dto.priceTakeProfit as number,
    priceStopLoss: dto.priceStopLoss as number,
    minuteEstimatedTime: (dto.minuteEstimatedTime as number | undefined) ?? c.CC_MAX_SIGNAL_LIFETIME_MINUTES,
    multiplier: (dto.multiplier as number | undefined) ?? c.CC_SIGNAL_LEVERAGE_MULTIPLIER,
    isolated: (dto.isolated as boolean | undefined) ?? c.CC_SIGNAL_ISOLATED_MARGIN,
    symbol: source.symbol,
    exchangeName: source.exchangeName,
    strategyName: source.strategyName,
    frameName: source.frameName,
    scheduledAt: when,
    timestamp: when,
  };
  const zero = (price: number) => ({ price, timestamp: when, pnlPercentage: 0, pnlCost: 0, priceClose: 0, priceOpen: 0, pnlEntries: 0 });
  const requested = dto.priceOpen as number | undefined;
  if (requested !== undefined) {
    const reached = (position === 'long' && currentPrice <= requested) || (position === 'short' && currentPrice >= requested);
    const row: SignalRow = {
      ...base,
      priceOpen: requested,
      pendingAt: reached ? when : SCHEDULED_PENDING_MOCK,
      _isScheduled: !reached,
      _entry: [{ price: requested, cost: entryCost, timestamp: when }],
      _peak: zero(requested),
      _fall: zero(requested),
    };
    if (reached) row._fall = excursionAt(row, requested, when, c);
    return row;
  }
  const row: SignalRow = {
    ...base,
    priceOpen: currentPrice,
    pendingAt: when,
    _isScheduled: false,
    _entry: [{ price: currentPrice, cost: entryCost, timestamp: when }],
    _peak: zero(currentPrice),
    _fall: zero(currentPrice),
  };
  row._fall = excursionAt(row, currentPrice, when, c);
  return row;
}
