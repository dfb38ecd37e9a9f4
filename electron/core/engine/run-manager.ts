import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { INTERVAL_MS } from '../../../shared/candles';
import {
  FINAL_RUN_STATUSES,
  runRequestSchema,
  type RunDetail,
  type RunEvent,
  type RunKind,
  type RunNotification,
  type RunRequest,
  type RunRequestInput,
  type RunStatus,
  type RunSummary,
  type SignalRow,
  type SignalTransition,
} from '../../../shared/domain/runs';
import { CandleCache, type CandleStore } from './candle-cache';
import type { JsonValue, RunPersistence } from './run-persistence';
import { InMemoryRunStore, type RunStore, type StoredRun } from './run-store';
import { createdAtOf } from './signal-lifecycle';
import { computeStats, equityCurve } from './statistics';
import { StrategyCatalog } from './strategy-catalog';
import { parseStrategyParams } from './strategy';
import { resolveRunWorkerEntry, spawnRunWorker, type RunWorkerEntry } from './worker-entry';
import type { BacktestJob, EngineEvent, FromWorker, LiveJob, ToWorker, WorkerJob } from './worker-protocol';

export interface RunManagerOptions {
  /** The candle store backtests and paper replays read from (CandleDbService). */
  candles: CandleStore;
  /** Where the columnar candle cache lives. */
  cacheDir: string;
  /** The user strategies folder. */
  strategiesDir?: string;
  /** Subsystems per mode, from the adapter matrix (live: MongoDB, backtest: memory/local files). */
  persistence: { live: RunPersistence; backtest: RunPersistence };
  /** Where paper/live runs are recorded so they resume after a restart (RunDbService in the app). */
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
}

type Listener = (event: RunEvent) => void;

interface RunRecord {
  summary: RunSummary;
  request: RunRequest;
  signals: Map<string, SignalRow>;
  workers: Set<Worker>;
  cursors: Record<string, number>;
  /** Per-symbol progress, summed into the run's. */
  progress: Map<string, { processed: number; total: number }>;
  startedClock?: number;
  /** Live persistence runs in message order, one write after another. */
  chain: Promise<void>;
  stopRequested: boolean;
  /** When the paper/live checkpoint was last written, and the pending deferred write. */
  savedAt?: number;
  checkpointTimer?: NodeJS.Timeout;
  /** Set by a worker's failure so the other symbols of the run stop too. */
  failure?: { error: string; stack?: string; symbol?: string };
}

const STARTUP_GRACE_MS = 60_000;
const CHECKPOINT_EVERY_MS = 1_000;

const isFinal = (s: RunStatus): boolean => (FINAL_RUN_STATUSES as readonly string[]).includes(s);

function modeOf(kind: RunKind): 'live' | 'backtest' {
  return kind === 'backtest' ? 'backtest' : 'live';
}

function frameNameOf(r: RunRequest): string {
  if (r.frameName) return r.frameName;
  const iso = (t?: number): string => (t === undefined ? 'now' : new Date(t).toISOString().slice(0, 16));
  return `${r.interval}:${iso(r.from)}..${iso(r.to)}`;
}

const NOTIFY_TRANSITIONS: Partial<Record<SignalTransition, RunNotification['type']>> = {
  scheduled: 'signal.scheduled',
  opened: 'signal.opened',
  closed: 'signal.closed',
  cancelled: 'signal.cancelled',
};

