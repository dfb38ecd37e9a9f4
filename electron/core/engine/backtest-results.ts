import type { SignalRow } from '../../../shared/domain/runs';
import type { RunPersistence } from './run-persistence';
import { createdAtOf } from './signal-lifecycle';

/**
 * A finished backtest's rows go to the backtest column's Storage (capped per mode, oldest closed rows
 * first) once the replay is over, so the replay loop itself never waits on persistence; Recent gets
 * the latest signal of each symbol. The full list also stays in the run's result.
 */
export async function storeBacktestRows(persistence: RunPersistence, signals: Iterable<SignalRow>): Promise<void> {
  const { storage, recent } = persistence;
  const rows = [...signals];
  const latest = new Map<string, SignalRow>();
  for (const row of rows) {
    const prev = latest.get(row.symbol);
    if (!prev || createdAtOf(row) >= createdAtOf(prev)) latest.set(row.symbol, row);
  }
  // Storage keeps at most `cap` rows per mode, so only the newest `cap` of this run can stay.
  const newest = rows.sort((a, b) => createdAtOf(b) - createdAtOf(a)).slice(0, storage.cap);
  await storage.upsertMany(newest.reverse());
  for (const row of latest.values()) await recent.remember(row);
}
