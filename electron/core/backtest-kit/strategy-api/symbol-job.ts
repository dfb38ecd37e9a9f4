import type { SignalRow } from '../../../../shared/domain/signals';
import { BacktestRun, type TickResult } from './backtest-run';
import { MinuteFeed, MINUTE_MS, INTERVAL_MINUTES, type CandleColumnsLike } from './minute-feed';
import { applyModuleParams, loadBacktestKitModule, type ModuleImporter } from './module-loader';

/**
 * Runs one symbol of a backtest-kit strategy file over candle columns: what a run worker does with
 * a backtest job whose strategy is a backtest-kit file, and what the differential tests and the
 * CLI exercise.
 */

export interface BacktestKitJob {
  file: string;
  strategyName: string;
  symbol: string;
  exchangeName: string;
  frameName: string;
  runId: string;
  /** The run's range: ticks from `from` (inclusive) to `to` (exclusive) every `interval`. */
  from: number;
  to: number;
  interval: string;
  params: Record<string, unknown>;
  /** One-minute candles covering the range plus a look-back before it. */
  candles: CandleColumnsLike;
  importer: ModuleImporter;
  onResult(result: TickResult): void | Promise<void>;
  onTick?(when: number): void | Promise<void>;
  onNotice?(kind: 'error' | 'risk', message: string, time: number): void;
}

/**
 * A position without a lifetime (`minuteEstimatedTime: Infinity`) keeps Infinity while it runs: it
 * never expires, only its levels, a commit or the frame's end close it. A stored row (shared
 * SignalRow: a finite number, as JSON and the persistence schema require) holds 0 for it, which is
 * never a real lifetime (backtest-kit requires a positive one). JSON for people and scripts (the
 * CLI's `--json`) gives `null`: what JSON.stringify makes of backtest-kit's own result, and what
 * backtest-kit reads back as Infinity.
 */
export const NO_LIFETIME_STORED = 0;

/** The lifetime a stored row holds for `minutes` (Infinity becomes NO_LIFETIME_STORED). */
export function storedLifetime(minutes: number): number {
  return Number.isFinite(minutes) ? minutes : NO_LIFETIME_STORED;
}

/** The lifetime backtest-kit means by a stored row's value (NO_LIFETIME_STORED is Infinity). */
export function lifetimeOfStored(stored: number): number {
  return stored === NO_LIFETIME_STORED ? Infinity : stored;
}

/** A stored lifetime as backtest-kit's result shows in JSON (Infinity is null). */
export function lifetimeJson(stored: number): number | null {
  const minutes = lifetimeOfStored(stored);
  return Number.isFinite(minutes) ? minutes : null;
}

/** The frame's last tick: the last `interval` step from `from` that is before `to`. */
export function lastTick(from: number, to: number, interval: string): number {
  const stepMs = (INTERVAL_MINUTES[interval] ?? 1) * MINUTE_MS;
  const first = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  return first + Math.floor((to - 1 - first) / stepMs) * stepMs;
}

export async function runBacktestKitJob(job: BacktestKitJob): Promise<void> {
  const module = await loadBacktestKitModule(job.file, job.importer);
  applyModuleParams(module, job.params);
  const exchanges = [...module.registrations.exchanges.values()];
  const run = new BacktestRun({
    symbol: job.symbol,
    feed: new MinuteFeed(job.candles, job.symbol),
    registrations: module.registrations,
    strategyName: job.strategyName,
    exchangeName: job.exchangeName,
    frameName: job.frameName,
    frameStart: job.from,
    frameEnd: lastTick(job.from, job.to, job.interval),
    frameInterval: job.interval,
    exchangeSchema: module.registrations.exchanges.get(job.exchangeName) ?? (exchanges.length === 1 ? exchanges[0] : undefined),
    signalId: (createdAt) => `${job.runId}:${job.symbol}:${createdAt}`,
    onResult: job.onResult,
    onTick: job.onTick,
    onNotice: job.onNotice,
  });
  await run.run();
}

interface PublicSignal {
  id: string;
  position: 'long' | 'short';
  priceOpen: number;
  priceTakeProfit: number;
  priceStopLoss: number;
  originalPriceOpen: number;
  originalPriceTakeProfit: number;
  originalPriceStopLoss: number;
  minuteEstimatedTime: number;
  note?: string;
  cost: number;
  multiplier: number;
  isolated: boolean;
  scheduledAt: number;
  pendingAt: number;
  partialExecuted: number;
  totalEntries: number;
  totalPartials: number;
  _entry?: Array<{ price: number; cost: number; timestamp: number }>;
  _partial?: Array<{ type: 'profit' | 'loss'; percent: number; currentPrice: number; costBasisAtClose: number; entryCountAtClose: number; timestamp: number }>;
  _trailingPriceStopLoss?: number;
  _trailingPriceTakeProfit?: number;
  pnl: { pnlPercentage: number; priceOpen: number; priceClose: number; pnlCost: number; pnlEntries: number };
  peakProfit: { pnlPercentage: number } & Record<string, number>;
  maxDrawdown: { pnlPercentage: number } & Record<string, number>;
}

