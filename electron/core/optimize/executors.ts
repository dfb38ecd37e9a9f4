import { setMaxListeners } from 'node:events';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import type { TrialSummary } from '../../../shared/domain/optimize';
import type { CandleCache } from '../engine/candle-cache';
import type { SweepStore } from './sweep-store';
import type { TrialPool } from './trial-pool';
import type { TrialSpec } from './trial-spec';
import { CandleFilesMemo, candleIntervalOf, summarizeTrial } from './trial-summary';

/** Where a sweep's trials run. `run` resolves with the stored trial (never rejects for a trial's own failure). */
/** A Redis URL without its password, for logs (the app's and every worker's). */
export function redactedRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export interface TrialExecutor {
  readonly kind: 'local' | 'redis';
  /** Trials the sweep keeps in flight. */
  readonly capacity: number;
  /** Called once before a sweep's first trial (local: the candle cache files). */
  prepare(spec: TrialSpec): Promise<void>;
  run(spec: TrialSpec): Promise<TrialSummary>;
  /** Drops the sweep's trials that have not started (a stop). */
  cancel(sweepId: string): Promise<void>;
  /** Redis: the worker processes connected to the queue. */
  workerCount?(): Promise<number>;
  close(): Promise<void>;
}

/** This process's worker threads, on candle cache files prepared once per sweep. */
export class LocalTrialExecutor implements TrialExecutor {
  readonly kind = 'local' as const;
  private readonly files = new Map<string, Record<string, string>>();
  private readonly checked: CandleFilesMemo;

  constructor(
    private readonly pool: TrialPool,
    cache: CandleCache,
    private readonly store: SweepStore,
    private readonly strategiesDir?: string,
  ) {
    this.checked = new CandleFilesMemo(cache);
  }

  get capacity(): number {
    // One queued behind each running trial, so no thread waits for the next.
    return this.pool.size * 2;
  }

  /** A sweep's cache files per candle interval (a sweep of native and backtest-kit strategies at 15m reads 15m and 1m). */
  private filesKey(spec: TrialSpec): string {
    return `${spec.sweepId}\u0000${candleIntervalOf(spec)}`;
  }

  async prepare(spec: TrialSpec): Promise<void> {
    for (const key of [...this.files.keys()]) if (key.startsWith(`${spec.sweepId}\u0000`)) this.files.delete(key);
    this.files.set(this.filesKey(spec), await this.checked.get(spec));
  }

  async run(spec: TrialSpec): Promise<TrialSummary> {
    let files = this.files.get(this.filesKey(spec));
    if (!files) {
      // The sweep's first trial of another candle interval: checked once, then kept like the first.
      files = await this.checked.get(spec);
      this.files.set(this.filesKey(spec), files);
    }
    const started = performance.now();
    const outcome = await this.pool.run(spec, files, this.strategiesDir);
    const summary = summarizeTrial(spec, outcome, performance.now() - started, 'local');
    await this.store.recordTrial(summary);
    return summary;
  }

  async cancel(): Promise<void> {
    // Queued trials are few (two per thread) and short: they finish and are stored.
  }

  async close(): Promise<void> {
    this.files.clear();
    await this.pool.close();
  }
}

/** The sweep was stopped before this trial finished: it is not stored and runs again on resume. */
export class TrialCancelledError extends Error {
  override name = 'TrialCancelledError';
  constructor(trialId: string) {
    super(`trial ${trialId} was cancelled by a stop`);
  }
}

export const OPTIMIZE_QUEUE = 'backtest-monitor-optimize';

/** A job's return value when it is the stored trial of this spec (as workers return it), else null. */
export function trialOfJob(value: unknown, spec: TrialSpec): TrialSummary | null {
  if (typeof value !== 'object' || value === null) return null;
  const t = value as Partial<TrialSummary>;
  if (t.trialId !== spec.trialId || t.sweepId !== spec.sweepId || t.index !== spec.index || t.phase !== spec.phase || t.strategyName !== spec.strategyName) return null;
  if (!('stats' in t) || typeof t.durationMs !== 'number' || typeof t.finishedAt !== 'number' || typeof t.worker !== 'string') return null;
  if (t.score !== null && typeof t.score !== 'number') return null;
  return t as TrialSummary;
}

