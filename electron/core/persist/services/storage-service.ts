import { FINAL_SIGNAL_STATUSES, type SignalRow, type SignalStatus } from '../../../../shared/domain/signals';
import { LIST_LIMIT_MAX, PersistValidationError, type ListPage } from '../contract';
import { isOutageError } from '../outage-errors';
import type { StorageKey } from '../subsystems';
import type { TypedStore } from '../typed-store';
import { KeyValueService } from './key-value-service';

async function outageTolerant<T>(task: () => Promise<T>, duringOutage: T): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (isOutageError(error)) return duringOutage;
    throw error;
  }
}

export interface SignalFilter {
  status?: SignalStatus | SignalStatus[];
  symbol?: string;
  runId?: string;
  strategyName?: string;
}

/**
 * Signal rows, keyed {backtest, signalId}. Each mode keeps at most `cap` rows: when a new row goes
 * over, the oldest closed or cancelled rows are dropped (open ones never are).
 */
export class StorageService extends KeyValueService<StorageKey, SignalRow> {
  /**
   * Rows of this mode as last counted plus the new ones since. Counting on every insert made a
   * run of n signals cost O(n^2) on the in-memory and file adapters; now the store is counted once
   * and again only when the estimate passes the cap.
   */
  private estimatedRows: number | undefined;

  constructor(
    store: TypedStore<StorageKey, SignalRow>,
    readonly cap: number,
    private readonly backtest: boolean,
  ) {
    super(store);
  }

  async upsert(row: SignalRow): Promise<void> {
    const checked = this.store.checkValue(row);
    const key = { backtest: checked.backtest, signalId: checked.signalId };
    // The cap is housekeeping: while MongoDB is unreachable the row is still written (spooled),
    // and trimming waits for a later write.
    const isNew = await outageTolerant(async () => !(await this.store.has(key)), false);
    await this.store.write(key, checked);
    if (!isNew) return;
    await outageTolerant(async () => {
      this.estimatedRows = this.estimatedRows === undefined ? await this.countRows(checked.backtest) : this.estimatedRows + 1;
      if (this.estimatedRows > this.cap) await this.enforceCap(checked.backtest);
    }, undefined);
  }

  /**
   * Many rows at once (a finished backtest's newest rows): the same stored rows as `upsert` of each
   * in order, at a fraction of the cost. Every row is still checked against the row schema (rows
   * reach here from a worker that ran a strategy, so they are not trusted), the valid ones go to
   * the adapter as one batch (one unordered bulkWrite per 1,000 rows on MongoDB, spooled during an
   * outage), and the cap is enforced once for the batch instead of counted per row. A refused row
   * stores nothing and stops no other: the valid rows are written, then a PersistValidationError
   * names each refused row and its fields at fault.
   */
  async writeMany(rows: readonly SignalRow[]): Promise<void> {
    // The last row of a key wins, as it would writing one after another.
    const lastOfKey = new Map<string, number>();
    rows.forEach((row, index) => lastOfKey.set(`${String(row.backtest)}|${String(row.signalId)}`, index));
    const positions = [...lastOfKey.values()].sort((a, b) => a - b);
    const entries = positions.map((index) => ({ key: { backtest: rows[index]!.backtest, signalId: rows[index]!.signalId }, value: rows[index]! }));
    const refused = await this.store.writeBatch(entries);
    const refusedAt = new Set(refused.map((r) => r.index));
    const modes = new Set(entries.filter((_, i) => !refusedAt.has(i)).map((e) => e.key.backtest));
    for (const backtest of modes) await outageTolerant(() => this.enforceCap(backtest), undefined);
    if (refused.length > 0) {
      const problems = refused.flatMap(({ index, error }) => error.problems.map((problem) => `row ${positions[index]!} (signalId ${JSON.stringify(String(entries[index]!.key.signalId)).slice(0, 80)}) ${error.what === 'key' ? 'key ' : ''}${problem}`));
      throw new PersistValidationError(`storage (${refused.length} of ${rows.length} rows refused, the others written)`, 'payload', problems);
    }
  }

  private async countRows(backtest: boolean): Promise<number> {
    return (await this.store.list({ key: { backtest }, limit: 1, ownOnly: true })).total;
  }

  getSignal(signalId: string, backtest = this.backtest): Promise<SignalRow | null> {
    return this.store.read({ backtest, signalId });
  }

  /** Rows of this mode, newest first. */
  async listSignals(filter: SignalFilter = {}, paging: { offset?: number; limit?: number } = {}): Promise<ListPage<StorageKey, SignalRow>> {
    const where: Record<string, string | string[]> = {};
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.symbol !== undefined) where.symbol = filter.symbol;
    if (filter.runId !== undefined) where.runId = filter.runId;
    if (filter.strategyName !== undefined) where.strategyName = filter.strategyName;
    return this.store.list({ key: { backtest: this.backtest }, where, order: 'desc', ...paging });
  }

  private async enforceCap(backtest: boolean): Promise<void> {
    const total = await this.countRows(backtest);
    this.estimatedRows = total;
    if (total <= this.cap) return;
    // Trim a tenth below the cap so the sort over all rows runs once per cap/10 inserts, not per insert.
    let excess = total - Math.floor(this.cap * 0.9);
    let removed = 0;
    while (excess > 0) {
      const victims = await this.store.listKeys({
        key: { backtest },
        // The cap is for the app's own rows: a bot's rows in a shared database are neither counted nor removed.
        ownOnly: true,
        where: { status: [...FINAL_SIGNAL_STATUSES] },
        sortBy: 'closedAt',
        order: 'asc',
        limit: Math.min(excess, LIST_LIMIT_MAX),
      });
      if (victims.length === 0) break; // only open rows left: those are never dropped
      await this.store.removeMany(victims);
      removed += victims.length;
      excess -= victims.length;
    }
    this.estimatedRows = total - removed;
  }
}
