import { INTERVAL_MS } from '../../../shared/candles';
import type { RunNotification, RunTally, SignalRow, SignalTransition } from '../../../shared/domain/runs';
import { readCachedColumns, ReusableBuffer } from './candle-cache';
import { appendCandle, allocateColumns, lowerBound, type CandleColumns } from './columnar';
import { runBacktestKitJob, signalRowOf, type TickResult } from '../backtest-kit/strategy-api';
import { importerFor, StrategyCatalog } from './strategy-catalog';
import { parseStrategyParams, type MemoryAccess, type SessionAccess, type StateAccess, type StrategyDefinition } from './strategy';
import { SymbolRunner } from './symbol-runner';
import { createdAtOf, type SignalIdentity, type SignalValidationError } from './signal-lifecycle';
import { packSymbolResult } from './symbol-result';
import type { BacktestJob, EngineEvent, FromWorker, LiveJob, RpcSubsystem, ToWorker, WorkerJob } from './worker-protocol';

export interface WorkerPort {
  /** `transfer`: buffers moved to the main thread instead of copied. */
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

const DEFAULT_CHUNK = 65_536;
/** Live feeds: candles per exchange request, and how many before a checkpoint re-warm the indicators. */
const PAGE = 500;
const WARMUP_CANDLES = 500;
const HEARTBEAT_MS = 500;

/**
 * This worker's one buffer for a backtest job's candles (jobs run one at a time here): a warm
 * worker holds its largest series once, never a finished job's columns beside the next one's.
 */
const backtestCandles = new ReusableBuffer();

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function eventTime(transition: SignalTransition, row: SignalRow): number {
  if (transition === 'closed' || transition === 'cancelled') return row.closedAt!;
  if (transition === 'scheduled') return row.scheduledAt!;
  return row.openedAt ?? createdAtOf(row);
}

/**
 * Session/State/Memory a strategy sees: calls to the main thread, which holds the run's persistence
 * (local files in a backtest, MongoDB live, per the adapter matrix).
 */
type StrategyServices = { session: SessionAccess; state: StateAccess; memory: MemoryAccess };
type RawAccess = (subsystem: RpcSubsystem, method: 'get' | 'set', key: Record<string, string | boolean>, value?: unknown) => Promise<unknown>;

function strategyServices(identity: SignalIdentity, access: RawAccess, events: EngineEvent[], now: () => number): StrategyServices {
  const sessionKey = { strategyName: identity.strategyName, exchangeName: identity.exchangeName, frameName: identity.frameName, symbol: identity.symbol, backtest: identity.backtest };
  return {
    session: {
      get: async <T>() => (await access('session', 'get', sessionKey)) as T | null,
      set: async (value) => {
        await access('session', 'set', sessionKey, value);
        events.push({ type: 'state', at: now(), subsystem: 'session', symbol: identity.symbol, value });
      },
    },
    state: {
      get: async <T>(signalId: string, bucketName: string) => (await access('state', 'get', { signalId, bucketName })) as T | null,
      set: async (signalId, bucketName, value) => {
        await access('state', 'set', { signalId, bucketName }, value);
        events.push({ type: 'state', at: now(), subsystem: 'state', symbol: identity.symbol, signalId, bucketName, value });
      },
    },
    memory: {
      get: async <T>(signalId: string, bucketName: string, memoryId: string) => (await access('memory', 'get', { signalId, bucketName, memoryId })) as T | null,
      set: async (signalId, bucketName, memoryId, value) => {
        await access('memory', 'set', { signalId, bucketName, memoryId }, value);
        events.push({ type: 'state', at: now(), subsystem: 'memory', symbol: identity.symbol, signalId, bucketName, memoryId, value });
      },
    },
  };
}

function validationNotice(identity: SignalIdentity, error: SignalValidationError, time: number): RunNotification {
  return {
    notificationId: `${identity.runId}:${identity.symbol}:${time}:error.validation`,
    type: 'error.validation',
    backtest: identity.backtest,
    runId: identity.runId,
    symbol: identity.symbol,
    strategyName: identity.strategyName,
    title: `Invalid signal from ${identity.strategyName}`,
    message: `${identity.symbol} at ${new Date(time).toISOString()}: ${error.message}; the signal was ignored`,
    createdAt: time,
    read: false,
  };
}

/** What the worker thread's entry hands in: the strategies the app ships. */
export interface WorkerOptions {
  builtins?: readonly StrategyDefinition[];
}

async function loadStrategy(job: WorkerJob, options: WorkerOptions): Promise<{ strategy: StrategyDefinition; params: Record<string, unknown> }> {
  const catalog = new StrategyCatalog({ userDir: job.strategiesDir, builtins: options.builtins });
  const strategy = await catalog.load(job.request.strategyName);
  return { strategy, params: parseStrategyParams(strategy, job.request.params) as Record<string, unknown> };
}

function riskNotice(job: BacktestJob, message: string, time: number): RunNotification {
  return {
    notificationId: `${job.runId}:${job.symbol}:${time}:risk.rejection`,
    type: 'risk.rejection',
    backtest: true,
    runId: job.runId,
    symbol: job.symbol,
    strategyName: job.request.strategyName,
    title: `Risk rejected a signal of ${job.request.strategyName}`,
    message: `${job.symbol} at ${new Date(time).toISOString()}: ${message}`,
    createdAt: time,
    read: false,
  };
}

/**
 * One symbol of a backtest of a backtest-kit strategy file: backtest-kit's semantics over the cached
 * columns (which reach a look-back before the range, see BACKTEST_KIT_CANDLE_WINDOW).
 */
async function runBacktestKitBacktest(job: BacktestJob, loaded: { strategy: StrategyDefinition; params: Record<string, unknown> }, port: WorkerPort): Promise<void> {
  const source = loaded.strategy.backtestKit!;
  const r = job.request;
  const cols = readCachedColumns(job.cacheFile, backtestCandles);
  const events: EngineEvent[] = [];
  const rows: SignalRow[] = [];
  const from = r.from!;
  const span = Math.max(1, r.to! - from);
  let lastPost = Date.now();
  const tally = new ClosedTradeTally();
  const post = (when: number): void => {
    const processed = Math.min(cols.length, Math.round(((when - from) / span) * cols.length));
    port.post({ type: 'events', events: events.splice(0), processed: Math.max(0, processed), total: cols.length, tally: tally.of(rows) });
  };
  await runBacktestKitJob({
    file: source.file,
    strategyName: source.strategyName,
    symbol: job.symbol,
    exchangeName: r.exchangeName,
    frameName: job.frameName,
    runId: job.runId,
    from,
    to: r.to!,
    interval: r.interval,
    params: loaded.params,
    candles: cols,
    importer: importerFor(source.file),
    onResult: (result: TickResult) => {
      if (result.action !== 'closed' && result.action !== 'cancelled') return;
      rows.push(signalRowOf(result, { runId: job.runId, backtest: true }));
    },
    onNotice: (kind, message, time) => {
      if (kind === 'risk') events.push({ type: 'notification', at: time, notification: riskNotice(job, message, time) });
    },
    // Hands the event loop back now and then, so heartbeats and progress get out during long runs.
    onTick: (when) => {
      if (Date.now() - lastPost < 200) return;
      lastPost = Date.now();
      post(when);
      return nextTick();
    },
  });
  port.post({ type: 'events', events: events.splice(0), processed: cols.length, total: cols.length, tally: tally.of(rows) });
  postResult(port, job, rows, cols.length);
}

/**
 * A backtest symbol's trades closed so far, for its progress messages (the runs list shows them
 * while it runs). Rows are only ever appended, so each report counts just the ones added since the
 * last: the work follows the signals, not the candles.
 */
class ClosedTradeTally {
  private counted = 0;
  private readonly tally: RunTally = { trades: 0, pnlPercent: 0 };