/** How long finished jobs stay in Redis: a sweep resumed within it finds them done (results are in MongoDB, the durable record). */
const KEEP_FINISHED_S = 24 * 3600;

/**
 * Redis through BullMQ: each trial is a job whose id is the trial id (so queuing it again, after a
 * restart, adds nothing), taken by `npm run worker` processes on any machine, which store the result
 * in MongoDB and return it as the job's value. A job that fails every attempt is stored here as a
 * trial with its error, so the sweep still ends.
 */
export class RedisTrialExecutor implements TrialExecutor {
  readonly kind = 'redis' as const;
  readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly pending = new Map<string, Set<string>>();
  private readonly stops = new Map<string, AbortController>();

  constructor(
    connection: ConnectionOptions,
    private readonly store: SweepStore,
    readonly capacity = 512,
    queueName = OPTIMIZE_QUEUE,
  ) {
    this.queue = new Queue(queueName, { connection });
    this.events = new QueueEvents(queueName, { connection });
    // Every trial in flight waits on the queue's 'closing' and its sweep's stop signal.
    this.queue.setMaxListeners(capacity + 16);
  }

  async prepare(spec: TrialSpec): Promise<void> {
    // A (re)started sweep: a stop before this no longer applies.
    const stop = new AbortController();
    setMaxListeners(this.capacity + 16, stop.signal);
    this.stops.set(spec.sweepId, stop);
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  async run(spec: TrialSpec): Promise<TrialSummary> {
    let ids = this.pending.get(spec.sweepId);
    if (!ids) this.pending.set(spec.sweepId, (ids = new Set()));
    ids.add(spec.trialId);
    // The sweep's stop signal as it was when this trial was dispatched (a resume replaces it).
    const stop = this.stops.get(spec.sweepId);
    try {
      if (!stop) throw new Error(`sweep ${spec.sweepId} was not prepared`);
      const job = await this.queue.add('trial', spec, {
        jobId: spec.trialId,
        attempts: 3,
        backoff: { type: 'fixed', delay: 1_000 },
        removeOnComplete: { age: KEEP_FINISHED_S },
        removeOnFail: { age: KEEP_FINISHED_S },
      });
      const stopped = stop.signal;
      if (stopped.aborted) {
        // The stop's removal may have come before this job reached Redis: take it off now.
        await this.queue.remove(spec.trialId).catch(() => 0);
        throw new TrialCancelledError(spec.trialId);
      }
      let returned: unknown;
      try {
        returned = await Promise.race([
          job.waitUntilFinished(this.events),
          new Promise<never>((_, reject) => {
            const fail = (): void => reject(new TrialCancelledError(spec.trialId));
            if (stopped.aborted) fail();
            else stopped.addEventListener('abort', fail, { once: true });
          }),
        ]);
      } catch (error) {
        // Stopped while it was being queued: the job may have been removed under it ("missing"), which is no failure.
        if (error instanceof TrialCancelledError || stopped.aborted) throw new TrialCancelledError(spec.trialId);
        const message = error instanceof Error ? error.message : String(error);
        await this.store.recordTrial(summarizeTrial(spec, { stats: null, error: `the trial failed on the workers: ${message}` }, 0, 'redis'));
      }
      // The worker returns the trial it stored: one MongoDB read per trial saved. A job finished by
      // an older worker (which returned less) or a failed one is read back from MongoDB.
      const carried = trialOfJob(returned, spec);
      if (carried) return carried;
      const stored = await this.store.getTrial(spec.trialId);
      if (!stored) throw new Error(`trial ${spec.trialId} finished on a worker but is not in MongoDB (is the worker on another database?)`);
      return stored;
    } finally {
      ids.delete(spec.trialId);
    }
  }

  async cancel(sweepId: string): Promise<void> {
    this.stops.get(sweepId)?.abort();
    // remove() leaves a job a worker holds (locked) alone: that one finishes and is stored.
    await Promise.all([...(this.pending.get(sweepId) ?? [])].map((id) => this.queue.remove(id).catch(() => 0)));
  }

  /** Worker processes connected to the queue now. */
  async workerCount(): Promise<number> {
    return (await this.queue.getWorkers()).length;
  }

  async close(): Promise<void> {
    await Promise.all([this.events.close(), this.queue.close()]);
  }
}
