import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrialSummary } from '../../../shared/domain/optimize';
import { startRedis, type RunningRedis } from '../../../test/support/redis';
import { RedisTrialExecutor } from './executors';
import { SweepService } from './sweep-service';
import { gridSweep, openSweepFixture, type SweepFixture } from './test-support/sweep-fixture';

/**
 * Trials through Redis (BullMQ) and `npm run worker` processes: the same results as in process,
 * each trial stored once, and a worker killed with SIGKILL mid-sweep loses nothing.
 */
let fx: SweepFixture;
let redis: RunningRedis;
let redisUrl: string;
const workers: ChildProcess[] = [];
const services: SweepService[] = [];
/** How long a killed worker's trial stays claimed before another worker takes it over. */
const LOCK_MS = 4_000;

beforeAll(async () => {
  [fx, redis] = await Promise.all([openSweepFixture('optimize_redis'), startRedis()]);
  redisUrl = `redis://${redis.host}:${redis.port}`;
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(workers.splice(0).map(stopWorker));
});

afterAll(async () => {
  await fx?.dispose();
  await redis?.stop();
});

/** Output of each worker started, by name (its last 4,000 characters). */
const logs = new Map<string, string>();

function startWorker(n: number, extra: { args?: string[]; env?: Record<string, string> } = {}): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(process.cwd(), 'electron/core/cli/worker.ts'),
      '--redis',
      redisUrl,
      '--mongo',
      fx.db.uri,
      '--cache-dir',
      join(fx.dir, `worker-${n}`),
      '--name',
      `w${n}`,
      '--lock-ms',
      String(LOCK_MS),
      ...(extra.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extra.env } },
  );
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-4_000);
    logs.set(`w${n}`, log);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM' && !forced.has(child)) console.error(`worker w${n} exited (${code ?? signal}):\n${log}`);
  });
  workers.push(child);
  return child;
}

function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

function redisService(): SweepService {
  const service = new SweepService({ store: fx.store, catalog: fx.catalog, executor: new RedisTrialExecutor({ url: redisUrl }, fx.store) });
  services.push(service);
  return service;
}