  of(rows: readonly SignalRow[]): RunTally {
    for (; this.counted < rows.length; this.counted++) {
      const row = rows[this.counted]!;
      // The same trades the statistics count (statistics.ts `closedTrades`).
      if (row.status !== 'closed' || row.pnlPercent === undefined) continue;
      this.tally.trades++;
      this.tally.pnlPercent += row.pnlPercent;
    }
    return { ...this.tally };
  }
}

/** A backtest symbol's end: its rows, trades and statistics in one message of transferred buffers. */
function postResult(port: WorkerPort, job: BacktestJob, rows: readonly SignalRow[], processed: number): void {
  const { result, transfer } = packSymbolResult(job.symbol, rows, job.request.account);
  port.post({ type: 'done', processed, result }, transfer);
}

function makeRunner(
  job: WorkerJob,
  symbol: string,
  cols: CandleColumns,
  loaded: { strategy: StrategyDefinition; params: Record<string, unknown> },
  access: RawAccess,
  events: EngineEvent[],
  now: () => number,
  /** A backtest's final rows are collected here instead of being reported as events. */
  backtestRows?: SignalRow[],
): SymbolRunner {
  const r = job.request;
  const backtest = job.kind === 'backtest';
  const identity: SignalIdentity = {
    runId: job.runId,
    symbol,
    strategyName: r.strategyName,
    exchangeName: r.exchangeName,
    frameName: job.frameName,
    backtest: job.kind === 'backtest',
  };
  return new SymbolRunner(cols, {
    identity,
    strategy: loaded.strategy,
    params: loaded.params,
    interval: r.interval,
    lifecycle: { costs: r.costs, intervalMs: INTERVAL_MS[r.interval], scheduleTimeoutMs: r.scheduleTimeoutMinutes * 60_000, reports: backtest ? 'final' : 'every' },
    services: strategyServices(identity, access, events, now),
    onSignal: (transition, signal) => {
      // A backtest keeps each signal once, when it is final (the one pending at the end is added
      // then); live runs report every step.
      if (backtest) {
        if (transition === 'closed' || transition === 'cancelled') backtestRows?.push(signal);
        return;
      }
      events.push({ type: 'signal', at: eventTime(transition, signal), transition, signal });
    },
    onInvalidSignal: (error, time) => events.push({ type: 'notification', at: time, notification: validationNotice(identity, error, time) }),
  });
}

/**
 * One symbol of a backtest, as fast as the CPU allows, reporting progress every `chunkSize` candles.
 * Its rows stay here until the end and leave in one packed message (symbol-result.ts): nobody
 * watches a replay of seconds move signal by signal, and the main thread is then not handed an
 * object per signal while the other symbols replay.
 */
async function runBacktest(job: BacktestJob, port: WorkerPort, rpc: RawAccess, options: WorkerOptions): Promise<void> {
  const loaded = await loadStrategy(job, options);
  if (loaded.strategy.backtestKit) return runBacktestKitBacktest(job, loaded, port);
  const cols = readCachedColumns(job.cacheFile, backtestCandles);
  const events: EngineEvent[] = [];
  const rows: SignalRow[] = [];
  const runner = makeRunner(job, job.symbol, cols, loaded, rpc, events, () => Date.now(), rows);
  const chunk = job.chunkSize ?? DEFAULT_CHUNK;
  const tally = new ClosedTradeTally();
  for (let a = 0; a < cols.length; a += chunk) {
    const b = Math.min(cols.length, a + chunk);
    const pending = runner.run(a, b);
    if (pending) await pending;
    port.post({ type: 'events', events: events.splice(0), processed: b, total: cols.length, tally: tally.of(rows) });
    await nextTick();
  }
  const open = runner.tracker.current;
  if (open) rows.push({ ...open });
  postResult(port, job, rows, cols.length);
}

/**
 * Paper replay (stored candles at a chosen speed) and live (closed candles polled from an exchange
 * through ccxt): the same runner, one candle at a time, with Session/State/Memory served by the main
 * thread (MongoDB) and a checkpoint after every step so a restart resumes where it stopped.
 */
async function runLive(job: LiveJob, port: WorkerPort, rpc: RawAccess, cancels: Set<string>, options: WorkerOptions): Promise<void> {
  const loaded = await loadStrategy(job, options);
  if (loaded.strategy.backtestKit) {
    throw new Error(`${job.request.strategyName} is a backtest-kit strategy file: Backtest Monitor runs those as backtests only (paper and live runs need the native strategy format)`);
  }
  const r = job.request;
  const candleMs = INTERVAL_MS[r.interval];
  const events: EngineEvent[] = [];
  const feed = job.kind === 'paper' ? paperFeed(job) : await ccxtFeed(job);
  const runners = new Map<string, SymbolRunner>();
  for (const symbol of r.symbols) {
    const runner = makeRunner(job, symbol, feed.columns(symbol), loaded, rpc, events, () => Date.now());
    const pending = job.pending[symbol];
    if (pending) runner.tracker.restore(pending, true);
    runners.set(symbol, runner);
  }
  const cursors: Record<string, number> = { ...job.cursors };
  let processed = 0;
  for (;;) {
    const step = await feed.next(cursors);
    if (step === null) break;
    for (const { symbol, index } of step) {
      const runner = runners.get(symbol)!;
      runner.setColumns(feed.columns(symbol));
      const pending = runner.run(index, index + 1);
      if (pending) await pending;
      cursors[symbol] = feed.columns(symbol).timestamp[index]!;
      processed++;
    }
    for (const symbol of cancels) runners.get(symbol)?.tracker.cancel(Date.now());
    cancels.clear();
    port.post({ type: 'events', events: events.splice(0), processed: feed.processedBase + processed, total: feed.total, cursors: { ...cursors } });
    const delay = r.replaySpeed > 0 && job.kind === 'paper' ? candleMs / r.replaySpeed : 0;
    if (delay > 0) await sleep(delay);
    else await nextTick();
  }
  port.post({ type: 'done', processed });
}

interface Feed {
  columns(symbol: string): CandleColumns;
  /** The next candle(s), all symbols at the same time, after the cursors; null when the feed ends. */
  next(cursors: Record<string, number>): Promise<Array<{ symbol: string; index: number }> | null>;
  total: number;
  processedBase: number;
}

function paperFeed(job: LiveJob): Feed {
  const cols = new Map<string, CandleColumns>();
  for (const symbol of job.request.symbols) {
    const file = job.cacheFiles?.[symbol];
    if (!file) throw new Error(`paper replay of ${symbol}: no candle cache file`);
    cols.set(symbol, readCachedColumns(file));
  }
  const positions = new Map<string, number>();
  let total = 0;
  let base = 0;
  for (const [symbol, c] of cols) {
    const cursor = job.cursors[symbol];
    const start = cursor === undefined ? 0 : lowerBound(c, cursor + 1);
    positions.set(symbol, start);
    total += c.length;
    base += start;
  }
  return {
    columns: (symbol) => cols.get(symbol)!,
    total,
    processedBase: base,
    async next() {
      let t = Infinity;
      for (const [symbol, i] of positions) {
        const c = cols.get(symbol)!;
        if (i < c.length) t = Math.min(t, c.timestamp[i]!);
      }
      if (t === Infinity) return null;
      const out: Array<{ symbol: string; index: number }> = [];
      for (const [symbol, i] of positions) {
        const c = cols.get(symbol)!;
        if (i < c.length && c.timestamp[i] === t) {
          out.push({ symbol, index: i });
          positions.set(symbol, i + 1);
        }
      }
      return out;
    },
  };
}

/**
 * ccxt's OperationFailed family: network errors, timeouts, rate limits, "server busy" answers.
 * Matched by class name along the prototype chain, because a loader may give this module and the
 * exchange client different copies of ccxt (so `instanceof` would miss).
 */
function isTransientExchangeError(error: unknown): boolean {
  for (let p: unknown = error; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'OperationFailed') return true;
  }
  return false;
}

