import type { RunNotification, SignalRow, SignalTransition } from '../../../shared/domain/runs';
import { errorText, modeOf, progressOf, type RunRecord } from './run-record';
import type { RunPersistence } from './run-persistence';
import type { EngineLog, RunEmitter } from './run-context';

/** The signal transitions a paper/live run writes a notification for. */
export const NOTIFY_TRANSITIONS: Partial<Record<SignalTransition, RunNotification['type']>> = {
  scheduled: 'signal.scheduled',
  opened: 'signal.opened',
  closed: 'signal.closed',
  cancelled: 'signal.cancelled',
};

/** A notification a write may be retried for (the id is deterministic, so a retry is the same document). */
const WRITE_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 200;

/**
 * `createdAt` is when the notification was made (wall clock), so a paper replay's notifications sort
 * among the run's other ones as they arrive; the candle time of the transition is `data.candleAt`.
 * The message adds to the title instead of repeating it, PnL first so a narrow row keeps it.
 */
export function signalNotification(row: SignalRow, type: RunNotification['type'], at: number): RunNotification {
  const what = type.replace('signal.', '');
  const pnl = row.pnlPercent ?? 0;
  const detail =
    row.status === 'closed'
      ? `PnL ${pnl > 0 ? '+' : ''}${pnl.toFixed(2)}% (${row.closeReason})`
      : row.status === 'cancelled'
        ? `${row.cancelReason}`
        : `at ${row.priceOpen}`;
  return {
    notificationId: `${row.signalId}:${type}`,
    type,
    backtest: row.backtest,
    runId: row.runId,
    symbol: row.symbol,
    strategyName: row.strategyName,
    signalId: row.signalId,
    title: `${row.symbol} ${row.position} ${what}`,
    message: `${detail} · ${row.strategyName}`,
    createdAt: Math.max(Date.now(), at),
    read: false,
    data: { position: row.position, priceOpen: row.priceOpen, priceClose: row.priceClose, pnlPercent: row.pnlPercent, closeReason: row.closeReason, cancelReason: row.cancelReason, candleAt: at },
  };
}

export function runNotification(record: RunRecord, type: RunNotification['type'], title: string, message: string, data?: Record<string, unknown>): RunNotification {
  const runId = record.summary.runId;
  const n: RunNotification = {
    notificationId: `${runId}:${type}`,
    type,
    backtest: record.request.kind === 'backtest',
    runId,
    strategyName: record.request.strategyName,
    title,
    message,
    createdAt: Date.now(),
    read: false,
  };
  if (data) n.data = data;
  return n;
}

/**
 * Writes a run's notifications to its Notification subsystem (the live one spools through a MongoDB
 * outage by itself) and puts them on the run's event stream.
 */
export class RunNotifier {
  constructor(
    private readonly persistence: { live: RunPersistence; backtest: RunPersistence },
    private readonly emitter: RunEmitter,
    private readonly log: EngineLog,
  ) {}

  /** Stores, then emits. Throws when the write fails: for the callers whose run depends on it. */
  async notify(record: RunRecord, n: RunNotification): Promise<void> {
    await this.persistence[modeOf(record.request.kind)].notifications.append(n);
    this.emit(record, n);
  }

  /**
   * For notifications whose run goes on (or is ending anyway) if the write fails: retried a few
   * times, then logged with the run and the notification; the event is emitted either way, so the
   * UI still shows it live. Never throws.
   */
  async notifyOrLog(record: RunRecord, n: RunNotification): Promise<void> {
    const p = this.persistence[modeOf(record.request.kind)];
    for (let attempt = 1; ; attempt++) {
      try {
        await p.notifications.append(n);
        break;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) {
          this.log('error', `run ${record.summary.runId}: notification ${n.type} (${n.notificationId}) could not be stored after ${attempt} attempts: ${errorText(error)}`);
          break;
        }
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt));
      }
    }
    this.emit(record, n);
  }

  /** The run's progress as it is now (after its writes moved it on). */
  emitProgress(record: RunRecord): void {
    this.emitter.emitRun(record.summary.runId, progressOf(record));
  }

  private emit(record: RunRecord, n: RunNotification): void {
    const runId = record.summary.runId;
    this.emitter.emitRun(runId, { type: 'notification', runId, at: n.createdAt, notification: n });
  }
}
