import type { Worker } from 'node:worker_threads';
import { INTERVAL_MS } from '../../../shared/candles';
import { FINAL_RUN_STATUSES, type RunEvent, type RunKind, type RunRequest, type RunStatus, type RunSummary, type RunTally, type SignalRow } from '../../../shared/domain/runs';
import { BacktestOutcome } from './backtest-outcome';
import type { StoredRun } from './run-store';
import { createdAtOf } from './signal-lifecycle';

/** Why a run failed: the first failure wins (a worker's error, the watchdog, a persistence error). */
export interface RunFailure {
  error: string;
  stack?: string;
  symbol?: string;
}

/** Everything the run manager knows about one run while this process holds it. */
export interface RunRecord {
  summary: RunSummary;
  request: RunRequest;
  signals: Map<string, SignalRow>;
  workers: Set<Worker>;
  cursors: Record<string, number>;
  /** Per-symbol progress, summed into the run's. */
  progress: Map<string, { processed: number; total: number }>;
  /** Backtests: per-symbol trades closed so far (from the workers' progress), summed into the run's `tally`. */
  tallies: Map<string, RunTally>;
  startedClock?: number;
  /**
   * Paper/live: how many of the processed steps have their writes done (signals, notifications,
   * checkpoint). A replay at full speed is far ahead of MongoDB; its progress follows the writes,
   * since the run is not over before they are.
   */
  written?: number;
  /** The first progress sample (clock, done): rates are measured from it, so start-up time (worker, warm-up) does not inflate the ETA. */
  firstSample?: { clock: number; done: number };
  /** Live persistence runs in message order, one write after another. */
  chain: Promise<void>;
  stopRequested: boolean;
  /** When the paper/live checkpoint was last written, and the pending deferred write. */
  savedAt?: number;
  checkpointTimer?: NodeJS.Timeout;
  /** Set by a worker's failure so the other symbols of the run stop too. */
  failure?: RunFailure;
  /** Backtests: its history record and Storage rows, written once it has finished (BacktestWriter). */
  stored?: Promise<void>;
  /** Backtests: the run's result, each symbol's (packed by its worker) merged in as it arrives. */
  outcome?: BacktestOutcome;
}

export const isFinal = (s: RunStatus): boolean => (FINAL_RUN_STATUSES as readonly string[]).includes(s);

/** Which column of the adapter matrix a run writes to. */
export function modeOf(kind: RunKind): 'live' | 'backtest' {
  return kind === 'backtest' ? 'backtest' : 'live';
}

export function frameNameOf(r: RunRequest): string {
  if (r.frameName) return r.frameName;
  const iso = (t?: number): string => (t === undefined ? 'now' : new Date(t).toISOString().slice(0, 16));
  return `${r.interval}:${iso(r.from)}..${iso(r.to)}`;
}

/** A fresh record, or one seeded from a stored paper/live run that is being resumed. */
export function newRunRecord(runId: string, request: RunRequest, stored?: StoredRun): RunRecord {
  const summary: RunSummary = stored?.summary ?? {
    runId,
    kind: request.kind,
    status: 'queued',
    strategyName: request.strategyName,
    exchangeName: request.exchangeName,
    frameName: frameNameOf(request),
    symbols: request.symbols,
    interval: request.interval,
    params: request.params,
    progress: 0,
    processed: 0,
    total: 0,
    createdAt: Date.now(),
  };
  if (request.from !== undefined) summary.from = request.from;
  if (request.to !== undefined) summary.to = request.to;
  return {
    summary: { ...summary, status: 'queued' },
    request,
    signals: new Map(),
    workers: new Set(),
    cursors: { ...(stored?.cursors ?? {}) },
    progress: new Map(),
    tallies: new Map(),
    chain: Promise.resolve(),
    stopRequested: false,
  };
}

/** Sums the per-symbol progress into the summary (with an ETA) and returns the progress event. */
export function progressOf(record: RunRecord): RunEvent {
  let processed = 0;
  let total = 0;
  for (const p of record.progress.values()) {
    processed += p.processed;
    total += p.total;
  }
  const s = record.summary;
  s.processed = processed;
  s.total = total;
  const done = record.request.kind !== 'backtest' && record.written !== undefined ? Math.min(processed, record.written) : processed;
  s.progress = total > 0 ? Math.min(1, done / total) : 0;
  const eta = etaOf(record, done, total);
  if (eta !== undefined) s.etaMs = eta;
  else delete s.etaMs;
  if (record.tallies.size > 0) {
    const tally: RunTally = { trades: 0, pnlPercent: 0 };
    for (const t of record.tallies.values()) {
      tally.trades += t.trades;
      tally.pnlPercent += t.pnlPercent;
    }
    s.tally = tally;
  }
  const event: RunEvent = { type: 'progress', runId: s.runId, at: Date.now(), processed, total, progress: s.progress };
  if (s.etaMs !== undefined) event.etaMs = s.etaMs;
  if (s.tally !== undefined) event.tally = { ...s.tally };
  return event;
}

/** An ETA needs this much measured time after the first sample before it is shown. */
const MIN_RATE_WINDOW_MS = 300;

/**
 * A paced paper replay's remaining time is known: what is left of its range divided by its speed.
 * Otherwise (backtest, a replay at full speed): the rate since the first sample, not since the
 * start, which includes loading the worker and the candles.
 */
function etaOf(record: RunRecord, done: number, total: number): number | undefined {
  if (total <= 0 || done >= total) return undefined;
  const r = record.request;
  if (r.kind === 'paper' && r.replaySpeed > 0 && r.from !== undefined && r.to !== undefined) {
    return Math.round(((r.to - r.from) / r.replaySpeed) * (1 - done / total));
  }
  const now = performance.now();
  if (!record.firstSample) {
    record.firstSample = { clock: now, done };
    return undefined;
  }
  const elapsed = now - record.firstSample.clock;
  const progressed = done - record.firstSample.done;
  if (elapsed < MIN_RATE_WINDOW_MS || progressed <= 0) return undefined;
  return Math.round((elapsed / progressed) * (total - done));
}

/** The signal each symbol had pending at its cursor, as it was then (later changes are replayed). */
export function pendingAtCursors(record: RunRecord): Record<string, SignalRow> {
  const out: Record<string, SignalRow> = {};
  const candleMs = INTERVAL_MS[record.request.interval];
  for (const row of record.signals.values()) {
    const cursor = record.cursors[row.symbol];
    if (cursor === undefined) continue;
    const cursorClose = cursor + candleMs;
    if (createdAtOf(row) > cursorClose) continue;
    if (row.closedAt !== undefined && row.closedAt <= cursorClose) continue;
    const asOf: SignalRow = { ...row };
    delete asOf.closedAt;
    delete asOf.closeReason;
    delete asOf.cancelReason;
    delete asOf.priceClose;
    delete asOf.pnlPercent;
    delete asOf.peakProfit;
    delete asOf.maxDrawdown;
    asOf.status = asOf.openedAt !== undefined && asOf.openedAt <= cursorClose ? 'opened' : 'scheduled';
    if (asOf.status === 'scheduled') delete asOf.openedAt;
    out[row.symbol] = asOf;
  }
  return out;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A backtest's merged result from the symbols that have finished so far. */
export function outcomeOf(record: RunRecord): BacktestOutcome {
  return (record.outcome ??= new BacktestOutcome(record.request));
}