/** Tries of a fresh live run's first request (pauses 1, 2, 4, 8 s between them) before it fails. */
const FIRST_LOAD_ATTEMPTS = 5;

/** Exchange feed through ccxt: REST polling for candles that have closed since the last one seen. */
async function ccxtFeed(job: LiveJob): Promise<Feed> {
  // Loaded only by live runs: ccxt takes a while to import, and backtests never need it.
  const { createExchangeClient } = await import('../market/exchange-client');
  const exchange = createExchangeClient(job.request.exchangeName, job.exchangeApiUrl ? { apiUrl: job.exchangeApiUrl } : {});
  const interval = job.request.interval;
  const candleMs = INTERVAL_MS[interval];
  const pollMs = job.pollMs ?? Math.min(candleMs, 10_000);
  const cols = new Map<string, CandleColumns>();
  const positions = new Map<string, number>();
  /**
   * An exchange outage or rate-limit refusal must not end a live run: the request is retried with
   * a growing pause (capped at a minute) until the exchange answers; other errors fail the run.
   */
  const fetchOhlcv = async (symbol: string, from: number | undefined, attempts = Infinity): Promise<number[][]> => {
    for (let pause = Math.min(pollMs, 1_000), tries = 1; ; pause = Math.min(pause * 2, 60_000), tries++) {
      try {
        return (await exchange.fetchOHLCV(symbol, interval, from, PAGE)) as number[][];
      } catch (error) {
        if (!isTransientExchangeError(error) || tries >= attempts) {
          // The symbol in the message: "binance does not have market symbol X" does, a network error does not.
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(message.includes(symbol) ? message : `${symbol}: ${message}`, { cause: error });
        }
        await sleep(pause);
      }
    }
  };
  /** Appends the closed candles from `since` on, page by page until caught up; returns how many. */
  const fetchClosed = async (symbol: string, since?: number, attempts?: number): Promise<number> => {
    let added = 0;
    for (let from = since; ; ) {
      const rows = await fetchOhlcv(symbol, from, attempts);
      let c = cols.get(symbol) ?? allocateColumns(1024);
      const last = c.length > 0 ? c.timestamp[c.length - 1]! : -Infinity;
      for (const [timestamp, open, high, low, close, volume] of rows) {
        if (timestamp! <= last || timestamp! + candleMs > Date.now()) continue; // already seen, or still forming
        c = appendCandle(c, { timestamp: timestamp!, open: open!, high: high!, low: low!, close: close!, volume: volume ?? 0 });
        added++;
      }
      cols.set(symbol, c);
      // Without `since` the exchange answers with its latest page: that is all the warm-up there is.
      if (from === undefined || rows.length < PAGE || c.length === 0) return added;
      const next = c.timestamp[c.length - 1]! + candleMs;
      if (next <= from) return added;
      from = next;
    }
  };
  for (const symbol of job.request.symbols) {
    const cursor = job.cursors[symbol];
    // Fresh start: the latest page only warms the indicators up. Resume: from a warm-up window
    // before the checkpoint, catching up on every candle that closed while the app was stopped.
    // A fresh start that cannot reach the exchange at all fails (with the reason) instead of
    // showing "Running 0%" forever; a resumed run waits out an outage as before.
    await fetchClosed(symbol, cursor === undefined ? undefined : cursor - WARMUP_CANDLES * candleMs, cursor === undefined ? FIRST_LOAD_ATTEMPTS : undefined);
    const c = cols.get(symbol)!;
    positions.set(symbol, cursor === undefined ? c.length : lowerBound(c, cursor + 1));
  }
  return {
    columns: (symbol) => cols.get(symbol)!,
    total: 0,
    processedBase: 0,
    async next() {
      for (;;) {
        const out: Array<{ symbol: string; index: number }> = [];
        for (const [symbol, i] of positions) {
          if (i < cols.get(symbol)!.length) {
            out.push({ symbol, index: i });
            positions.set(symbol, i + 1);
          }
        }
        if (out.length > 0) return out;
        await sleep(pollMs);
        for (const symbol of job.request.symbols) {
          const c = cols.get(symbol)!;
          await fetchClosed(symbol, c.length > 0 ? c.timestamp[c.length - 1]! + candleMs : Date.now() - PAGE * candleMs);
        }
      }
    },
  };
}

