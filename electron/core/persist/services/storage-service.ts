import { FINAL_SIGNAL_STATUSES, type SignalRow, type SignalStatus } from '../../../../shared/domain/signals';
import type { ListPage } from '../contract';
import type { StorageKey } from '../subsystems';
import type { TypedStore } from '../typed-store';
import { KeyValueService } from './key-value-service';

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
    const isNew = !(await this.store.has(key));
    await this.store.write(key, checked);
    if (isNew) await this.enforceCap(checked.backtest);
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
