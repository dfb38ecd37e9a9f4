import type { SignalRow } from '../../../shared/domain/runs';
import type { RunPersistence } from './run-persistence';

/**
 * A finished backtest's rows go to the backtest column's Storage (capped per mode, oldest closed rows
 * first) once the replay is over, so the replay loop itself never waits on persistence; Recent gets
 * the latest signal of each symbol. The full list also stays in the run's result.
 *
 * `rows` are in creation order (runDetailOf's `signals`), so the newest are the last ones.
 */
export async function storeBacktestRows(persistence: RunPersistence, rows: readonly SignalRow[]): Promise<void> {
  const { storage, recent } = persistence;
  const latest = new Map<string, SignalRow>();
  for (const row of rows) latest.set(row.symbol, row);
  // Storage keeps at most `cap` rows per mode, so only the newest `cap` of this run can stay.
  await storage.upsertMany(rows.slice(-storage.cap));
  for (const row of latest.values()) await recent.remember(row);
}
