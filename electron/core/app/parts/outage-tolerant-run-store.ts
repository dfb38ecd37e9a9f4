import { isNetworkOrTimeoutError } from '../../db/errors';
import type { RunHistoryQuery, RunStore, RunStoreEditing, StoredRun } from '../../engine/run-store';

/**
 * A run's checkpoint (request, summary, cursors) is "latest wins", so during a MongoDB outage it
 * is enough to hold the newest one per run and write it when the database answers again. Without
 * this a live run would fail on the first checkpoint after the connection drops, although its
 * signals and notifications are safe in the persistence layer's spool.
 */
export class OutageTolerantRunStore implements RunStore, RunStoreEditing {
  private readonly pending = new Map<string, StoredRun>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly inner: RunStore & RunStoreEditing,
    private readonly retryMs = 2000,
    private readonly onHeld: (runId: string, reason: string) => void = () => undefined,
    /** False while the connection is known to be down: hold without trying (a try can block for seconds). */
    private readonly isUp: () => boolean = () => true,
  ) {}

  /** Checkpoints waiting for the database. */
  get held(): number {
    return this.pending.size;
  }

  async save(run: StoredRun): Promise<void> {
    if (this.pending.size > 0 || !this.isUp()) {
      // While anything is held (or the database is away) the newest checkpoint joins the queue and
      // the run goes on; the timer writes the queue once the database answers.
      this.hold(run, new Error('MongoDB is unreachable'));
      return;
    }
    try {
      await this.inner.save(run);
    } catch (error) {
      if (!isNetworkOrTimeoutError(error)) throw error;
      this.hold(run, error);
    }
  }

  private hold(run: StoredRun, error: unknown): void {
    const first = !this.pending.has(run.runId);
    this.pending.set(run.runId, structuredClone(run));
    if (first) this.onHeld(run.runId, error instanceof Error ? error.message : String(error));
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.retryMs);
    this.timer.unref();
  }

  /** Writes every held checkpoint; stops at the first network failure and tries again later. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      // Yield first: the finally below must not run before `flushing` has been assigned.
      await Promise.resolve();
      try {
        if (this.pending.size > 0 && !this.isUp()) {
          this.schedule();
          return;
        }
        for (const [runId, run] of [...this.pending]) {
          try {
            await this.inner.save(run);
            if (this.pending.get(runId) === run) this.pending.delete(runId);
          } catch (error) {
            if (!isNetworkOrTimeoutError(error)) throw error;
            this.hold(this.pending.get(runId) ?? run, error);
            return;
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async listUnfinished(): Promise<StoredRun[]> {
    const stored = await this.inner.listUnfinished();
    const byId = new Map(stored.map((r) => [r.runId, r]));
    for (const run of this.pending.values()) {
      if (run.summary.status === 'running' || run.summary.status === 'queued') byId.set(run.runId, run);
      else byId.delete(run.runId);
    }
    return [...byId.values()];
  }

  async get(runId: string): Promise<StoredRun | null> {
    const held = this.pending.get(runId);
    if (held) return structuredClone(held);
    return this.inner.get(runId);
  }

  /** The stored page, with any held (newer) checkpoint of a listed run in place of the stored one. */
  async list(query: RunHistoryQuery): Promise<{ items: StoredRun[]; total: number }> {
    const page = await this.inner.list(query);
    return {
      items: page.items.map((run) => {
        const held = this.pending.get(run.runId);
        if (!held) return run;
        const { result: _result, ...summaryOnly } = held;
        return structuredClone(summaryOnly);
      }),
      total: page.total,
    };
  }

  /** A rename is the user's, made while the database answers (it fails like any request otherwise). */
  rename(runId: string, name: string): Promise<boolean> {
    return this.inner.rename(runId, name);
  }

  /** Removes the stored run and any checkpoint of it still held, so a later flush cannot bring it back. */
  async remove(runId: string): Promise<boolean> {
    const removed = await this.inner.remove(runId);
    const held = this.pending.delete(runId);
    return removed || held;
  }

  /**
   * Hands over the checkpoints still held (the database went away for good, e.g. the user switched
   * to another one) and forgets them here, so the caller can write them elsewhere.
   */
  takeHeld(): StoredRun[] {
    const held = [...this.pending.values()];
    this.pending.clear();
    return held;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
