import type { RunStore, StoredRun, StoredRunResult } from './run-store';
import type { RunPersistence } from './run-persistence';
import { NOTIFY_TRANSITIONS, signalNotification, type RunNotifier } from './run-notifications';
import { errorText, isFinal, type RunRecord } from './run-record';
import type { EngineLog } from './run-context';
import { terminateAll } from './run-worker-pool';
import type { EngineEvent } from './worker-protocol';

const CHECKPOINT_EVERY_MS = 1_000;
const SAVE_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 250;

/**
 * Paper/live runs write as they go: every signal row, the latest signal per symbol (Recent), one
 * notification per transition, and a checkpoint (request, summary, per-symbol cursor) in the run
 * store so a restart resumes where the run stopped. Writes run in message order on the record's
 * chain; a write that fails for good fails the run (it is never dropped silently). Every run, a
 * backtest too, ends with one final write of its status and result: the run history.
 */
export class LiveRunPersistence {
  constructor(
    private readonly live: RunPersistence,
    private readonly runStore: RunStore,
    private readonly notifier: RunNotifier,
    private readonly log: EngineLog,
    /** True once the manager is closing: no new deferred checkpoints. */
    private readonly closing: () => boolean,
  ) {}

  /** Queues the events of one worker message and the checkpoint that covers them. */
  record(record: RunRecord, events: EngineEvent[], cursors: Record<string, number>): void {
    // What the worker had processed when it sent these events: done once they are written.
    let processed = 0;
    for (const p of record.progress.values()) processed += p.processed;
    record.written ??= 0;
    record.chain = record.chain
      .then(async () => {
        await this.writeEvents(record, events);
        Object.assign(record.cursors, cursors);
        if (processed > record.written! && !isFinal(record.summary.status)) {
          record.written = processed;
          this.notifier.emitProgress(record);
        }
        // The checkpoint may lag (a resume then replays a little more, as the same documents);
        // it must never run ahead of the events it covers, which the chain guarantees.
        const now = Date.now();
        if (events.length > 0 || now - (record.savedAt ?? 0) >= CHECKPOINT_EVERY_MS) {
          record.savedAt = now;
          await this.checkpoint(record);
        } else {
          this.scheduleCheckpoint(record);
        }
      })
      .catch((error: unknown) => this.failRun(record, `cannot persist run ${record.summary.runId}: ${errorText(error)}`));
  }

  /** Writes the run's checkpoint (backtests are stored once, when they finish: see saveFinal). */
  async checkpoint(record: RunRecord): Promise<void> {
    if (record.request.kind === 'backtest') return;
    await this.save(record);
  }

  /**
   * The last write of a finished run (paper/live and backtest): its final status and statistics.
   * Retried; if it still fails the error is logged with what it means, because a paper/live run
   * whose store still says `running` would be resumed at the next start.
   */
  async saveFinal(record: RunRecord, result: StoredRunResult): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.save(record, result);
        return;
      } catch (error) {
        if (attempt >= SAVE_ATTEMPTS) {
          const consequence =
            record.request.kind === 'backtest'
              ? 'it will not be listed after a restart'
              : 'the run store still has its previous state, so it may be resumed at the next start';
          this.log('error', `run ${record.summary.runId} ended ${record.summary.status}, but its final state could not be stored after ${attempt} attempts (${errorText(error)}); ${consequence}`);
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt));
      }
    }
  }

  private save(record: RunRecord, result?: StoredRunResult): Promise<void> {
    const run: StoredRun = { runId: record.summary.runId, request: record.request, summary: { ...record.summary }, cursors: { ...record.cursors } };
    if (result) run.result = result;
    return this.runStore.save(run);
  }

  /** A skipped checkpoint is written a moment later, so a feed that went quiet is not left behind. */
  private scheduleCheckpoint(record: RunRecord): void {
    if (record.checkpointTimer) return;
    record.checkpointTimer = setTimeout(() => {
      record.checkpointTimer = undefined;
      if (isFinal(record.summary.status) || record.stopRequested || this.closing()) return;
      record.chain = record.chain
        .then(async () => {
          record.savedAt = Date.now();
          await this.checkpoint(record);
        })
        .catch((error: unknown) => this.failRun(record, `cannot write the checkpoint of run ${record.summary.runId}: ${errorText(error)}`));
    }, CHECKPOINT_EVERY_MS);
    record.checkpointTimer.unref();
  }

  /** The run stops (its workers see the failure and end); the manager then fails it visibly. */
  private failRun(record: RunRecord, error: string): void {
    this.log('error', error);
    record.failure ??= { error };
    void terminateAll(record.workers);
  }

  /**
   * Paper/live: the signal rows, the latest signal per symbol and one notification per transition.
   * The notifications are not awaited one by one: the inbox writes what arrives together as one
   * batch (and emits them in order), so a message with many transitions costs one inbox write.
   * They are all stored before this returns (and so before the checkpoint that covers them).
   */
  private async writeEvents(record: RunRecord, events: EngineEvent[]): Promise<void> {
    const notified: Array<Promise<unknown>> = [];
    const later = (p: Promise<unknown>): void => {
      // Awaited below; if a row write fails first the run fails on that error instead.
      p.catch(() => undefined);
      notified.push(p);
    };
    for (const e of events) {
      if (e.type === 'signal') {
        const row = e.signal;
        await this.live.storage.upsert(row);
        await this.live.recent.remember(row);
        const type = NOTIFY_TRANSITIONS[e.transition];
        if (type) later(this.notifier.notify(record, signalNotification(row, type, e.at)));
      } else if (e.type === 'notification') {
        later(this.live.notifications.append(e.notification));
      }
    }
    await Promise.all(notified);
  }
}
