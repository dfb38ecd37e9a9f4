/**
 * backtest-kit's strategy-facing API on our engine (the second face of electron/core/backtest-kit/).
 * The engine uses: loading a strategy file (module-loader), running one symbol of it over candle
 * columns (symbol-job), and turning its results into our signal rows.
 */
export { SUPPORTED_FUNCTIONS } from './api';
export type { TickResult } from './backtest-run';
export { UnsupportedFunctionError, StrategyCodeError } from './errors';
export { BACKTEST_KIT_EXPORTS } from './export-names';
export { MissingCandlesError } from './minute-feed';
export { fileImportsBacktestKit, importsBacktestKit, loadBacktestKitModule, type LoadedBacktestKitModule, type ModuleImporter } from './module-loader';
export { lastTick, lifetimeJson, lifetimeOfStored, NO_LIFETIME_STORED, runBacktestKitJob, signalRowOf, storedLifetime, tickResultOf, type BacktestKitJob } from './symbol-job';
