import { mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, type Job } from 'bullmq';
import { ConnectionManager } from '../db/connection-manager';
import { CandleDbService } from '../db/candle-db-service';
import { CandleCache } from '../engine/candle-cache';
import { maskSecretsIn } from '../db/connection-string';
import { OPTIMIZE_QUEUE, redactedRedisUrl } from '../optimize/executors';
import { SweepStore } from '../optimize/sweep-store';
import { TrialEngine } from '../optimize/trial-engine';
import type { TrialSpec } from '../optimize/trial-spec';
import { defaultTrialTimeLimitMs, withTimeLimit } from '../optimize/trial-time-limit';
import type { TrialSummary } from '../../../shared/domain/optimize';
import { CandleFilesMemo, summarizeTrial } from '../optimize/trial-summary';
import { BUILTIN_STRATEGIES } from '../strategies';
import { requireOption, UsageError } from './cli-args';

const USAGE = `Usage: npm run worker -- --redis <url> --mongo <uri> [--strategies-dir <dir>] [--cache-dir <dir>]
                        [--concurrency <n>] [--name <name>] [--lock-ms <ms>] [--trial-timeout-ms <ms>]

Takes optimize trials from the Redis queue (BullMQ) and stores their statistics in MongoDB. Run it
on any machine that reaches the same Redis and MongoDB; it reads the candles from that MongoDB
(once per symbol and range, into its cache folder) and needs the same strategies folder as the app.

  --redis           redis://[user:password@]host:port[/db]  (default: BACKTEST_MONITOR_REDIS_URL)
  --mongo           the app's MongoDB connection string     (default: CC_MONGO_CONNECTION_STRING)
  --strategies-dir  the strategies folder (default: BACKTEST_MONITOR_STRATEGIES_DIR)
  --cache-dir       where candle columns are cached (default: <tmp>/backtest-monitor-worker-cache)
  --concurrency     trials at once in this process (default 1; start more processes for more cores)
  --name            how this worker is listed (default: host name and process id)
  --lock-ms         how long a trial stays claimed without a heartbeat before another worker takes
                    it over (default 30000): a killed worker's trials are retried after this
  --trial-timeout-ms  how long a trial may take before this worker gives it up and another retries it
                    (default: 120 s + 1 s per 10,000 candles the trial replays)

SIGTERM/SIGINT: finish the trials held (each within its time limit), then stop; a second signal
exits at once (the trials held are retried elsewhere once their lock expires).
`;

const OPTIONS = {
  redis: { type: 'string' },
  mongo: { type: 'string' },
  'strategies-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  concurrency: { type: 'string' },
  name: { type: 'string' },
  'lock-ms': { type: 'string' },
  'trial-timeout-ms': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number (got "${value}")`);
  return n;
}


async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const redisUrl = requireOption(values.redis ?? process.env.BACKTEST_MONITOR_REDIS_URL, 'redis');
  const mongoUri = requireOption(values.mongo ?? process.env.CC_MONGO_CONNECTION_STRING, 'mongo');
  if (!/^rediss?:\/\//.test(redisUrl)) throw new UsageError('--redis must be a redis:// or rediss:// URL');
  const concurrency = positiveInt(values.concurrency, 'concurrency', 1);
  const lockMs = positiveInt(values['lock-ms'], 'lock-ms', 30_000);
  const trialTimeoutMs = values['trial-timeout-ms'] === undefined ? undefined : positiveInt(values['trial-timeout-ms'], 'trial-timeout-ms', 0);
  const name = values.name ?? `${hostname()}:${process.pid}`;
  const cacheDir = resolve(values['cache-dir'] ?? join(tmpdir(), 'backtest-monitor-worker-cache'));
  mkdirSync(cacheDir, { recursive: true });
  const strategiesDir = values['strategies-dir'] ?? process.env.BACKTEST_MONITOR_STRATEGIES_DIR;

  const db = new ConnectionManager({ uri: mongoUri });
  await db.connect();
  const candles = new CandleDbService(db.connection);
  const cache = new CandleCache(cacheDir, candles);
  const store = new SweepStore(db.connection);
  const engine = new TrialEngine({ strategiesDir, builtins: BUILTIN_STRATEGIES });
  // The candles of a sweep range: checked against MongoDB at most once a minute, reused by every trial.
  const checked = new CandleFilesMemo(cache);
  const filesFor = (spec: TrialSpec): Promise<Record<string, string>> => checked.get(spec);
  // Test hook: every trial hangs before its result write, as a worker stuck in a MongoDB call does.
  const hangBeforeWrite = process.env.BACKTEST_MONITOR_WORKER_TEST_HANG === 'before-write';

  const runTrial = async (spec: TrialSpec): Promise<TrialSummary> => {
    const started = performance.now();
    const outcome = await engine.run(spec, await filesFor(spec));
    const summary = summarizeTrial(spec, outcome, performance.now() - started, name);
    if (hangBeforeWrite) await new Promise<never>(() => undefined);
    // Insert-only upsert keyed by the trial id: a trial delivered twice is stored once, and what is
    // returned is what is stored (the app takes the job's return value instead of reading it back).
    if (await store.recordTrial(summary)) return summary;
    return (await store.getTrial(spec.trialId)) ?? summary;
  };

  const worker = new Worker<TrialSpec, TrialSummary>(
    OPTIMIZE_QUEUE,
    (job: Job<TrialSpec>) => {
      const spec = job.data;
      // BullMQ renews a job's lock while its processor runs: without a limit, a trial stuck in a call
      // that never returns would stay with this worker for ever.
      const limitMs = trialTimeoutMs ?? defaultTrialTimeLimitMs(spec);
      return withTimeLimit(runTrial(spec), spec.trialId, limitMs, (error) =>
        console.error(`[worker ${name}] trial ${spec.trialId}, given up earlier, then failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`),
      );
    },
    {
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      concurrency,
      name,
      lockDuration: lockMs,
      stalledInterval: Math.max(1_000, Math.round(lockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, error) => console.error(`[worker ${name}] trial ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${maskSecretsIn(error.message)}`));
  worker.on('error', (error) => console.error(`[worker ${name}] ${error.message}`));
  await worker.waitUntilReady();
  console.log(
    `[worker ${name}] taking optimize trials from ${redactedRedisUrl(redisUrl)} (concurrency ${concurrency}, trial time limit ${trialTimeoutMs === undefined ? 'by trial size' : `${trialTimeoutMs} ms`}, candle cache ${cacheDir})`,
  );

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`[worker ${name}] ${signal} again: exiting now; the trials held are retried by other workers once their lock expires (${lockMs} ms)`);
      process.exit(1);
    }
    stopping = true;
    console.log(`[worker ${name}] ${signal}: finishing the current trials (each within its time limit), then stopping; send it again to exit now`);
    void (async () => {
      try {
        await worker.close();
        await db.close();
        process.exit(0);
      } catch (error) {
        console.error(`[worker ${name}] stopping failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  // Driver errors can echo the connection string: never print its password.
  console.error(`worker: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});
