import { join } from 'node:path';
import { ConnectionManager } from '../../db/connection-manager';
import { CandleDbService } from '../../db/candle-db-service';
import { CandleCache } from '../../engine/candle-cache';
import { RunManager } from '../../engine/run-manager';
import { StrategyCatalog } from '../../engine/strategy-catalog';
import { createPersistence } from '../../persist';
import { BUILTIN_STRATEGIES } from '../../strategies';
import { LocalTrialExecutor } from '../executors';
import { SweepService } from '../sweep-service';
import { SweepStore } from '../sweep-store';
import { TrialPool } from '../trial-pool';
import type { Interval } from '../../../../shared/candles';
import type { SweepDefinitionInput, TrialSummary } from '../../../../shared/domain/optimize';

/**
 * Runs in a plain Node process (node --import tsx): backtest-kit strategy files get our API through
 * a module resolution hook, which vitest's module runner does not apply. Prints one JSON line: the
 * sweep's trials and a normal backtest of the best trial's parameters (with `every`: of each trial's,
 * in `runs` by trial id).
 */
const [uri, workDir, strategiesDir, definitionJson, which = 'best'] = process.argv.slice(2) as [string, string, string, string, string?];
const db = new ConnectionManager({ uri });
await db.connect();
const candles = new CandleDbService(db.connection);
const store = new SweepStore(db.connection);
const catalog = new StrategyCatalog({ userDir: strategiesDir, builtins: BUILTIN_STRATEGIES });
const service = new SweepService({ store, catalog, executor: new LocalTrialExecutor(new TrialPool(undefined, 2), new CandleCache(join(workDir, 'bk-cache'), candles), store, strategiesDir) });
const definition = JSON.parse(definitionJson) as SweepDefinitionInput;
const { sweepId } = await service.start(definition);
const done = await service.waitFor(sweepId);
const trials = (await service.trials(sweepId)).items;
await service.close();
const persistence = await createPersistence({ mode: 'backtest', dataDir: join(workDir, 'bk-runs') });
const manager = new RunManager({ candles, cacheDir: join(workDir, 'bk-runs-cache'), strategiesDir, builtins: BUILTIN_STRATEGIES, persistence: { live: persistence, backtest: persistence } });
const d = definition as { exchangeName: string; symbols: string[]; interval: Interval; from: number; to: number };
const backtest = async (trial: TrialSummary): Promise<Awaited<ReturnType<RunManager['waitFor']>>> => {
  const { runId } = await manager.start({ kind: 'backtest', strategyName: trial.strategyName, params: trial.params, exchangeName: d.exchangeName, symbols: d.symbols, interval: d.interval, from: d.from, to: d.to });
  return manager.waitFor(runId, 300_000);
};
const best = trials.find((t) => t.trialId === done.best?.trialId);
const run = best ? await backtest(best) : undefined;
const runs: Record<string, Awaited<ReturnType<RunManager['waitFor']>>> = {};
if (which === 'every') for (const t of trials) runs[t.trialId] = t === best && run ? run : await backtest(t);
await manager.close();
await persistence.close();
await db.close();
process.stdout.write(`${JSON.stringify({ status: done.status, error: done.error, bestTrialId: done.best?.trialId, trials, run, runs })}\n`);
process.exit(0);
