import {
  signalRowFieldsSchema,
  signalRowSchema,
  type CancelReason,
  type CloseReason,
  type PartialClose,
  type Pnl,
  type PnlExtreme,
  type Position,
  type SignalEntry,
  type SignalRow,
  type SignalStatus,
} from '../../../../shared/domain/signals';
import { defined, num, rest, str, type Fields } from './values';

/**
 * Our SignalRow <-> backtest-kit's IStorageSignalRow (storage-items) / IPublicSignalRow
 * (recent-items). Field by field:
 *
 *   signalId            id
 *   openedAt            pendingAt (once the position opened; a scheduled row's pendingAt = scheduledAt)
 *   closedAt            closeTimestamp
 *   priceClose          currentPrice of a closed row
 *   pnlPercent          pnl.pnlPercentage of a closed row
 *   entries / partials  _entry / _partial
 *   trailingPrice*      _trailingPrice*
 *   kit                 every other payload field, verbatim (_peak, _fall, _isScheduled, timestamp, priority, …)
 *
 * The rest (symbol, strategyName, exchangeName, frameName, position, status, prices, note,
 * scheduledAt, closeReason, cost, multiplier, isolated, currentPrice, pnl, peakProfit,
 * maxDrawdown, partialExecuted, totalEntries, totalPartials, originalPrice*, createdAt,
 * updatedAt) has the same name on both sides. `runId` is the monitor's: it lives in `monitor.runId`.
 */

/**
 * A position without a lifetime, as backtest-kit itself stores it: @backtest-kit/mongo `$set`s the
 * signal object as it is (a mongoose Mixed field, no JSON step), so `minuteEstimatedTime` is the BSON
 * double Infinity, and a bot reading it gets Infinity back. Anything else (0, null) a bot would
 * take as "no time left" and close the position at once.
 */
export const NO_LIFETIME = Infinity;

/**
 * The lifetime a payload holds for a row's: Infinity for a position without one, also when the row
 * says so the older ways: 0 (the stand-in the strategy API's storedLifetime gives, never a real
 * lifetime since backtest-kit requires a positive one) or null (a row that went through JSON, e.g.
 * replayed from the outage spool).
 */
export function lifetimeToPayload(minutes: number | null | undefined): number {
  return minutes == null || minutes === 0 || minutes === Infinity ? NO_LIFETIME : minutes;
}

/**
 * A payload's lifetime as a row holds it: Infinity for BSON Infinity, for null or a missing field
 * (backtest-kit's own JSON persistence reads null back as Infinity), and for 0 (documents the monitor
 * wrote before it stored Infinity). Anything else that is no number is handed on as it is, so the
 * row's schema refuses it by name.
 */
export function lifetimeFromPayload(value: unknown): number {
  if (value == null || value === 0) return NO_LIFETIME;
  return value as number;
}

/** Payload fields this mapping reads; everything else goes to `kit` untouched. */
const MAPPED = new Set([
  'id', 'symbol', 'strategyName', 'exchangeName', 'frameName', 'position', 'status', 'priceOpen', 'priceTakeProfit',
  'priceStopLoss', 'minuteEstimatedTime', 'note', 'scheduledAt', 'pendingAt', 'closeTimestamp', 'closeReason',
  'cancelReason', 'cost', 'multiplier', 'isolated', 'currentPrice', 'pnl', 'peakProfit', 'maxDrawdown', '_entry', '_partial',
  'partialExecuted', 'totalEntries', 'totalPartials', 'originalPriceOpen', 'originalPriceTakeProfit', 'originalPriceStopLoss',
  '_trailingPriceStopLoss', '_trailingPriceTakeProfit', 'createdAt', 'updatedAt',
]);

/** Where our list queries' field names live in the document. */
export const SIGNAL_ROW_PATHS: Readonly<Record<string, string>> = {
  signalId: 'payload.id',
  openedAt: 'payload.pendingAt',
  closedAt: 'payload.closeTimestamp',
  priceClose: 'payload.currentPrice',
  pnlPercent: 'payload.pnl.pnlPercentage',
  runId: 'monitor.runId',
};

/** Statuses whose row has really opened (pendingAt is the open time, not a copy of scheduledAt). */
const OPENED: ReadonlySet<string> = new Set(['opened', 'closed']);

function pnlOf(row: SignalRow): Pnl | undefined {
  if (row.pnl) return row.pnl;
  if (row.pnlPercent === undefined) return undefined;
  return defined({ pnlPercentage: row.pnlPercent, priceOpen: row.priceOpen, priceClose: row.priceClose ?? row.currentPrice });
}

