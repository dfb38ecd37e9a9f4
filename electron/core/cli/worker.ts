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
import { CandleFilesMemo, summarizeTrial } from '../optimize/trial-summary';
import { BUILTIN_STRATEGIES } from '../strategies';
import { requireOption, UsageError } from './cli-args';

const USAGE = `Usage: npm run worker -- --redis <url> --mongo <uri> [--strategies-dir <dir>] [--cache-dir <dir>]
                        [--concurrency <n>] [--name <name>] [--lock-ms <ms>]

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
`;

const OPTIONS = {
  redis: { type: 'string' },
  mongo: { type: 'string' },
  'strategies-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  concurrency: { type: 'string' },
  name: { type: 'string' },
  'lock-ms': { type: 'string' },
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

  const worker = new Worker<TrialSpec>(
    OPTIMIZE_QUEUE,
    async (job: Job<TrialSpec>) => {
      const spec = job.data;
      const started = performance.now();
      const outcome = await engine.run(spec, await filesFor(spec));
      const summary = summarizeTrial(spec, outcome, performance.now() - started, name);
      // Insert-only upsert keyed by the trial id: a trial delivered twice is stored once.
      await store.recordTrial(summary);
      return { trialId: spec.trialId, score: summary.score };
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
  worker.on('failed', (job, error) => console.error(`[worker ${name}] trial ${job?.id ?? '?'} failed: ${error.message}`));
  worker.on('error', (error) => console.error(`[worker ${name}] ${error.message}`));
  await worker.waitUntilReady();
  console.log(`[worker ${name}] taking optimize trials from ${redactedRedisUrl(redisUrl)} (concurrency ${concurrency}, candle cache ${cacheDir})`);

  const shutdown = async (signal: string): Promise<void> => {
    console.log(`[worker ${name}] ${signal}: finishing the current trials, then stopping`);
    await worker.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
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
