import type { Worker } from 'node:worker_threads';
import type { RunFailure } from './run-record';
import { spawnRunWorker, type RunWorkerEntry } from './worker-entry';
import type { FromWorker, ToWorker, WorkerJob } from './worker-protocol';

/** Loading a worker (and, from source, compiling it) can take seconds on a busy machine. */
const STARTUP_GRACE_MS = 60_000;

/** What a job's owner (the run) does with the worker's messages. */
export interface JobHandlers {
  /** The run's live set of workers: a stop or a failure terminates all of them. */
  workers: Set<Worker>;
  onEvents(m: Extract<FromWorker, { type: 'events' }>): void;
  /** The job ended cleanly (with what the worker computed at its end). */
  onDone?(m: Extract<FromWorker, { type: 'done' }>): void;
  onRpc(worker: Worker, m: Extract<FromWorker, { type: 'rpc' }>): void;
  /** The first failure of the run ends it; later ones are ignored by the owner. */
  onFailure(failure: RunFailure): void;
  /** A worker exiting during a stop or shutdown is expected, not a failure. */
  isStopping(): boolean;
  /** Name of the strategy, for the watchdog's message. */
  strategyName: string;
}

interface Busy {
  handlers: JobHandlers;
  /** Last message time; absent until the first message (startup is not watched as tightly). */
  lastSeen?: number;
  spawnedAt?: number;
}

/**
 * The run worker threads: warm ones are kept for the next job (loading one costs ~0.1–1 s), busy
 * ones are watched, and one silent for `watchdogMs` (a strategy in an endless loop) is terminated.
 */
export class RunWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly idleDrop = new Map<Worker, () => void>();
  private readonly busy = new Map<Worker, Busy>();
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly entry: RunWorkerEntry,
    /** Warm workers kept at most. */
    private readonly maxIdle: number,
    private readonly watchdogMs: number,
  ) {
    this.watchdog = setInterval(() => this.checkWatchdog(), Math.max(50, Math.min(1000, watchdogMs / 4)));
    this.watchdog.unref();
  }

  /** Runs one job on a worker; resolves when it is done, failed or terminated (never rejects). */
  run(job: WorkerJob, h: JobHandlers): Promise<void> {
    return new Promise((resolve) => {
      const { worker, fresh } = this.acquire();
      h.workers.add(worker);
      const busy: Busy = fresh ? { handlers: h, spawnedAt: Date.now() } : { handlers: h, lastSeen: Date.now() };
      this.busy.set(worker, busy);
      let settled = false;
      const settle = (reusable: boolean): void => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        h.workers.delete(worker);
        this.busy.delete(worker);
        if (reusable) this.release(worker);
        else void worker.terminate();
        resolve();
      };
      // Only this job's own listeners are removed afterwards: Worker keeps internal ones (they ref
      // and unref its message port), which removeAllListeners would break.
      const onMessage = (m: FromWorker): void => {
        if (settled) return;
        busy.lastSeen = Date.now();
        if (m.type === 'events') h.onEvents(m);
        else if (m.type === 'rpc') h.onRpc(worker, m);
        else if (m.type === 'done') {
          h.onDone?.(m);
          settle(h.workers.has(worker));
        }
        else if (m.type === 'failed') {
          h.onFailure({ error: m.error, stack: m.stack, symbol: m.symbol });
          settle(false);
        }
      };
      const onError = (error: Error): void => {
        h.onFailure({ error: error.message, stack: error.stack, symbol: job.kind === 'backtest' ? job.symbol : undefined });
        settle(false);
      };
      const onExit = (): void => {
        if (!settled && !h.isStopping() && !this.closed) h.onFailure({ error: 'the run worker exited unexpectedly' });
        settle(false);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'start', job } satisfies ToWorker);
    });
  }

  /** Terminates every idle worker; busy ones end with their runs. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((w) => terminate(w)));
  }

  private acquire(): { worker: Worker; fresh: boolean } {
    const warm = this.idle.pop();
    if (warm) {
      warm.off('exit', this.idleDrop.get(warm)!);
      this.idleDrop.delete(warm);
      warm.ref();
      return { worker: warm, fresh: false };
    }
    return { worker: spawnRunWorker(this.entry), fresh: true };
  }

  /** Keeps a worker that finished cleanly for the next job (up to maxIdle of them). */
  private release(worker: Worker): void {
    if (this.closed || this.idle.length >= this.maxIdle) {
      void terminate(worker);
      return;
    }
    const drop = (): void => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
    };
    worker.once('exit', drop);
    this.idleDrop.set(worker, drop);
    worker.unref();
    this.idle.push(worker);
  }

  private checkWatchdog(): void {
    const now = Date.now();
    for (const [worker, busy] of this.busy) {
      const silentFor = busy.lastSeen === undefined ? now - (busy.spawnedAt ?? now) - STARTUP_GRACE_MS : now - busy.lastSeen;
      if (silentFor > this.watchdogMs) {
        busy.handlers.onFailure({
          error: `watchdog: the strategy "${busy.handlers.strategyName}" did not return for ${Math.round(silentFor / 1000)} s (endless loop?); its worker was terminated`,
        });
        void terminate(worker);
      }
    }
  }
}

/** Terminating a worker that already exited rejects; that is not worth reporting. */
export function terminate(worker: Worker): Promise<void> {
  return worker.terminate().then(
    () => undefined,
    () => undefined,
  );
}

export async function terminateAll(workers: Set<Worker>): Promise<void> {
  const all = [...workers];
  workers.clear();
  await Promise.all(all.map(terminate));
}
