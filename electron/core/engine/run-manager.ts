import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import {
  runRequestSchema,
  type RunDetail,
  type RunEvent,
  type RunKind,
  type RunRequestInput,
  type RunStatus,
  type RunSummary,
} from '../../../shared/domain/runs';
import { BacktestWriter, rememberLatest } from './backtest-results';
import { CandleCache } from './candle-cache';
import { LiveRunPersistence } from './live-run-persistence';
import { countOf } from '../../../shared/contract/notification-text';
import { consoleLog, type EngineLog } from './run-context';
import { runDetailOf } from './run-detail';
import { RunConflictError, RunManagerClosedError, RunNotFoundError, RunRequestError } from './run-errors';
import { byNewest, storedResultOf, storedRunDetail } from './run-history';
import { RunLauncher } from './run-launcher';
import { describeRun, signedPercent } from './run-log-text';
import type { RunListQuery, RunManagerOptions } from './run-manager-options';
import { RunNotifier, runNotification } from './run-notifications';
import { errorText, isFinal, modeOf, newRunRecord, outcomeOf, type RunFailure, type RunRecord } from './run-record';
import { InMemoryRunStore, type RunStore } from './run-store';
import { RunWorkerPool, terminateAll } from './run-worker-pool';
import { StrategyCatalog } from './strategy-catalog';
import { parseStrategyParams } from './strategy';
import { resolveRunWorkerEntry } from './worker-entry';
import { WorkerMessageHandler } from './worker-messages';
import type { ToWorker } from './worker-protocol';

export { RunConflictError, RunManagerClosedError, RunNotFoundError, RunRequestError } from './run-errors';
export type { RunListQuery, RunManagerOptions } from './run-manager-options';

type Listener = (event: RunEvent) => void;

const DEFAULT_LIST_LIMIT = 200;
/** Finished runs whose rows stay in memory (the rest are read back from the run store). */
const KEEP_FINISHED_IN_MEMORY = 1;

/**
 * Starts, stops, lists and describes runs: the queue and the lifecycle (queued → running →
 * completed / stopped / failed). Every run executes in worker threads (RunWorkerPool; a backtest:
 * one per symbol, up to `backtestWorkers` at once); a strategy that throws fails its own run with an
 * `error.critical` notification, one that hangs is terminated by the watchdog. Each run has one
 * ordered event stream (`subscribe`), also emitted as `event` on the manager.
 *
 * Paper and live runs persist every signal, notification and a per-symbol cursor as they go
 * (LiveRunPersistence); after a crash or restart `resumeUnfinished` picks them up from the cursor.
 * Ids are deterministic, so whatever is replayed past the last checkpoint is written again as the
 * same documents (upserts).
 */
export class RunManager extends EventEmitter<{ event: [RunEvent] }> {
  private readonly runs = new Map<string, RunRecord>();
  private readonly queue: string[] = [];
  private readonly subscribers = new Map<string, Set<Listener>>();
  private readonly catalog: StrategyCatalog;
  private readonly cache: CandleCache;
  private readonly runStore: RunStore;
  private readonly maxConcurrent: number;
  private readonly backtestWorkers: number;
  private readonly pool: RunWorkerPool;
  private readonly log: EngineLog;
  private readonly notifier: RunNotifier;
  private readonly livePersistence: LiveRunPersistence;
  private closed = false;
  private readonly backtestWriter: BacktestWriter;
  private readonly jobs: RunLauncher;
  /** Runs between pump and their end (launch, result, final write). */
  private readonly launched = new Set<Promise<void>>();

  constructor(private readonly options: RunManagerOptions) {
    super();
    this.catalog = new StrategyCatalog({ userDir: options.strategiesDir, builtins: options.builtins });
    this.cache = new CandleCache(options.cacheDir, options.candles);
    this.runStore = options.runStore ?? new InMemoryRunStore();
    this.maxConcurrent = options.maxConcurrentRuns ?? 2;
    this.backtestWorkers = options.backtestWorkers ?? availableParallelism();
    this.pool = new RunWorkerPool(options.workerEntry ?? resolveRunWorkerEntry(), this.backtestWorkers, options.watchdogMs ?? 30_000);
    this.log = options.log ?? consoleLog;
    this.notifier = new RunNotifier(options.persistence, this, this.log);
    this.livePersistence = new LiveRunPersistence(options.persistence.live, this.runStore, this.notifier, this.log, () => this.closed);
    this.backtestWriter = new BacktestWriter(options.persistence.backtest, this.livePersistence, this.log);
    const messages = new WorkerMessageHandler({ persistence: options.persistence, livePersistence: this.livePersistence, emitRun: (runId, event) => this.emitRun(runId, event), log: this.log });
    this.jobs = new RunLauncher({ options, catalog: this.catalog, cache: this.cache, pool: this.pool, backtestWorkers: this.backtestWorkers, messages, isClosed: () => this.closed });
  }

