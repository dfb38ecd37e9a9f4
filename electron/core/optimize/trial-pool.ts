import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { spawnRunWorker, type RunWorkerEntry } from '../engine/worker-entry';
import type { FromTrialWorker, ToTrialWorker } from './trial-protocol';
import type { TrialOutcome } from './trial-replay';
import type { TrialSpec } from './trial-spec';

/** File name of the bundled trial worker in the built app (electron-vite rollup input `optimize-worker`). */
export const OPTIMIZE_WORKER_BUNDLE_NAME = 'optimize-worker.js';

export function resolveTrialWorkerEntry(baseUrl: string = import.meta.url): RunWorkerEntry {
  const here = dirname(fileURLToPath(baseUrl));
  const bundled = join(here, OPTIMIZE_WORKER_BUNDLE_NAME);
  if (existsSync(bundled)) return { file: bundled, typescript: false };
  const source = join(here, 'trial-thread.ts');
  if (existsSync(source)) return { file: source, typescript: true };
  throw new Error(`optimize worker entry not found: neither ${bundled} nor ${source} exists`);
}

interface Task {
  id: number;
  message: ToTrialWorker;
  resolve(outcome: TrialOutcome): void;
}

interface Slot {
  worker: Worker;
  /** Sent to the thread, in the order it runs them: the first is running, the others wait there. */
  tasks: Task[];
}

/**
 * Trials handed to a thread at once. With two, the thread starts its next trial the moment one ends,
 * without waiting for this (main) thread to read the result and send another: that round trip left
 * threads idle whenever the main thread was busy or descheduled (half the time with short trials).
 */
const DEPTH = 2;

/**
 * Worker threads for trials, `size` of them (default: one per core). Each thread keeps the candle
 * columns and strategies of the trials it ran, so a sweep reads each symbol once per thread. A thread
 * that dies (out of memory, a strategy that kills it) fails the trial it was running with the reason
 * and is replaced; the trials waiting in it go to another thread.
 */
export class TrialPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly entry: RunWorkerEntry = resolveTrialWorkerEntry(),
    size: number = availableParallelism(),
  ) {
    this.size = Math.max(1, size);
  }

  run(spec: TrialSpec, files: Record<string, string>, strategiesDir?: string): Promise<TrialOutcome> {
    if (this.closed) return Promise.reject(new Error('the trial pool is closed'));
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.queue.push({ id, message: { type: 'trial', id, spec, files, strategiesDir }, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      // An idle thread first, then a new one, then a busy one with room in its own queue.
      let slot = this.slots.find((s) => s.tasks.length === 0);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      slot ??= this.slots.find((s) => s.tasks.length < DEPTH);
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.tasks.push(task);
      slot.worker.postMessage(task.message);
    }
  }

  private spawn(): Slot {
    const worker = spawnRunWorker(this.entry);
    const slot: Slot = { worker, tasks: [] };
    worker.on('message', (m: FromTrialWorker) => {
      if (m.type !== 'result') return;
      const i = slot.tasks.findIndex((t) => t.id === m.id);
      if (i < 0) return;
      const [task] = slot.tasks.splice(i, 1);
      task!.resolve(m.outcome);
      this.pump();
    });
    const lost = (reason: string): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      const [running, ...waiting] = slot.tasks.splice(0);
      if (running) running.resolve({ stats: null, error: `the trial worker thread ${reason}` });
      // The trials queued behind it never started: they run on another thread.
      this.queue.unshift(...waiting);
      if (!this.closed) this.pump();
    };
    worker.on('error', (e) => lost(`failed: ${e.message}`));
    worker.on('exit', (code) => lost(`exited (code ${code})`));
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const t of this.queue.splice(0)) t.resolve({ stats: null, error: 'the trial pool was closed' });
    for (const t of slots.flatMap((slot) => slot.tasks.splice(0))) t.resolve({ stats: null, error: 'the trial pool was closed' });
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }
}
