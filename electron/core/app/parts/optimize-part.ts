import { join } from 'node:path';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { CandleCache } from '../../engine/candle-cache';
import { StrategyCatalog } from '../../engine/strategy-catalog';
import { CandleStore } from '../../market/candle-store';
import { LocalTrialExecutor, redactedRedisUrl, RedisTrialExecutor, type TrialExecutor } from '../../optimize/executors';
import { SweepDefinitionError } from '../../optimize/param-space';
import { SweepConflictError, SweepNotFoundError, SweepService } from '../../optimize/sweep-service';
import { SweepStore } from '../../optimize/sweep-store';
import { TrialPool } from '../../optimize/trial-pool';
import { BUILTIN_STRATEGIES } from '../../strategies';
import type { Emit, OptimizePort } from '../ports';

export interface OptimizePartOptions {
  dataDir: string;
  strategiesDir?: () => string | undefined;
  emit: Emit;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** BullMQ on this Redis (BACKTEST_MONITOR_REDIS_URL): trials go to `npm run worker` processes. */
  redisUrl?: string;
  /** Trial threads in process (default: one per core). */
  threads?: number;
}

export interface OptimizePart {
  optimize: OptimizePort;
  attachDatabase(manager: ConnectionManager | undefined): Promise<void>;
  close(): Promise<void>;
}

const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));


/**
 * Optimize (electron/core/optimize) on the app's database: `optimize.*` channels and the
 * `optimize.progress` event. A database switch closes the sweeps on the old one (they stay `running`
 * there and continue when the app comes back to it) and continues the unfinished ones of the new one.
 */
export function createOptimizePart(options: OptimizePartOptions): OptimizePart {
  let service: SweepService | undefined;
  let binding: Promise<void> = Promise.resolve();

  const current = (): SweepService => {
    if (!service) throw new ContractFailure('unavailable', 'sweeps are stored in the database, and none is connected (see the database status)');
    return service;
  };

  const contractError = (error: unknown, what: string): ContractFailure => {
    if (error instanceof ContractFailure) return error;
    if (error instanceof SweepDefinitionError) return new ContractFailure('invalid_payload', error.message, error.issues);
    if (error instanceof SweepNotFoundError) return new ContractFailure('not_found', error.message);
    if (error instanceof SweepConflictError) return new ContractFailure('conflict', error.message);
    options.log('error', `${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return new ContractFailure('internal', `${what} failed: ${text(error)}`);
  };

  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw contractError(error, what);
    }
  };

  async function bind(manager: ConnectionManager | undefined): Promise<void> {
    const old = service;
    service = undefined;
    await old?.close();
    if (!manager?.isConnected) return;
    const store = new SweepStore(manager.connection);
    const catalog = new StrategyCatalog({ userDir: options.strategiesDir?.(), builtins: BUILTIN_STRATEGIES });
    let executor: TrialExecutor;
    if (options.redisUrl) {
      executor = new RedisTrialExecutor({ url: options.redisUrl, maxRetriesPerRequest: null }, store);
      options.log('info', `optimize trials go to the Redis queue at ${redactedRedisUrl(options.redisUrl)}; start workers with npm run worker`);
    } else {
      const cache = new CandleCache(join(options.dataDir, 'candle-cache'), new CandleStore(manager.connection));
      executor = new LocalTrialExecutor(new TrialPool(undefined, options.threads), cache, store, options.strategiesDir?.());
    }
    const next = new SweepService({ store, executor, catalog, log: options.log });
    next.on('progress', (event) => options.emit('optimize.progress', event));
    service = next;
    const resumed = await next.resumeUnfinished().catch((error: unknown) => {
      options.log('warn', `could not resume unfinished sweeps: ${text(error)}`);
      return [];
    });
    if (resumed.length) options.log('info', `resumed ${resumed.length} sweep(s): ${resumed.join(', ')}`);
  }

  return {
    attachDatabase(manager) {
      binding = binding.then(() => bind(manager)).catch((error: unknown) => options.log('error', `optimize could not start on the database: ${text(error)}`));
      return binding;
    },
    optimize: {
      start: (definition) => guard('optimize.start', () => current().start(definition)),
      stop: ({ sweepId }) => guard('optimize.stop', () => current().stop(sweepId)),
      resume: ({ sweepId }) => guard('optimize.resume', () => current().resume(sweepId)),
      list: () => guard('optimize.list', async () => ({ sweeps: await current().list() })),
      get: ({ sweepId }) => guard('optimize.get', () => current().get(sweepId)),
      trials: ({ sweepId, phase, sort, limit, offset }) =>
        guard('optimize.trials', async () => {
          const page = await current().trials(sweepId, { phase, sort, limit, offset });
          return { trials: page.items, total: page.total };
        }),
    },
    async close() {
      await binding;
      await service?.close();
      service = undefined;
    },
  };
}
