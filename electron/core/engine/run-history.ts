import type { EquityPoint, RunDetail, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { runDetailOf } from './run-detail';
import type { PagedRemovable, RunDataStores, RunPersistence } from './run-persistence';
import { MAX_EQUITY_POINTS, MAX_KEPT_ROWS, type StoredRun, type StoredRunResult } from './run-store';

/**
 * A finished run's result as the run store keeps it, so the run (statistics, equity curve, trades)
 * is still there after a restart even when the mode's Storage is in memory or trimmed its rows.
 */
export function storedResultOf(detail: RunDetail): StoredRunResult {
  // detail.signals are in creation order (runDetailOf): the newest are the last ones.
  const newest = detail.signals.slice(-MAX_KEPT_ROWS);
  return {
    statsBySymbol: detail.statsBySymbol,
    equity: thinEquity(detail.equity, MAX_EQUITY_POINTS),
    signals: newest,
    signalsOmitted: detail.signals.length - newest.length,
  };
}

/**
 * At most about `max` points; each bucket keeps its lowest and highest point (in time order), so
 * peaks and drawdowns stay visible. First and last points are always kept.
 */
export function thinEquity(points: readonly EquityPoint[], max: number): EquityPoint[] {
  if (points.length <= max) return [...points];
  const bucket = Math.ceil((points.length - 2) / Math.floor((max - 2) / 2));
  const out: EquityPoint[] = [points[0]!];
  for (let a = 1; a < points.length - 1; a += bucket) {
    const b = Math.min(points.length - 1, a + bucket);
    let lo = a;
    let hi = a;
    for (let i = a; i < b; i++) {
      if (points[i]!.equity < points[lo]!.equity) lo = i;
      if (points[i]!.equity > points[hi]!.equity) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else out.push(points[Math.min(lo, hi)]!, points[Math.max(lo, hi)]!);
  }
  out.push(points.at(-1)!);
  return out;
}

/**
 * A run from the store (an earlier session's): its rows are the ones the result kept (exactly as the
 * run produced them), plus any older ones the mode's Storage still holds; statistics are the ones
 * computed when it finished (they cover every row, also those no longer kept). A run that ended
 * without a result (it stopped with the app) has only what Storage holds.
 */
export async function storedRunDetail(stored: StoredRun, storage: RunPersistence['storage']): Promise<RunDetail> {
  const rows = new Map<string, SignalRow>();
  for (const row of stored.result?.signals ?? []) rows.set(row.signalId, row);
  if (!stored.result || stored.result.signalsOmitted > 0) {
    const kept = await storage.listSignals({ runId: stored.runId }, { limit: Math.min(storage.cap, 10_000) });
    for (const { value } of kept.items) if (!rows.has(value.signalId)) rows.set(value.signalId, value);
  }
  const detail = runDetailOf(stored.summary, stored.request, [...rows.values()]);
  if (stored.summary.stats) detail.stats = stored.summary.stats;
  if (stored.result) {
    detail.statsBySymbol = stored.result.statsBySymbol;
    detail.equity = stored.result.equity;
  }
  return detail;
}

/** Newest first, then by id, as both sources sort. */
export function byNewest(a: RunSummary, b: RunSummary): number {
  return b.createdAt - a.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);
}

/** How much of a deleted run's data each store gave up. */
export interface RemovedRunData {
  signals: number;
  notifications: number;
  stateEntries: number;
  memoryEntries: number;
}

/** One read of the stores: at most this many keys per page while looking for a run's entries. */
const REMOVE_PAGE = 10_000;

/**
 * Removes what a run owns from each mode's persistence: its signal rows, its notifications, the
 * State and Memory entries of its signals, and Recent where the latest row is its own. Session is
 * left: it is keyed by strategy, exchange, frame and symbol, which other runs of the same settings
 * share. The run's own record (run-items) is the caller's to remove last, so a delete that fails
 * half-way leaves the run listed and can be asked again.
 */
export async function removeRunData(run: Pick<RunSummary, 'runId' | 'strategyName' | 'exchangeName' | 'frameName' | 'symbols'>, stores: readonly RunDataStores[]): Promise<RemovedRunData> {
  const removed: RemovedRunData = { signals: 0, notifications: 0, stateEntries: 0, memoryEntries: 0 };
  // Our ids are `<runId>:<symbol>:<time>` (signalIdFor); the listed rows cover any other shape.
  const signalIds = new Set<string>();
  const ownSignal = (signalId: string): boolean => signalIds.has(signalId) || signalId.startsWith(`${run.runId}:`);
  for (const p of stores) {
    // Each pass removes a page, so the next starts over; a pass that removes nothing ends it (a row
    // the store will not remove, e.g. one a bot wrote, must not loop forever).
    for (let before = Number.POSITIVE_INFINITY; ; ) {
      const page = await p.storage.listSignals({ runId: run.runId }, { limit: REMOVE_PAGE });
      if (page.items.length === 0 || page.total >= before) break;
      before = page.total;
      for (const { key, value } of page.items) {
        signalIds.add(value.signalId);
        await p.storage.remove(key);
      }
      removed.signals += page.items.length;
    }
  }
  for (const p of stores) {
    removed.stateEntries += await removeWhere(p.state, (key) => ownSignal(key.signalId));
    removed.memoryEntries += await removeWhere(p.memory, (key) => ownSignal(key.signalId));
    for (const symbol of run.symbols) {
      const key = { symbol, strategyName: run.strategyName, exchangeName: run.exchangeName, frameName: run.frameName, backtest: p.mode === 'backtest' };
      if ((await p.recent.latest(key))?.runId === run.runId) await p.recent.remove(key);
    }
    removed.notifications += await p.notifications.removeByRun(run.runId);
  }
  return removed;
}

/** Every key `own` selects, read page by page first (removing while paging would skip entries). */
async function removeWhere<K>(store: PagedRemovable<K>, own: (key: K) => boolean): Promise<number> {
  const keys: K[] = [];
  for (let offset = 0; ; offset += REMOVE_PAGE) {
    const page = await store.list({ offset, limit: REMOVE_PAGE });
    for (const { key } of page.items) if (own(key)) keys.push(key);
    if (page.items.length < REMOVE_PAGE || offset + REMOVE_PAGE >= page.total) break;
  }
  for (const key of keys) await store.remove(key);
  return keys.length;
}
