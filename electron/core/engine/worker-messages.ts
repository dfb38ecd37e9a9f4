import type { Worker } from 'node:worker_threads';
import type { RunEvent } from '../../../shared/domain/runs';
import type { LiveRunPersistence } from './live-run-persistence';
import type { EngineLog } from './run-context';
import type { JsonValue, RunPersistence } from './run-persistence';
import { errorText, isFinal, modeOf, progressOf, type RunRecord } from './run-record';
import type { EngineEvent, FromWorker, ToWorker, WorkerJob } from './worker-protocol';

/** What the handler needs of the run manager. */
export interface WorkerMessageContext {
  persistence: { live: RunPersistence; backtest: RunPersistence };
  livePersistence: Pick<LiveRunPersistence, 'record'>;
  emitRun(runId: string, event: RunEvent): void;
  log: EngineLog;
}

/**
 * What a run's workers send while they run: events and progress (re-emitted on the run's stream,
 * a backtest's tally summed, a paper/live run's writes queued), and the strategy's Session, State
 * and Memory calls, served from the run's persistence.
 */
export class WorkerMessageHandler {
  constructor(private readonly ctx: WorkerMessageContext) {}

  onEvents(record: RunRecord, job: WorkerJob, m: Extract<FromWorker, { type: 'events' }>): void {
    if (record.stopRequested || isFinal(record.summary.status)) return;
    for (const e of m.events) this.applyEvent(record, e);
    const key = job.kind === 'backtest' ? job.symbol : '*';
    record.progress.set(key, { processed: m.processed, total: m.total });
    if (job.kind === 'backtest' && m.tally) record.tallies.set(job.symbol, m.tally);
    if (job.kind !== 'backtest') for (const s of record.request.symbols) if (s !== key) record.progress.delete(s);
    this.ctx.emitRun(record.summary.runId, progressOf(record));
    if (record.request.kind !== 'backtest') this.ctx.livePersistence.record(record, m.events, m.cursors ?? {});
  }

  private applyEvent(record: RunRecord, e: EngineEvent): void {
    const runId = record.summary.runId;
    if (e.type === 'signal') {
      record.signals.set(e.signal.signalId, e.signal);
      this.ctx.emitRun(runId, { type: 'signal', runId, at: e.at, transition: e.transition, signal: e.signal });
    } else if (e.type === 'notification') {
      this.ctx.emitRun(runId, { type: 'notification', runId, at: e.at, notification: e.notification });
      if (record.request.kind === 'backtest') {
        this.ctx.persistence.backtest.notifications.append(e.notification).catch((error: unknown) => {
          this.ctx.log('error', `run ${runId}: backtest notification ${e.notification.type} (${e.notification.notificationId}) could not be stored: ${errorText(error)}`, { kind: 'run', runId });
        });
      }
    } else {
      const { type: _t, ...rest } = e;
      this.ctx.emitRun(runId, { type: 'state', runId, ...rest });
    }
  }

  /** Session/State/Memory calls of a strategy, served from the run's persistence (per the matrix). */
  onRpc(record: RunRecord, worker: Worker, m: Extract<FromWorker, { type: 'rpc' }>): void {
    const store = this.ctx.persistence[modeOf(record.request.kind)][m.subsystem] as unknown as {
      get(k: unknown): Promise<JsonValue | null>;
      set(k: unknown, v: JsonValue): Promise<void>;
    };
    const op = m.method === 'get' ? store.get(m.key) : store.set(m.key, (m.value ?? null) as JsonValue).then(() => null);
    op.then(
      (value) => worker.postMessage({ type: 'rpc-result', id: m.id, value } satisfies ToWorker),
      (error: unknown) => worker.postMessage({ type: 'rpc-result', id: m.id, error: errorText(error) } satisfies ToWorker),
    );
  }
}