/**
 * Starts, stops, lists and describes runs. Every run executes in worker threads (a backtest: one
 * per symbol, up to `backtestWorkers` at once); a strategy that throws fails its own run with an
 * `error.critical` notification, one that hangs is terminated by the watchdog. Each run has one
 * ordered event stream (`subscribe`), also emitted as `event` on the manager.
 *
 * Paper and live runs persist every signal, notification and a per-symbol cursor as they go; after
 * a crash or restart `resumeUnfinished` picks them up from the cursor. Ids are deterministic, so
 * whatever is replayed past the last checkpoint is written again as the same documents (upserts).
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
  private readonly watchdogMs: number;
  private readonly entry: RunWorkerEntry;
  /** Last message time per worker; absent until its first message (startup is not watched as tightly). */
  private readonly lastSeen = new Map<Worker, number>();
  private readonly spawnedAt = new Map<Worker, number>();
  /** Warm workers waiting for their next job. */
  private readonly idle: Worker[] = [];
  private readonly idleDrop = new Map<Worker, () => void>();
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RunManagerOptions) {
    super();
    this.catalog = new StrategyCatalog({ userDir: options.strategiesDir });
    this.cache = new CandleCache(options.cacheDir, options.candles);
    this.runStore = options.runStore ?? new InMemoryRunStore();
    this.maxConcurrent = options.maxConcurrentRuns ?? 2;
    this.backtestWorkers = options.backtestWorkers ?? availableParallelism();
    this.watchdogMs = options.watchdogMs ?? 30_000;
    this.entry = options.workerEntry ?? resolveRunWorkerEntry();
    this.watchdog = setInterval(() => this.checkWatchdog(), Math.max(50, Math.min(1000, this.watchdogMs / 4)));
    this.watchdog.unref();
  }

  get strategies(): StrategyCatalog {
    return this.catalog;
  }

  /** Validates the request (fields, strategy, parameters), queues the run and returns its summary. */
  async start(input: RunRequestInput, runId: string = randomUUID()): Promise<RunSummary> {
    if (this.closed) throw new Error('the run manager is closed');
    const parsed = runRequestSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(`invalid run request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`);
    }
    if (this.runs.has(runId)) throw new Error(`a run with id ${runId} already exists`);
    const request = parsed.data;
    const strategy = await this.catalog.load(request.strategyName);
    parseStrategyParams(strategy, request.params);
    const record = this.newRecord(runId, request);
    this.runs.set(runId, record);
    await this.persistRun(record);
    this.emitRun(runId, { type: 'status', runId, at: Date.now(), status: 'queued' });
    this.queue.push(runId);
    this.pump();
    return { ...record.summary };
  }

  private newRecord(runId: string, request: RunRequest, stored?: StoredRun): RunRecord {
    const summary: RunSummary = stored?.summary ?? {
      runId,
      kind: request.kind,
      status: 'queued',
      strategyName: request.strategyName,
      exchangeName: request.exchangeName,
      frameName: frameNameOf(request),
      symbols: request.symbols,
      interval: request.interval,
      params: request.params,
      progress: 0,
      processed: 0,
      total: 0,
      createdAt: Date.now(),
    };
    if (request.from !== undefined) summary.from = request.from;
    if (request.to !== undefined) summary.to = request.to;
    return {
      summary: { ...summary, status: 'queued' },
      request,
      signals: new Map(),
      workers: new Set(),
      cursors: { ...(stored?.cursors ?? {}) },
      progress: new Map(),
      chain: Promise.resolve(),
      stopRequested: false,
    };
  }

  /** Re-launches the paper/live runs that were running when the app last stopped. */
  async resumeUnfinished(): Promise<string[]> {
    const resumed: string[] = [];
    for (const stored of await this.runStore.listUnfinished()) {
      if (stored.request.kind === 'backtest' || this.runs.has(stored.runId)) continue;
      const request = runRequestSchema.parse(stored.request);
      const record = this.newRecord(stored.runId, request, stored);
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
    const record = this.require(runId);
    if (isFinal(record.summary.status)) return { stopped: false, status: record.summary.status };
    record.stopRequested = true;
    const queued = this.queue.indexOf(runId);
    if (queued >= 0) this.queue.splice(queued, 1);
    await this.terminateWorkers(record);
    await record.chain;
    await this.finish(record, 'stopped');
    return { stopped: true, status: 'stopped' };
  }

  /** Cancels the scheduled (not yet opened) signal of a symbol of a paper/live run (`user`). */
  cancelScheduled(runId: string, symbol: string): void {
    const record = this.require(runId);
    for (const w of record.workers) w.postMessage({ type: 'cancel-signal', symbol } satisfies ToWorker);
  }

  list(filter: { status?: RunStatus; kind?: RunKind } = {}): RunSummary[] {
    return [...this.runs.values()]
      .map((r) => r.summary)
      .filter((s) => (!filter.status || s.status === filter.status) && (!filter.kind || s.kind === filter.kind))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((s) => ({ ...s }));
  }

  get(runId: string): RunDetail {
    const r = this.require(runId);
    const signals = [...r.signals.values()].sort((a, b) => createdAtOf(a) - createdAtOf(b) || a.symbol.localeCompare(b.symbol));
    const statsBySymbol: RunDetail['statsBySymbol'] = {};
    for (const symbol of r.request.symbols) statsBySymbol[symbol] = computeStats(signals.filter((s) => s.symbol === symbol), r.request.account);
    return {
      ...r.summary,
      stats: computeStats(signals, r.request.account),
      request: r.request,
      signals,
      equity: equityCurve(signals, r.request.from ?? r.summary.startedAt ?? r.summary.createdAt, r.request.account),
      statsBySymbol,
    };
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
   * store and resume at the next start. (Backtests are not resumable; they are simply dropped.)
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.queue.length = 0;
    const records = [...this.runs.values()];
    const idle = this.idle.splice(0);
    await Promise.all([...records.map((r) => this.terminateWorkers(r)), ...idle.map((w) => w.terminate().catch(() => undefined))]);
    await Promise.all(records.map((r) => r.chain.catch(() => undefined)));
  }

  // ---- internals --------------------------------------------------------------------------------

  private require(runId: string): RunRecord {
    const record = this.runs.get(runId);
    if (!record) throw new Error(`no run with id ${runId}`);
    return record;
  }

  private emitRun(runId: string, event: RunEvent): void {
    this.emit('event', event);
    for (const l of this.subscribers.get(runId) ?? []) l(event);
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
      void this.launch(record).catch((error: unknown) => this.fail(record, error instanceof Error ? error : new Error(String(error))));
    }
  }

  private async launch(record: RunRecord): Promise<void> {
    await this.notify(record, this.runNotification(record, 'run.started', `Run started`, `${record.request.strategyName} on ${record.request.symbols.join(', ')}`));
    await this.persistRun(record);
    if (record.request.kind === 'backtest') await this.launchBacktest(record);
    else await this.launchLive(record);
  }

  private async cacheFiles(record: RunRecord): Promise<Record<string, string>> {
    const r = record.request;
    const files: Record<string, string> = {};
    for (const symbol of r.symbols) {
      const series = await this.cache.ensure({ exchangeName: r.exchangeName, symbol, interval: r.interval }, r.from!, r.to!);
      if (series.length === 0) {
        throw new Error(`no stored ${r.interval} candles for ${r.exchangeName} ${symbol} in ${new Date(r.from!).toISOString()} .. ${new Date(r.to!).toISOString()}; import or download them first`);
      }
      files[symbol] = series.file;
      record.progress.set(symbol, { processed: 0, total: series.length });
    }
    return files;
  }

  private async launchBacktest(record: RunRecord): Promise<void> {
    const files = await this.cacheFiles(record);
    const pendingSymbols = [...record.request.symbols];
    const next = async (): Promise<void> => {
      while (pendingSymbols.length > 0 && !record.stopRequested && !record.failure && !this.closed) {
        const symbol = pendingSymbols.shift()!;
        const job: BacktestJob = {
          kind: 'backtest',
          runId: record.summary.runId,
          request: record.request,
          frameName: record.summary.frameName,
          symbol,
          cacheFile: files[symbol]!,
          strategiesDir: this.options.strategiesDir,
        };
        await this.runWorker(record, job);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.backtestWorkers, pendingSymbols.length)) }, next));
    if (record.stopRequested || this.closed || isFinal(record.summary.status)) return;
    if (record.failure) return this.failWith(record, record.failure);
    // The rows go to the backtest column's Storage (capped per mode, oldest closed rows first) once
    // the replay is over, so the replay loop itself never waits on persistence; Recent gets the
    // latest signal of each symbol. The full list also stays in the run's result.
    const { storage, recent } = this.options.persistence.backtest;
    const latest = new Map<string, SignalRow>();
    for (const row of record.signals.values()) {
      const prev = latest.get(row.symbol);
      if (!prev || createdAtOf(row) >= createdAtOf(prev)) latest.set(row.symbol, row);
    }
    // Storage keeps at most `cap` rows per mode, so only the newest `cap` of this run can stay.
    const newest = [...record.signals.values()].sort((a, b) => createdAtOf(b) - createdAtOf(a)).slice(0, storage.cap);
    await storage.upsertMany(newest.reverse());
    for (const row of latest.values()) await recent.remember(row);
    await this.finish(record, 'completed');
  }

  private async launchLive(record: RunRecord): Promise<void> {
    const r = record.request;
    const job: LiveJob = {
      kind: r.kind as 'paper' | 'live',
      runId: record.summary.runId,
      request: r,
      frameName: record.summary.frameName,
      strategiesDir: this.options.strategiesDir,
      cursors: record.cursors,
      pending: this.pendingAtCursors(record),
      pollMs: this.options.livePollMs,
      exchangeApiUrl: this.options.exchangeApiUrl,
    };
    if (r.kind === 'paper') job.cacheFiles = await this.cacheFiles(record);
    await this.runWorker(record, job);
    if (record.stopRequested || this.closed || isFinal(record.summary.status)) return;
    if (record.failure) return this.failWith(record, record.failure);
    await record.chain;
    await this.finish(record, 'completed');
  }

  /** The signal each symbol had pending at its cursor, as it was then (later changes are replayed). */
  private pendingAtCursors(record: RunRecord): Record<string, SignalRow> {
    const out: Record<string, SignalRow> = {};
    const candleMs = intervalMsOf(record.request);
    for (const row of record.signals.values()) {
      const cursor = record.cursors[row.symbol];
      if (cursor === undefined) continue;
      const cursorClose = cursor + candleMs;
      if (createdAtOf(row) > cursorClose) continue;
      if (row.closedAt !== undefined && row.closedAt <= cursorClose) continue;
      const asOf: SignalRow = { ...row };
      delete asOf.closedAt;
      delete asOf.closeReason;
      delete asOf.cancelReason;
      delete asOf.priceClose;
      delete asOf.pnlPercent;
      asOf.status = asOf.openedAt !== undefined && asOf.openedAt <= cursorClose ? 'opened' : 'scheduled';
      if (asOf.status === 'scheduled') delete asOf.openedAt;
      out[row.symbol] = asOf;
    }
    return out;
  }

  /** An idle warm worker, or a new one: loading a worker (and its modules) costs ~0.1–1 s. */
  private acquireWorker(): Worker {
    const warm = this.idle.pop();
    if (warm) {
      warm.off('exit', this.idleDrop.get(warm)!);
      this.idleDrop.delete(warm);
      warm.ref();
      return warm;
    }
    const worker = spawnRunWorker(this.entry);
    this.spawnedAt.set(worker, Date.now());
    return worker;
  }

  /** Keeps a worker that finished cleanly for the next job (up to backtestWorkers of them). */
  private releaseWorker(worker: Worker): void {
    this.lastSeen.delete(worker);
    if (this.closed || this.idle.length >= this.backtestWorkers) {
      void worker.terminate();
      return;
    }
    const drop = (): void => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
    };
    worker.once('exit', drop);
    this.idleDrop.set(worker, drop);
    worker.unref();
    this.idle.push(worker);
  }

  private runWorker(record: RunRecord, job: WorkerJob): Promise<void> {
    return new Promise((resolve) => {
      const worker = this.acquireWorker();
      record.workers.add(worker);
      if (this.spawnedAt.has(worker) === false) this.lastSeen.set(worker, Date.now());
      let settled = false;
      const settle = (reusable: boolean): void => {
        if (settled) return;
        settled = true;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        record.workers.delete(worker);
        this.lastSeen.delete(worker);
        this.spawnedAt.delete(worker);
        if (reusable) this.releaseWorker(worker);
        else void worker.terminate();
        resolve();
      };
      // Only this job's own listeners are removed afterwards: Worker keeps internal ones (they ref
      // and unref its message port), which removeAllListeners would break.
      const onMessage = (m: FromWorker): void => {
        if (settled) return;
        this.lastSeen.set(worker, Date.now());
        if (m.type === 'events') this.onEvents(record, job, m);
        else if (m.type === 'rpc') this.onRpc(record, worker, m);
        else if (m.type === 'done') settle(record.workers.has(worker));
        else if (m.type === 'failed') {
          record.failure ??= { error: m.error, stack: m.stack, symbol: m.symbol };
          settle(false);
          void this.terminateWorkers(record);
        }
      };
      const onError = (error: Error): void => {
        record.failure ??= { error: error.message, stack: error.stack, symbol: job.kind === 'backtest' ? job.symbol : undefined };
        settle(false);
      };
      const onExit = (): void => {
        if (!settled && !record.stopRequested && !this.closed) record.failure ??= { error: 'the run worker exited unexpectedly' };
        settle(false);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'start', job } satisfies ToWorker);
    });
  }

  private onEvents(record: RunRecord, job: WorkerJob, m: Extract<FromWorker, { type: 'events' }>): void {
    if (record.stopRequested || isFinal(record.summary.status)) return;
    const runId = record.summary.runId;
    const live = record.request.kind !== 'backtest';
    for (const e of m.events) this.applyEvent(record, e);
    const key = job.kind === 'backtest' ? job.symbol : '*';
    record.progress.set(key, { processed: m.processed, total: job.kind === 'backtest' ? m.total : m.total });
    if (job.kind !== 'backtest') for (const s of record.request.symbols) if (s !== key) record.progress.delete(s);
    this.updateProgress(record);
    if (live) {
      const events = m.events;
      const cursors = m.cursors ?? {};
      record.chain = record.chain
        .then(async () => {
          await this.persistLive(record, events);
          Object.assign(record.cursors, cursors);
          // The checkpoint may lag (a resume then replays a little more, as the same documents);
          // it must never run ahead of the events it covers, which the chain guarantees.
          const now = Date.now();
          if (events.length > 0 || now - (record.savedAt ?? 0) >= CHECKPOINT_EVERY_MS) {
            record.savedAt = now;
            await this.persistRun(record);
          } else {
            this.scheduleCheckpoint(record);
          }
        })
        .catch((error: unknown) => {
          record.failure ??= { error: `cannot persist run ${runId}: ${error instanceof Error ? error.message : String(error)}` };
          void this.terminateWorkers(record);
        });
    }
  }

  /** A skipped checkpoint is written a moment later, so a feed that went quiet is not left behind. */
  private scheduleCheckpoint(record: RunRecord): void {
    if (record.checkpointTimer) return;
    record.checkpointTimer = setTimeout(() => {
      record.checkpointTimer = undefined;
      if (isFinal(record.summary.status) || record.stopRequested || this.closed) return;
      record.chain = record.chain.then(async () => {
        record.savedAt = Date.now();
        await this.persistRun(record);
      }).catch(() => undefined);
    }, CHECKPOINT_EVERY_MS);
    record.checkpointTimer.unref();
  }

  private applyEvent(record: RunRecord, e: EngineEvent): void {
    const runId = record.summary.runId;
    if (e.type === 'signal') {
      record.signals.set(e.signal.signalId, e.signal);
      this.emitRun(runId, { type: 'signal', runId, at: e.at, transition: e.transition, signal: e.signal });
    } else if (e.type === 'notification') {
      this.emitRun(runId, { type: 'notification', runId, at: e.at, notification: e.notification });
      if (record.request.kind === 'backtest') void this.options.persistence.backtest.notifications.append(e.notification).catch(() => undefined);
    } else {
      const { type: _t, ...rest } = e;
      this.emitRun(runId, { type: 'state', runId, ...rest });
    }
  }

  /** Paper/live: the signal rows, the latest signal per symbol and one notification per transition. */
  private async persistLive(record: RunRecord, events: EngineEvent[]): Promise<void> {
    const p = this.options.persistence.live;
    for (const e of events) {
      if (e.type === 'signal') {
        const row = e.signal;
        await p.storage.upsert(row);
        await p.recent.remember(row);
        const type = NOTIFY_TRANSITIONS[e.transition];
        if (type) await this.notify(record, this.signalNotification(row, type, e.at));
      } else if (e.type === 'notification') {
        await p.notifications.append(e.notification);
      }
    }
  }

  private signalNotification(row: SignalRow, type: RunNotification['type'], at: number): RunNotification {
    const what = type.replace('signal.', '');
    const detail =
      row.status === 'closed'
        ? ` (${row.closeReason}, PnL ${row.pnlPercent!.toFixed(2)}%)`
        : row.status === 'cancelled'
          ? ` (${row.cancelReason})`
          : ` at ${row.priceOpen}`;
    return {
      notificationId: `${row.signalId}:${type}`,
      type,
      backtest: row.backtest,
      runId: row.runId,
      symbol: row.symbol,
      strategyName: row.strategyName,
      signalId: row.signalId,
      title: `${row.symbol} ${row.position} ${what}`,
      message: `${row.strategyName}: ${row.symbol} ${row.position} ${what}${detail}`,
      createdAt: at,
      read: false,
      data: { position: row.position, priceOpen: row.priceOpen, priceClose: row.priceClose, pnlPercent: row.pnlPercent, closeReason: row.closeReason, cancelReason: row.cancelReason },
    };
  }

  private runNotification(record: RunRecord, type: RunNotification['type'], title: string, message: string, data?: Record<string, unknown>): RunNotification {
    const runId = record.summary.runId;
    const n: RunNotification = {
      notificationId: `${runId}:${type}`,
      type,
      backtest: record.request.kind === 'backtest',
      runId,
      strategyName: record.request.strategyName,
      title,
      message,
      createdAt: Date.now(),
      read: false,
    };
    if (data) n.data = data;
    return n;
  }

  /** Writes a notification to the run's Notification subsystem and puts it on the run's stream. */
  private async notify(record: RunRecord, n: RunNotification): Promise<void> {
    const p = this.options.persistence[modeOf(record.request.kind)];
    await p.notifications.append(n);
    this.emitRun(record.summary.runId, { type: 'notification', runId: record.summary.runId, at: n.createdAt, notification: n });
  }

  private onRpc(record: RunRecord, worker: Worker, m: Extract<FromWorker, { type: 'rpc' }>): void {
    const store = this.options.persistence[modeOf(record.request.kind)][m.subsystem] as unknown as {
      get(k: unknown): Promise<JsonValue | null>;
      set(k: unknown, v: JsonValue): Promise<void>;
    };
    const op = m.method === 'get' ? store.get(m.key) : store.set(m.key, (m.value ?? null) as JsonValue).then(() => null);
    op.then(
      (value) => worker.postMessage({ type: 'rpc-result', id: m.id, value } satisfies ToWorker),
      (error: unknown) => worker.postMessage({ type: 'rpc-result', id: m.id, error: error instanceof Error ? error.message : String(error) } satisfies ToWorker),
    );
  }

  private updateProgress(record: RunRecord): void {
    let processed = 0;
    let total = 0;
    for (const p of record.progress.values()) {
      processed += p.processed;
      total += p.total;
    }
    const s = record.summary;
    s.processed = processed;
    s.total = total;
    s.progress = total > 0 ? Math.min(1, processed / total) : 0;
    const elapsed = record.startedClock !== undefined ? performance.now() - record.startedClock : 0;
    if (processed > 0 && total > processed) s.etaMs = Math.round((elapsed / processed) * (total - processed));
    else delete s.etaMs;
    const event: RunEvent = { type: 'progress', runId: s.runId, at: Date.now(), processed, total, progress: s.progress };
    if (s.etaMs !== undefined) event.etaMs = s.etaMs;
    this.emitRun(s.runId, event);
  }

  private async terminateWorkers(record: RunRecord): Promise<void> {
    const workers = [...record.workers];
    record.workers.clear();
    await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
  }

  private checkWatchdog(): void {
    const now = Date.now();
    for (const record of this.runs.values()) {
      for (const worker of record.workers) {
        const seen = this.lastSeen.get(worker);
        // Loading a worker (and, from source, compiling it) can take seconds on a busy machine.
        const silentFor = seen === undefined ? now - (this.spawnedAt.get(worker) ?? now) - STARTUP_GRACE_MS : now - seen;
        if (silentFor > this.watchdogMs) {
          record.failure ??= {
            error: `watchdog: the strategy "${record.request.strategyName}" did not return for ${Math.round(silentFor / 1000)} s (endless loop?); its worker was terminated`,
          };
          void worker.terminate();
        }
      }
    }
  }

  private fail(record: RunRecord, error: Error): Promise<void> {
    return this.failWith(record, { error: error.message, stack: error.stack });
  }

  private async failWith(record: RunRecord, failure: NonNullable<RunRecord['failure']>): Promise<void> {
    if (isFinal(record.summary.status)) return;
    await this.terminateWorkers(record);
    await record.chain.catch(() => undefined);
    const where = failure.symbol ? ` (${failure.symbol})` : '';
    record.summary.error = `${failure.error}${where}`;
    await this.notify(
      record,
      this.runNotification(record, 'error.critical', `Run failed: ${record.request.strategyName}`, `${failure.error}${where}`, { stack: failure.stack ?? '' }),
    ).catch(() => undefined);
    await this.notify(record, this.runNotification(record, 'run.failed', 'Run failed', record.summary.error)).catch(() => undefined);
    await this.finish(record, 'failed');
  }

  private async finish(record: RunRecord, status: 'completed' | 'stopped' | 'failed'): Promise<void> {
    if (isFinal(record.summary.status)) return;
    const s = record.summary;
    s.status = status;
    s.endedAt = Date.now();
    delete s.etaMs;
    s.stats = computeStats([...record.signals.values()], record.request.account);
    if (status === 'completed') {
      s.progress = 1;
      await this.notify(record, this.runNotification(record, 'run.completed', 'Run completed', `${s.stats.trades} trades, total PnL ${s.stats.totalPnlPercent.toFixed(2)}%`)).catch(() => undefined);
    }
    await this.persistRun(record).catch(() => undefined);
    const event: RunEvent = { type: 'status', runId: s.runId, at: s.endedAt, status, stats: s.stats };
    if (s.error) event.error = s.error;
    this.emitRun(s.runId, event);
    this.pump();
  }

  private async persistRun(record: RunRecord): Promise<void> {
    if (record.request.kind === 'backtest') return;
    await this.runStore.save({ runId: record.summary.runId, request: record.request, summary: { ...record.summary }, cursors: { ...record.cursors } });
  }
}

function intervalMsOf(r: RunRequest): number {
  return INTERVAL_MS[r.interval];
}
