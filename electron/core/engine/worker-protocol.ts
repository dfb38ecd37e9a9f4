import type { RunNotification, RunRequest, RunTally, SignalRow, SignalTransition } from '../../../shared/domain/runs';
import type { SymbolResult } from './symbol-result';

/** Messages between the run manager (main thread) and a run worker. */

export interface BacktestJob {
  kind: 'backtest';
  runId: string;
  request: RunRequest;
  frameName: string;
  symbol: string;
  /** Packed candle columns (CandleCache); the worker never opens MongoDB. */
  cacheFile: string;
  strategiesDir?: string;
  /** Candles per chunk between progress reports (also the watchdog's heartbeat). */
  chunkSize?: number;
}

export interface LiveJob {
  kind: 'paper' | 'live';
  runId: string;
  request: RunRequest;
  frameName: string;
  strategiesDir?: string;
  /** Paper replay: one cache file per symbol. */
  cacheFiles?: Record<string, string>;
  /** Resume: last fully processed candle time (open time) per symbol. */
  cursors: Record<string, number>;
  /** Resume: signals that were pending at the cursor, per symbol. */
  pending: Record<string, SignalRow>;
  /** Live: how often to poll the exchange for closed candles. */
  pollMs?: number;
  /** Live: the exchange's REST base URL instead of its own (a proxy, a mirror, the fake exchange in tests). */
  exchangeApiUrl?: string;
}

export type WorkerJob = BacktestJob | LiveJob;

export type EngineEvent =
  | { type: 'signal'; at: number; transition: SignalTransition; signal: SignalRow }
  | { type: 'notification'; at: number; notification: RunNotification }
  | { type: 'state'; at: number; subsystem: 'session' | 'state' | 'memory'; symbol?: string; signalId?: string; bucketName?: string; memoryId?: string; value: unknown };

export type RpcSubsystem = 'session' | 'state' | 'memory';

export type ToWorker =
  | { type: 'start'; job: WorkerJob }
  | { type: 'rpc-result'; id: number; value?: unknown; error?: string }
  | { type: 'cancel-signal'; symbol: string };

export type FromWorker =
  /** `tally`: a backtest symbol's trades closed so far (its rows come only with `done`). */
  | { type: 'events'; events: EngineEvent[]; processed: number; total: number; cursors?: Record<string, number>; tally?: RunTally }
  | { type: 'heartbeat' }
  | { type: 'rpc'; id: number; subsystem: RpcSubsystem; method: 'get' | 'set'; key: Record<string, string | boolean>; value?: unknown }
  /** `result`: a backtest job's rows, trades and statistics (symbol-result.ts), computed in the worker. */
  | { type: 'done'; processed: number; result?: SymbolResult }
  | { type: 'failed'; error: string; stack?: string; symbol?: string };