async function waitForWorkers(executor: RedisTrialExecutor, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await executor.workerCount()) < n) {
    if (Date.now() > deadline) throw new Error(`${n} workers did not connect within 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Workers made to exit by a second signal (their exit code 1 is expected). */
const forced = new WeakSet<ChildProcess>();

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The id of a trial the named worker holds (an active job it took), once it holds one. */
async function heldBy(executor: RedisTrialExecutor, worker: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const held = (await executor.queue.getActive()).find((j) => j.processedBy === worker)?.id;
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`${worker} never took a trial`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A 4-trial grid: small, so these tests are about the worker, not the replay. */
const smallSweep = () => gridSweep(fx.range, { strategies: [{ strategyName: 'sma-crossover', params: { fast: { choices: [5, 10] }, slow: { choices: [20, 30] } } }] });

const comparable = (trials: TrialSummary[]) => trials.map((t) => ({ index: t.index, params: t.params, score: t.score, stats: t.stats, error: t.error }));

describe('sweeps on Redis with worker processes', () => {
  it('a grid sweep through three workers gives the same best parameters and per-trial statistics as in process', { timeout: 300_000 }, async () => {
    const local = fx.localService(2);
    const inProcess = await local.start(gridSweep(fx.range));
    const localDone = await local.waitFor(inProcess.sweepId);

    for (let n = 0; n < 3; n++) startWorker(n);
    const service = redisService();
    const executor = (service as unknown as { options: { executor: RedisTrialExecutor } }).options.executor;
    await waitForWorkers(executor, 3);
    // The workers return each stored trial as the job's value: the app reads none back from MongoDB.
    const readBack = vi.spyOn(fx.store, 'getTrial');
    const distributed = await service.start(gridSweep(fx.range));
    expect(distributed.executor).toBe('redis');
    const done = await service.waitFor(distributed.sweepId);
    expect(readBack).not.toHaveBeenCalled();
    readBack.mockRestore();
    expect(done.status).toBe('completed');
    expect(done.done).toBe(18);
    expect(done.best!.params).toEqual(localDone.best!.params);
    expect(done.best!.score).toBe(localDone.best!.score);
    const remote = (await service.trials(distributed.sweepId)).items;
    expect(comparable(remote)).toEqual(comparable((await local.trials(inProcess.sweepId)).items));
    // The work really was spread: more than one worker stored trials.
    expect(new Set(remote.map((t) => t.worker)).size).toBeGreaterThan(1);
    // What the sweep page shows: the connected workers, and each one's trials and time per trial.
    expect(done.workers).toBe(3);
    for (const t of remote) {
      expect(['w0', 'w1', 'w2']).toContain(t.worker);
      expect(t.durationMs).toBeGreaterThan(0);
    }
  });

  it('a stop takes the waiting trials off the queue; resume queues what is missing and completes', { timeout: 300_000 }, async () => {
    const service = redisService();
    const executor = (service as unknown as { options: { executor: RedisTrialExecutor } }).options.executor;
    // No worker yet: every trial waits in Redis.
    const { sweepId } = await service.start(gridSweep(fx.range));
    const deadline = Date.now() + 60_000;
    while ((await executor.queue.getWaitingCount()) < 18) {
      if (Date.now() > deadline) throw new Error('the trials were not queued');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stopped = await service.stop(sweepId);
    expect(stopped.status).toBe('stopped');
    expect(stopped.done).toBe(0);
    expect(await executor.queue.getWaitingCount()).toBe(0);
    startWorker(20);
    await waitForWorkers(executor, 1);
    await service.resume(sweepId);
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect((await service.trials(sweepId)).items.map((t) => t.index)).toEqual([...Array(18).keys()]);
  });

  it('a worker killed with SIGKILL mid-sweep loses nothing: every trial completes exactly once', { timeout: 300_000 }, async () => {
    const sweep = gridSweep(fx.range, {
      strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 15, step: 1 }, slow: { min: 20, max: 40, step: 10 }, takeProfitPercent: { choices: [0.5, 1] } } }],
    });
    const local = fx.localService(2);
    const reference = await local.start(sweep);
    await local.waitFor(reference.sweepId);

    const victim = startWorker(10);
    startWorker(11);
    startWorker(12);
    const service = redisService();
    const executor = (service as unknown as { options: { executor: RedisTrialExecutor } }).options.executor;
    await waitForWorkers(executor, 3);
    const { sweepId } = await service.start(sweep);
    // Kill the victim while it holds a trial (an active job it claimed), after it stored some.
    const deadline = Date.now() + 120_000;
    let held: string | undefined;
    for (;;) {
      const own = (await fx.store.trialsOf(sweepId)).items.filter((t) => t.worker === 'w10').length;
      held = own >= 1 ? (await executor.queue.getActive()).find((j) => j.processedBy === 'w10')?.id : undefined;
      if (held) break;
      if (Date.now() > deadline) throw new Error('the victim worker never took a trial');
      await new Promise((r) => setTimeout(r, 10));
    }
    victim.kill('SIGKILL');
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(66);
    const trials = (await service.trials(sweepId)).items;
    expect(trials.map((t) => t.index)).toEqual([...Array(66).keys()]);
    expect(trials.every((t) => t.error === undefined)).toBe(true);
    expect(comparable(trials)).toEqual(comparable((await local.trials(reference.sweepId)).items));
    // The trial the victim held was stored (by whoever finished it) exactly once.
    expect(trials.filter((t) => t.trialId === held)).toHaveLength(1);
    expect((await fx.store.deliveries(sweepId)).size).toBe(66);
  });
});

describe('a worker never holds a trial for ever', () => {
  /** The stuck worker's time limit per trial. */
  const LIMIT_MS = 3_000;
  /** Every trial of such a worker hangs before its result write, as one stuck in a MongoDB call. */
  const HANG = { BACKTEST_MONITOR_WORKER_TEST_HANG: 'before-write' };

  it('a trial that hangs is given up within the time limit and completed once by another worker; SIGTERM no longer waits for ever', { timeout: 300_000 }, async () => {
    const service = redisService();
    const executor = (service as unknown as { options: { executor: RedisTrialExecutor } }).options.executor;
    const stuck = startWorker(30, { args: ['--trial-timeout-ms', String(LIMIT_MS)], env: HANG });
    await waitForWorkers(executor, 1);
    const { sweepId } = await service.start(smallSweep());
    const held = await heldBy(executor, 'w30');
    // Its lock is renewed while it hangs: only its own limit frees the trial. SIGTERM makes it take
    // no further trial (so the retry cannot land on it again) and wait for the one it holds.
    const signalled = Date.now();
    stuck.kill('SIGTERM');
    const exit = await exitOf(stuck);
    const waited = Date.now() - signalled;
    expect(exit.code).toBe(0);
    expect(waited).toBeLessThan(LIMIT_MS + 30_000);
    expect(logs.get('w30')).toContain(`trial ${held} did not finish within its time limit of ${LIMIT_MS} ms`);
    // Given up means failed for a retry, not completed, not failed for good.
    const job = await executor.queue.getJob(held);
    expect(job?.attemptsMade).toBe(1);
    expect(await fx.store.getTrial(held)).toBeNull();

    startWorker(31);
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(4);
    const trials = (await service.trials(sweepId)).items;
    expect(trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(trials.every((t) => t.error === undefined && t.worker === 'w31')).toBe(true);
    expect([...(await fx.store.deliveries(sweepId)).values()]).toEqual([1, 1, 1, 1]);
  });

  it('a second SIGTERM exits at once while a trial hangs; the trial is then completed once elsewhere', { timeout: 300_000 }, async () => {
    const service = redisService();
    const executor = (service as unknown as { options: { executor: RedisTrialExecutor } }).options.executor;
    // A limit far beyond the test: only the second signal can end this worker.
    const stuck = startWorker(40, { args: ['--trial-timeout-ms', '600000'], env: HANG });
    forced.add(stuck);
    await waitForWorkers(executor, 1);
    const { sweepId } = await service.start(smallSweep());
    const held = await heldBy(executor, 'w40');
    stuck.kill('SIGTERM');
    // The first signal waits for the trial held...
    await new Promise((r) => setTimeout(r, 3_000));
    expect(stuck.exitCode).toBeNull();
    expect(stuck.signalCode).toBeNull();
    // ...the second does not.
    const signalled = Date.now();
    stuck.kill('SIGTERM');
    const exit = await exitOf(stuck);
    expect(exit.code).toBe(1);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    expect(logs.get('w40')).toContain('SIGTERM again: exiting now');

    // Its trial's lock expires (LOCK_MS) and another worker completes it.
    startWorker(41);
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    const trials = (await service.trials(sweepId)).items;
    expect(trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(trials.find((t) => t.trialId === held)?.worker).toBe('w41');
    expect([...(await fx.store.deliveries(sweepId)).values()]).toEqual([1, 1, 1, 1]);
  });
});
