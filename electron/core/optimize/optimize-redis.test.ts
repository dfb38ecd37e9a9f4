import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

function startWorker(n: number): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(process.cwd(), 'electron/core/cli/worker.ts'), '--redis', redisUrl, '--mongo', fx.db.uri, '--cache-dir', join(fx.dir, `worker-${n}`), '--name', `w${n}`, '--lock-ms', String(LOCK_MS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const keep = (chunk: Buffer): void => void (log = (log + chunk.toString()).slice(-4_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker w${n} exited (${code ?? signal}):\n${log}`);
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
    const distributed = await service.start(gridSweep(fx.range));
    expect(distributed.executor).toBe('redis');
    const done = await service.waitFor(distributed.sweepId);
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