/** The payload backtest-kit reads for `row` (what `Storage` / `Recent` hand a bot). */
export function signalRowToPayload(row: SignalRow): Fields {
  const kit = row.kit ?? {};
  const scheduledAt = row.scheduledAt;
  return defined({
    ...kit,
    id: row.signalId,
    symbol: row.symbol,
    strategyName: row.strategyName,
    exchangeName: row.exchangeName,
    frameName: row.frameName ?? '',
    position: row.position,
    status: row.status,
    priceOpen: row.priceOpen,
    priceTakeProfit: row.priceTakeProfit,
    priceStopLoss: row.priceStopLoss,
    minuteEstimatedTime: lifetimeToPayload(row.minuteEstimatedTime),
    note: row.note,
    scheduledAt,
    pendingAt: row.openedAt ?? num(kit.pendingAt) ?? scheduledAt,
    closeTimestamp: row.closedAt,
    closeReason: row.closeReason,
    cancelReason: row.cancelReason,
    cost: row.cost,
    multiplier: row.multiplier,
    isolated: row.isolated,
    currentPrice: row.currentPrice ?? row.priceClose,
    pnl: pnlOf(row),
    peakProfit: row.peakProfit,
    maxDrawdown: row.maxDrawdown,
    _entry: row.entries,
    _partial: row.partials,
    partialExecuted: row.partialExecuted,
    totalEntries: row.totalEntries,
    totalPartials: row.totalPartials,
    originalPriceOpen: row.originalPriceOpen,
    originalPriceTakeProfit: row.originalPriceTakeProfit,
    originalPriceStopLoss: row.originalPriceStopLoss,
    _trailingPriceStopLoss: row.trailingPriceStopLoss,
    _trailingPriceTakeProfit: row.trailingPriceTakeProfit,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });
}

/**
 * A row from a payload. `backtest` comes from the document's key (the payload does not hold it);
 * a recent-items payload has no `status`, so it is derived from `_isScheduled`.
 */
export function signalRowFromPayload(payload: Fields, context: { backtest: boolean; runId?: string }): SignalRow {
  const status = (str(payload.status) ?? (payload._isScheduled === true ? 'scheduled' : 'opened')) as SignalStatus;
  const opened = OPENED.has(status);
  const closed = status === 'closed';
  const pnl = payload.pnl as Pnl | undefined;
  const kit = rest(payload, MAPPED) ?? {};
  // A pendingAt that is not the open time (scheduled / cancelled rows) is kept as it was.
  if (!opened && payload.pendingAt !== undefined) kit.pendingAt = payload.pendingAt;
  return defined({
    signalId: str(payload.id) ?? '',
    runId: context.runId,
    symbol: str(payload.symbol) ?? '',
    strategyName: str(payload.strategyName) ?? '',
    exchangeName: str(payload.exchangeName) ?? '',
    frameName: str(payload.frameName),
    backtest: context.backtest,
    position: payload.position as Position,
    status,
    priceOpen: num(payload.priceOpen) ?? 0,
    priceTakeProfit: num(payload.priceTakeProfit) ?? 0,
    priceStopLoss: num(payload.priceStopLoss) ?? 0,
    minuteEstimatedTime: lifetimeFromPayload(payload.minuteEstimatedTime),
    note: str(payload.note),
    scheduledAt: num(payload.scheduledAt),
    openedAt: opened ? num(payload.pendingAt) : undefined,
    closedAt: num(payload.closeTimestamp),
    priceClose: closed ? num(payload.currentPrice) : undefined,
    pnlPercent: closed ? num(pnl?.pnlPercentage) : undefined,
    closeReason: payload.closeReason as CloseReason | undefined,
    cancelReason: payload.cancelReason as CancelReason | undefined,
    cost: num(payload.cost),
    multiplier: num(payload.multiplier),
    isolated: typeof payload.isolated === 'boolean' ? payload.isolated : undefined,
    currentPrice: num(payload.currentPrice),
    pnl,
    peakProfit: payload.peakProfit as PnlExtreme | undefined,
    maxDrawdown: payload.maxDrawdown as PnlExtreme | undefined,
    entries: payload._entry as SignalEntry[] | undefined,
    partials: payload._partial as PartialClose[] | undefined,
    partialExecuted: num(payload.partialExecuted),
    totalEntries: num(payload.totalEntries),
    totalPartials: num(payload.totalPartials),
    originalPriceOpen: num(payload.originalPriceOpen),
    originalPriceTakeProfit: num(payload.originalPriceTakeProfit),
    originalPriceStopLoss: num(payload.originalPriceStopLoss),
    trailingPriceStopLoss: num(payload._trailingPriceStopLoss),
    trailingPriceTakeProfit: num(payload._trailingPriceTakeProfit),
    createdAt: num(payload.createdAt),
    updatedAt: num(payload.updatedAt),
    kit: Object.keys(kit).length > 0 ? kit : undefined,
  }) as SignalRow;
}

/**
 * A row as backtest-kit itself writes it, which our refined `signalRowSchema` would refuse: a
 * cancelled row has no `cancelReason` (its Storage spreads the signal and sets only the status).
 * Only for reading rows a bot wrote: what the monitor writes is still checked with `signalRowSchema`.
 * (Both allow an Infinity lifetime, as backtest-kit does.)
 */
export const botSignalRowSchema = signalRowFieldsSchema;

/**
 * What is wrong with a row read from a document, field by field (empty when nothing): the
 * monitor's own rows must meet the monitor's rules, a bot's rows backtest-kit's.
 */
export function signalRowProblems(row: SignalRow, writtenByMonitor: boolean): string[] {
  const result = (writtenByMonitor ? signalRowSchema : botSignalRowSchema).safeParse(row);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
