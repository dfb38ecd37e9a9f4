import type { SignalRow } from '../../../shared/domain/runs';
import type { BacktestOutcome } from './backtest-outcome';
import type { LiveRunPersistence } from './live-run-persistence';
import type { EngineLog } from './run-context';
import type { RunPersistence } from './run-persistence';
import { errorText, type RunRecord } from './run-record';
import { thinEquity } from './run-history';
import { MAX_EQUITY_POINTS, MAX_KEPT_ROWS, type StoredRunResult } from './run-store';

/** Rows per Storage write of a finished backtest (one bulk write each on MongoDB). */
const STORAGE_PAGE = 1_000;

type RecordLike = Pick<RunRecord, 'summary'>;

/**
 * What a finished backtest writes, once its replay is over (the replay loop never waits on
 * persistence): each symbol's latest row to Recent, the newest rows the backtest column's Storage
 * can keep (capped per mode, oldest closed rows first), and its history record (run-store). The
 * full list stays in the run's result.
 */
export async function rememberLatest(persistence: RunPersistence, outcome: BacktestOutcome): Promise<void> {
  for (const row of outcome.latestRows()) await persistence.recent.remember(row);
}

/**
 * A finished backtest's history record (run-store) and its rows in the backtest column's Storage,
 * written after the run is announced finished: its result (`get`, `detail`) is served from memory
 * meanwhile, and parsing and validating 10,000 rows costs the main thread as much as replaying
 * several symbols. Runs are written one after another; `settled()` waits for them (the run
 * manager's `close`, `listAll` and `detail` of a stored run do), and a failed write is logged with
 * what it means.
 */
export class BacktestWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly persistence: RunPersistence,
    private readonly history: Pick<LiveRunPersistence, 'saveFinal'>,
    private readonly log: EngineLog,
  ) {}

  /**
   * `completed`: only a completed run's rows go to Storage (a failed or stopped one keeps its
   * history record). Resolves when this run's writes are done (never rejects: failures are logged).
   */
  write(record: RunRecord, outcome: BacktestOutcome, completed: boolean): Promise<void> {
    const start = record.request.from ?? record.summary.startedAt ?? record.summary.createdAt;
    this.queue = this.queue.then(async () => {
      // The run's completion reaches its listeners first; parsing its rows for the writes comes after.
      await new Promise((resolve) => setImmediate(resolve));
      // The history keeps the newest MAX_KEPT_ROWS rows; they are parsed once, for it and for Storage.
      const kept = outcome.newestRows(MAX_KEPT_ROWS);
      await this.history.saveFinal(record, storedBacktestResult(outcome, start, kept));
      if (!completed) return;
      await this.writeStorage(record, outcome, kept);
    });
    return this.queue;
  }

  /**
   * The newest rows Storage can keep (`cap` per mode), oldest first, a page at a time: only a
   * page of rows beyond the history's is parsed at once, and each page's checked copies are
   * garbage before the next, so the memory this takes does not grow with the cap. A page that
   * fails is logged and the others are still written.
   */
  private async writeStorage(record: RecordLike, outcome: BacktestOutcome, kept: readonly SignalRow[]): Promise<void> {
    const total = outcome.rowCount;
    const keptFrom = total - kept.length;
    const first = Math.max(0, total - this.persistence.storage.cap);
    for (let a = first; a < total; a += STORAGE_PAGE) {
      const b = Math.min(total, a + STORAGE_PAGE);
      const page = a >= keptFrom ? kept.slice(a - keptFrom, b - keptFrom) : [...outcome.rowsInOrder(a, Math.min(b, keptFrom)), ...kept.slice(0, Math.max(0, b - keptFrom))];
      try {
        await this.persistence.storage.writeMany(page);
      } catch (error) {
        this.log('error', `run ${record.summary.runId}: signal rows ${a + 1}–${b} of ${total} could not be written to the backtest Storage (${errorText(error)}); its result and history record are kept`);
      }
    }
  }

  settled(): Promise<void> {
    return this.queue;
  }
}

/** The history record of a backtest: statistics per symbol, the thinned equity curve, the newest rows. */
export function storedBacktestResult(outcome: BacktestOutcome, equityStart: number, newest: readonly SignalRow[]): StoredRunResult {
  const kept = newest.slice(-MAX_KEPT_ROWS);
  return {
    statsBySymbol: { ...outcome.statsBySymbol },
    equity: thinEquity(outcome.equity(equityStart), MAX_EQUITY_POINTS),
    signals: kept,
    signalsOmitted: outcome.rowCount - kept.length,
  };
}