/** Our signal row for a closed or cancelled (or still open, at the end) backtest-kit result. */
export function signalRowOf(result: TickResult, identity: { runId: string; backtest: boolean }): SignalRow {
  const s = result.signal as PublicSignal;
  const row: SignalRow = {
    signalId: s.id,
    runId: identity.runId,
    symbol: result.symbol as string,
    strategyName: result.strategyName as string,
    exchangeName: result.exchangeName as string,
    frameName: result.frameName as string,
    backtest: identity.backtest,
    position: s.position,
    status: result.action === 'closed' ? 'closed' : result.action === 'cancelled' ? 'cancelled' : result.action === 'scheduled' ? 'scheduled' : 'opened',
    priceOpen: s.priceOpen,
    priceTakeProfit: s.priceTakeProfit,
    priceStopLoss: s.priceStopLoss,
    minuteEstimatedTime: storedLifetime(s.minuteEstimatedTime),
    scheduledAt: s.scheduledAt,
    cost: s.cost,
    multiplier: s.multiplier,
    isolated: s.isolated,
    currentPrice: result.currentPrice as number,
    partialExecuted: s.partialExecuted,
    totalEntries: s.totalEntries,
    totalPartials: s.totalPartials,
    originalPriceOpen: s.originalPriceOpen,
    originalPriceTakeProfit: s.originalPriceTakeProfit,
    originalPriceStopLoss: s.originalPriceStopLoss,
    createdAt: result.createdAt,
  };
  if (s.note) row.note = s.note;
  if (s.pendingAt) row.openedAt = s.pendingAt;
  if (s._entry) row.entries = s._entry.map((e) => ({ ...e }));
  if (s._partial) row.partials = s._partial.map((p) => ({ ...p }));
  if (s._trailingPriceStopLoss !== undefined) row.trailingPriceStopLoss = s._trailingPriceStopLoss;
  if (s._trailingPriceTakeProfit !== undefined) row.trailingPriceTakeProfit = s._trailingPriceTakeProfit;
  if (result.action === 'closed') {
    const pnl = result.pnl as PublicSignal['pnl'];
    row.closedAt = result.closeTimestamp as number;
    row.closeReason = result.closeReason as SignalRow['closeReason'];
    row.priceClose = pnl.priceClose;
    row.pnlPercent = pnl.pnlPercentage;
    row.pnl = { ...pnl };
    row.peakProfit = { ...s.peakProfit };
    row.maxDrawdown = { ...s.maxDrawdown };
  } else if (result.action === 'cancelled') {
    row.closedAt = result.closeTimestamp as number;
    row.cancelReason = result.reason as SignalRow['cancelReason'];
    delete row.openedAt;
  }
  return row;
}

/** The tick result backtest-kit reports for a row (the CLI's output, read back from stored rows). */
export function tickResultOf(row: SignalRow): Record<string, unknown> {
  const signal = {
    id: row.signalId,
    position: row.position,
    priceOpen: row.priceOpen,
    priceTakeProfit: row.priceTakeProfit,
    priceStopLoss: row.priceStopLoss,
    minuteEstimatedTime: lifetimeJson(row.minuteEstimatedTime),
    note: row.note ?? '',
    scheduledAt: row.scheduledAt,
    pendingAt: row.status === 'cancelled' ? 0 : row.openedAt,
  };
  if (row.status === 'cancelled') {
    return { action: 'cancelled', symbol: row.symbol, signal, reason: row.cancelReason, cancelReason: row.cancelReason, closeTimestamp: row.closedAt, currentPrice: row.currentPrice };
  }
  return {
    action: 'closed',
    symbol: row.symbol,
    signal,
    closeReason: row.closeReason,
    closeTimestamp: row.closedAt,
    currentPrice: row.currentPrice,
    pnl: { pnlPercentage: row.pnl?.pnlPercentage ?? row.pnlPercent, priceOpen: row.pnl?.priceOpen ?? row.priceOpen, priceClose: row.pnl?.priceClose ?? row.priceClose, pnlCost: row.pnl?.pnlCost, pnlEntries: row.pnl?.pnlEntries },
  };
}
