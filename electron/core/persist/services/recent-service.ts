import type { SignalRow } from '../../../../shared/domain/signals';
import type { RecentKey } from '../subsystems';
import { KeyValueService } from './key-value-service';

/** The latest signal per (symbol, strategy, exchange, frame, backtest). */
export class RecentService extends KeyValueService<RecentKey, SignalRow> {
  static keyOf(row: SignalRow): RecentKey {
    return { symbol: row.symbol, strategyName: row.strategyName, exchangeName: row.exchangeName, frameName: row.frameName ?? '', backtest: row.backtest };
  }

  /** Records `row` as the latest signal of its context. */
  remember(row: SignalRow): Promise<void> {
    return this.set(RecentService.keyOf(row), row);
  }

  latest(context: RecentKey): Promise<SignalRow | null> {
    return this.get(context);
  }
}