/**
 * Serves jobs on a worker port, one after another (the run manager keeps finished workers warm for
 * the next job). Failures, a throwing strategy included, become a `failed` message.
 */
export function serveWorker(port: WorkerPort, options: WorkerOptions = {}): void {
  let nextRpc = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const cancels = new Set<string>();
  const jobs: WorkerJob[] = [];
  let busy = false;
  const rpc: RawAccess = (subsystem, method, key, value) =>
    new Promise((resolve, reject) => {
      const id = nextRpc++;
      waiting.set(id, { resolve, reject });
      port.post({ type: 'rpc', id, subsystem, method, key, value });
    });
  const drain = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      cancels.clear();
      // A stuck strategy blocks this timer too: that silence is what the watchdog detects.
      const heartbeat = setInterval(() => port.post({ type: 'heartbeat' }), HEARTBEAT_MS);
      try {
        if (job.kind === 'backtest') await runBacktest(job, port, rpc, options);
        else await runLive(job, port, rpc, cancels, options);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        port.post({ type: 'failed', error: e.message, stack: e.stack, symbol: job.kind === 'backtest' ? job.symbol : undefined });
      } finally {
        clearInterval(heartbeat);
      }
    }
    busy = false;
  };
  port.onMessage((m) => {
    if (m.type === 'start') {
      jobs.push(m.job);
      void drain();
    } else if (m.type === 'rpc-result') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.value ?? null);
    } else if (m.type === 'cancel-signal') cancels.add(m.symbol);
  });
  port.post({ type: 'heartbeat' }); // loaded: from here on the watchdog expects regular signs of life
}
