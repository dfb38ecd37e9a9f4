import type { RunKind, RunStatus } from '../../../shared/domain/runs';
import type { CandleStore } from './candle-cache';
import type { EngineLog } from './run-context';
import type { RunPersistence } from './run-persistence';
import type { RunStore } from './run-store';
import type { StrategyDefinition } from './strategy';
import type { RunWorkerEntry } from './worker-entry';

export interface RunManagerOptions {
  /** The candle store backtests and paper replays read from (CandleDbService). */
  candles: CandleStore;
  /** Where the columnar candle cache lives. */
  cacheDir: string;
  /** The user strategies folder. */
  strategiesDir?: string;
  /** The strategies the app ships, handed in by its composition root (the engine imports none). */
  builtins?: readonly StrategyDefinition[];
  /** Subsystems per mode, from the adapter matrix (live: MongoDB, backtest: memory/local files). */
  persistence: { live: RunPersistence; backtest: RunPersistence };
  /** Where runs are recorded: paper/live ones to resume after a restart, finished ones as history. */
  runStore?: RunStore;
  maxConcurrentRuns?: number;
  /** Worker threads one backtest uses for its symbols. */
  backtestWorkers?: number;
  /** A worker silent for this long is considered hung and terminated. */
  watchdogMs?: number;
  /** Live runs: exchange polling period. */
  livePollMs?: number;
  /** Live runs: REST base URL replacing the exchange's own (proxy, mirror, fake exchange in tests). */
  exchangeApiUrl?: string;
  workerEntry?: RunWorkerEntry;
  /** Errors outside a run's own stream (a notification or checkpoint that could not be stored). */
  log?: EngineLog;
}

export interface RunListQuery {
  status?: RunStatus;
  kind?: RunKind;
  limit?: number;
  offset?: number;
}