  get strategies(): StrategyCatalog {
    return this.catalog;
  }

  /** Validates the request (fields, strategy, parameters), queues the run and returns its summary. */
  async start(input: RunRequestInput, runId: string = randomUUID()): Promise<RunSummary> {
    if (this.closed) throw new RunManagerClosedError();
    const parsed = runRequestSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new RunRequestError(`invalid run request: ${issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; ')}`, issues);
    }
    if (this.runs.has(runId)) throw new RunConflictError(`a run with id ${runId} already exists`);
    const request = parsed.data;
    let strategy: Awaited<ReturnType<StrategyCatalog['load']>>;
    try {
      strategy = await this.catalog.load(request.strategyName);
    } catch (error) {
      // Unknown, or a user module that does not load or validate: the request names a strategy that cannot run.
      throw new RunRequestError(errorText(error), [{ path: 'strategyName', message: errorText(error) }]);
    }
    try {
      parseStrategyParams(strategy, request.params);
    } catch (error) {
      throw new RunRequestError(errorText(error), [{ path: 'params', message: errorText(error) }]);
    }
    const record = newRunRecord(runId, request);
    // A paper/live run is recorded before it exists here: if that fails, nothing was started.
    await this.livePersistence.checkpoint(record);
    this.runs.set(runId, record);
    this.emitRun(runId, { type: 'status', runId, at: Date.now(), status: 'queued' });
    this.queue.push(runId);
    this.pump();
    return { ...record.summary };
  }

  /** Re-launches the paper/live runs that were running when the app last stopped. */
  async resumeUnfinished(): Promise<string[]> {
    const resumed: string[] = [];
    for (const stored of await this.runStore.listUnfinished()) {
      if (stored.request.kind === 'backtest' || this.runs.has(stored.runId)) continue;
      const request = runRequestSchema.parse(stored.request);
      const record = newRunRecord(stored.runId, request, stored);
      // Signals of this run already stored: their state as of the cursor seeds the resumed run.
      const rows = await this.options.persistence.live.storage.listSignals({ runId: stored.runId }, { limit: 10_000 });
      for (const { value } of rows.items) record.signals.set(value.signalId, value);
      this.runs.set(stored.runId, record);
      this.queue.push(stored.runId);
      resumed.push(stored.runId);
    }
    this.pump();
    return resumed;
  }

  /** Stops a queued or running run; its workers are terminated. */
  async stop(runId: string): Promise<{ stopped: boolean; status: RunStatus }> {
    const record = this.runs.get(runId);
    if (!record) {
      // An earlier run, already over (its record is in the run store only).
      const stored = await this.runStore.get(runId);
      if (!stored) throw new RunNotFoundError(runId);
      return { stopped: false, status: stored.summary.status };
    }
    if (isFinal(record.summary.status)) return { stopped: false, status: record.summary.status };
    record.stopRequested = true;
    const queued = this.queue.indexOf(runId);
    if (queued >= 0) this.queue.splice(queued, 1);
    await terminateAll(record.workers);
    await record.chain;
    await this.finish(record, 'stopped');
    return { stopped: true, status: 'stopped' };
  }

  /** Cancels the scheduled (not yet opened) signal of a symbol of a paper/live run (`user`). */
  cancelScheduled(runId: string, symbol: string): void {
    const record = this.require(runId);
    for (const w of record.workers) w.postMessage({ type: 'cancel-signal', symbol } satisfies ToWorker);
  }

  /** The runs this process holds (started or resumed since it began), newest first. */
  list(filter: { status?: RunStatus; kind?: RunKind } = {}): RunSummary[] {
    return [...this.runs.values()]
      .map((r) => r.summary)
      .filter((s) => (!filter.status || s.status === filter.status) && (!filter.kind || s.kind === filter.kind))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((s) => ({ ...s }));
  }

  /** Whether this process holds the run (else it may be in the run store's history). */
  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** The run's detail with every row (a backtest's rows are parsed from its symbols' results now). */
  get(runId: string): RunDetail {
    const r = this.require(runId);
    if (r.request.kind === 'backtest') return outcomeOf(r).detail(r.summary);
    return runDetailOf(r.summary, r.request, [...r.signals.values()]);
  }

  /**
   * Every run, newest first, paged: the ones this process holds (live progress) and the history in
   * the run store (finished runs of earlier sessions, with their statistics).
   */
  async listAll(query: RunListQuery = {}): Promise<{ runs: RunSummary[]; total: number }> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    // A finished backtest no longer held here may still be on its way to the run store. The held
    // runs are read after that wait, so the answer is as new as the events sent before it.
    await this.settled();
    const held = this.list(query);
    const stored = await this.runStore.list({ status: query.status, kind: query.kind, limit: offset + limit, offset: 0, excludeIds: [...this.runs.keys()] });
    const all = [...held, ...stored.items.map((r) => r.summary)].sort(byNewest);
    return { runs: all.slice(offset, offset + limit), total: held.length + stored.total };
  }

  /** A run this process holds, or one from the run store's history. */
  async detail(runId: string): Promise<RunDetail> {
    const held = this.runs.get(runId);
    if (held) {
      // Whoever reads a finished backtest through here (runs.get, a delete) sees it stored.
      await held.stored;
      return this.get(runId);
    }
    // A stored run's rows may come from Storage: the ones still being written belong there.
    await this.settled();
    const stored = await this.runStore.get(runId);
    if (!stored) throw new RunNotFoundError(runId);
    return storedRunDetail(stored, this.options.persistence[modeOf(stored.summary.kind)].storage);
  }

  /**
   * Resolves with the run's summary once its record is in the run store as it is now (a finished
   * backtest's history record and rows are written after its completion): what a caller that only
   * needs the run stored (a rename, a delete) waits for, without `detail` parsing every row.
   */
  async stored(runId: string): Promise<RunSummary> {
    const held = this.runs.get(runId);
    if (held) {
      await held.stored;
      return { ...held.summary };
    }
    await this.settled();
    const stored = await this.runStore.get(runId);
    if (!stored) throw new RunNotFoundError(runId);
    return stored.summary;
  }

  /** The run's event stream; returns the unsubscribe function. */
  subscribe(runId: string, listener: Listener): () => void {
    let set = this.subscribers.get(runId);
    if (!set) this.subscribers.set(runId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves when the run reaches completed, stopped or failed. */
  waitFor(runId: string, timeoutMs = 120_000): Promise<RunSummary> {
    const record = this.require(runId);
    if (isFinal(record.summary.status)) return Promise.resolve({ ...record.summary });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`run ${runId} still ${record.summary.status} after ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.subscribe(runId, (e) => {
        if (e.type === 'status' && isFinal(e.status)) {
          clearTimeout(timer);
          off();
          resolve({ ...record.summary });
        }
      });
    });
  }

  /**
   * Stops every worker without marking paper/live runs finished: they stay `running` in the run
   * store and resume at the next start on that database. Backtests cannot resume: one in progress
   * fails with `reason`, so its history says why it ended instead of it vanishing.
   */
  async close(reason = 'the app stopped'): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    const records = [...this.runs.values()];
    await Promise.all([...records.map((r) => terminateAll(r.workers)), this.pool.close()]);
    await Promise.all(records.map((r) => r.chain.catch(() => undefined)));
    // A run that was finishing writes its final state before the database goes away.
    await Promise.allSettled([...this.launched]);
    for (const r of records) {
      if (r.request.kind === 'backtest' && !isFinal(r.summary.status)) await this.failWith(r, { error: `interrupted: ${reason}; start it again` });
    }
    await this.settled();
  }

  emitRun(runId: string, event: RunEvent): void {
    this.emit('event', event);
    for (const l of this.subscribers.get(runId) ?? []) l(event);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  private require(runId: string): RunRecord {
    const record = this.runs.get(runId);
    if (!record) throw new RunNotFoundError(runId);
    return record;
  }

  private running(): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.summary.status === 'running') n++;
    return n;
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.running() < this.maxConcurrent) {
      const runId = this.queue.shift()!;
      const record = this.runs.get(runId);
      if (!record || record.summary.status !== 'queued') continue;
      record.summary.status = 'running';
      record.summary.startedAt ??= Date.now();
      record.startedClock = performance.now();
      this.emitRun(runId, { type: 'status', runId, at: Date.now(), status: 'running' });
      const launched = this.launch(record).catch((error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        return this.failWith(record, { error: e.message, stack: e.stack });
      });
      this.launched.add(launched);
      void launched.finally(() => this.launched.delete(launched));
    }
  }

  private async launch(record: RunRecord): Promise<void> {
    await this.notifier.notify(record, runNotification(record, 'run.started', `Run started`, `${record.request.strategyName} on ${record.request.symbols.join(', ')}`));
    this.log('info', `run ${record.summary.runId} started: ${describeRun(record)}`, { kind: 'run', runId: record.summary.runId });
    await this.livePersistence.checkpoint(record);
    if (record.request.kind === 'backtest') await this.jobs.launchBacktest(record);
    else await this.jobs.launchLive(record);
    if (record.stopRequested || this.closed || isFinal(record.summary.status)) return;
    // Writes still queued may fail the run: wait for them before deciding how it ended.
    await record.chain;
    if (record.failure) return this.failWith(record, record.failure);
    if (record.request.kind === 'backtest') {
      await rememberLatest(this.options.persistence.backtest, outcomeOf(record));
    }
    await this.finish(record, 'completed');
  }

  private async failWith(record: RunRecord, failure: RunFailure): Promise<void> {
    if (isFinal(record.summary.status)) return;
    await terminateAll(record.workers);
    await record.chain.catch(() => undefined);
    const where = failure.symbol ? ` (${failure.symbol})` : '';
    record.summary.error = `${failure.error}${where}`;
    this.log('error', `run ${record.summary.runId} (${record.request.kind}, ${record.request.strategyName}) failed: ${record.summary.error}`, { kind: 'run', runId: record.summary.runId });
    await this.notifier.notifyOrLog(
      record,
      runNotification(record, 'error.critical', `Run failed: ${record.request.strategyName}`, `${failure.error}${where}`, { stack: failure.stack ?? '' }),
    );
    await this.notifier.notifyOrLog(record, runNotification(record, 'run.failed', 'Run failed', record.summary.error));
    await this.finish(record, 'failed');
  }

  private async finish(record: RunRecord, status: 'completed' | 'stopped' | 'failed'): Promise<void> {
    if (isFinal(record.summary.status)) return;
    const s = record.summary;
    s.status = status;
    s.endedAt = Date.now();
    delete s.etaMs;
    // The run's statistics take over from the running tally.
    delete s.tally;
    const backtest = record.request.kind === 'backtest' ? outcomeOf(record) : undefined;
    const detail = backtest ? undefined : runDetailOf(s, record.request, [...record.signals.values()]);
    const stats = (s.stats = backtest?.stats ?? detail!.stats);
    if (status === 'completed') {
      s.progress = 1;
      await this.notifier.notifyOrLog(record, runNotification(record, 'run.completed', 'Run completed', `${countOf(stats.trades, 'trade')}, return ${signedPercent(stats.returnPercent ?? stats.totalPnlPercent)} (sum of trade PnL ${signedPercent(stats.totalPnlPercent)})`));
    }
    if (backtest) record.stored = this.backtestWriter.write(record, backtest, status === 'completed');
    else await this.livePersistence.saveFinal(record, storedResultOf(detail!));
    // Failures are logged as errors with their reason where they happen; this line closes every run's story.
    this.log(status === 'failed' ? 'warn' : 'info', `run ${s.runId} ${status} after ${Math.round((s.endedAt - (s.startedAt ?? s.createdAt)) / 100) / 10} s: ${describeRun(record)}; ${countOf(stats.trades, 'trade')}, return ${signedPercent(stats.returnPercent ?? stats.totalPnlPercent)}`, { kind: 'run', runId: s.runId });
    const event: RunEvent = { type: 'status', runId: s.runId, at: s.endedAt, status, stats: s.stats };
    if (s.error) event.error = s.error;
    this.emitRun(s.runId, event);
    this.forgetOldFinished();
    this.pump();
  }

  /** Resolves once the history and Storage writes of finished backtests are done (they follow their completion). */
  settled(): Promise<void> {
    return this.backtestWriter.settled();
  }

  /**
   * Only the newest finished run stays in memory with every row; older ones are served from the run
   * store (`listAll`, `detail`), so a long session of big backtests does not grow without end, and
   * the garbage collector does not trace the rows of earlier runs during the next ones (measured: a
   * 9-symbol, 43,831-signal backtest ran ~35% faster keeping one finished run instead of four).
   */
  private forgetOldFinished(): void {
    const finished = [...this.runs.values()].filter((r) => isFinal(r.summary.status) && r.workers.size === 0);
    if (finished.length <= KEEP_FINISHED_IN_MEMORY) return;
    finished.sort((a, b) => (b.summary.endedAt ?? 0) - (a.summary.endedAt ?? 0));
    for (const r of finished.slice(KEEP_FINISHED_IN_MEMORY)) {
      this.runs.delete(r.summary.runId);
      this.subscribers.delete(r.summary.runId);
    }
  }
}

