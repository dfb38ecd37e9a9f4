import type { CandleCache } from './candle-cache';
import { candleFilesAsReady, candleFilesFor } from './candle-files';
import type { RunManagerOptions } from './run-manager-options';
import { errorText, outcomeOf, pendingAtCursors, type RunRecord } from './run-record';
import { terminateAll, type JobHandlers, type RunWorkerPool } from './run-worker-pool';
import type { StrategyCatalog } from './strategy-catalog';
import type { WorkerMessageHandler } from './worker-messages';
import type { BacktestJob, LiveJob, WorkerJob } from './worker-protocol';

/** What the launcher needs of the run manager. */
export interface RunLauncherContext {
  options: Pick<RunManagerOptions, 'strategiesDir' | 'livePollMs' | 'exchangeApiUrl'>;
  catalog: StrategyCatalog;
  cache: CandleCache;
  pool: RunWorkerPool;
  backtestWorkers: number;
  messages: WorkerMessageHandler;
  /** The manager is closing: start nothing more. */
  isClosed(): boolean;
}

/**
 * A run's worker jobs: a backtest's symbols spread over the pool as their candle caches become
 * ready, or a paper/live run's one job; each job's messages go to the WorkerMessageHandler.
 */
export class RunLauncher {
  constructor(private readonly ctx: RunLauncherContext) {}

  /**
   * The record with its range widened by what the strategy reads around it (backtest-kit strategy
   * files look back before the first tick); the workers still run the requested range.
   */
  private async withCandleWindow(record: RunRecord): Promise<RunRecord> {
    const window = (await this.ctx.catalog.load(record.request.strategyName)).candleWindow;
    if (!window) return record;
    const r = record.request;
    return { ...record, request: { ...r, interval: window.interval ?? r.interval, from: r.from! - window.beforeMs, to: r.to! + window.afterMs } };
  }

  /** Backtest: the symbols spread over up to `backtestWorkers` workers, each replaying its cache file. */
  async launchBacktest(record: RunRecord): Promise<void> {
    // A symbol's worker starts as soon as its own cache is checked, not once all symbols are.
    const files = candleFilesAsReady(this.ctx.cache, await this.withCandleWindow(record));
    const pendingSymbols = [...record.request.symbols];
    const next = async (): Promise<void> => {
      while (pendingSymbols.length > 0 && !record.stopRequested && !record.failure && !this.ctx.isClosed()) {
        const symbol = pendingSymbols.shift()!;
        const cacheFile = await files.get(symbol)!.catch((error: unknown) => {
          // The other workers start no further symbol of a run that is failing.
          record.failure ??= { error: errorText(error), symbol };
          throw error;
        });
        const job: BacktestJob = {
          kind: 'backtest',
          runId: record.summary.runId,
          request: record.request,
          frameName: record.summary.frameName,
          symbol,
          cacheFile,
          strategiesDir: this.ctx.options.strategiesDir,
        };
        await this.runJob(record, job);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.ctx.backtestWorkers, pendingSymbols.length)) }, next));
  }

  /** Paper replay or live feed: all symbols in one worker, resuming from the stored cursors. */
  async launchLive(record: RunRecord): Promise<void> {
    const r = record.request;
    const job: LiveJob = {
      kind: r.kind as 'paper' | 'live',
      runId: record.summary.runId,
      request: r,
      frameName: record.summary.frameName,
      strategiesDir: this.ctx.options.strategiesDir,
      cursors: record.cursors,
      pending: pendingAtCursors(record),
      pollMs: this.ctx.options.livePollMs,
      exchangeApiUrl: this.ctx.options.exchangeApiUrl,
    };
    if (r.kind === 'paper') job.cacheFiles = await candleFilesFor(this.ctx.cache, record);
    await this.runJob(record, job);
  }

  private runJob(record: RunRecord, job: WorkerJob): Promise<void> {
    // Stopped (or failed) while its candles were being prepared: a worker started now would run on
    // unwatched, since stop() has already terminated the run's workers.
    if (record.stopRequested || record.failure || this.ctx.isClosed()) return Promise.resolve();
    const handlers: JobHandlers = {
      workers: record.workers,
      strategyName: record.request.strategyName,
      onEvents: (m) => this.ctx.messages.onEvents(record, job, m),
      onDone: (m) => {
        // Merged now, while the other symbols replay: the run's end then has only the last one to merge.
        if (job.kind === 'backtest' && m.result) outcomeOf(record).add(m.result);
      },
      onRpc: (worker, m) => this.ctx.messages.onRpc(record, worker, m),
      onFailure: (failure) => {
        record.failure ??= failure;
        void terminateAll(record.workers);
      },
      isStopping: () => record.stopRequested || this.ctx.isClosed(),
    };
    return this.ctx.pool.run(job, handlers);
  }
}
