import { FINAL_SIGNAL_STATUSES, type SignalRow, type SignalStatus } from '../../../../shared/domain/signals';
import type { ListPage } from '../contract';
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
    if (isNew) await outageTolerant(() => this.enforceCap(checked.backtest), undefined);
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
    const { total } = await this.store.list({ key: { backtest }, limit: 1 });
    const excess = total - this.cap;
    if (excess <= 0) return;
    const victims = await this.store.list({
      key: { backtest },
      where: { status: [...FINAL_SIGNAL_STATUSES] },
      sortBy: 'closedAt',
      order: 'asc',
      limit: excess,
    });
    for (const { key } of victims.items) await this.store.remove(key);
  }
}
