import type { InvokeChannel, ParsedRequestOf, ResponseOf } from '../../../shared/contract/channels';
import type { EventName, EventPayload } from '../../../shared/contract/events';
import type { ConnectionManager } from '../db/connection-manager';
import type { LogLevel, LogLine, LogSubject } from '../../../shared/contract/domain';

/**
 * The narrow surface the app shell needs from each core part (engine, market data, persistence).
 * Each part is wired in app-services.ts; a part that is absent answers `unavailable`, so the
 * shell runs (and backtests work) even when, say, no database could be had.
 */
export type Handler<C extends InvokeChannel> = (request: ParsedRequestOf<C>, context?: RequestContext) => Promise<ResponseOf<C>>;

/** Per request: `signal` aborts when the client disconnects or cancels; long work (imports, downloads) stops on it. */
export interface RequestContext {
  signal?: AbortSignal;
}

export interface RunsPort {
  start: Handler<'runs.start'>;
  stop: Handler<'runs.stop'>;
  list: Handler<'runs.list'>;
  get: Handler<'runs.get'>;
  rename: Handler<'runs.rename'>;
  delete: Handler<'runs.delete'>;
  /** Stops every run; called on shutdown. */
  stopAll(): Promise<void>;
}

export interface CandlesPort {
  symbols: Handler<'candles.symbols'>;
  query: Handler<'candles.query'>;
  chart: Handler<'candles.chart'>;
  page: Handler<'candles.page'>;
  import: Handler<'candles.import'>;
  download: Handler<'candles.download'>;
  gaps: Handler<'candles.gaps'>;
  export: Handler<'candles.export'>;
  exportChunk: Handler<'candles.exportChunk'>;
  delete: Handler<'candles.delete'>;
  backfill: Handler<'candles.backfill'>;
  derived: Handler<'candles.derived'>;
}

export interface NotificationsPort {
  list: Handler<'notifications.list'>;
  markRead: Handler<'notifications.markRead'>;
  unreadCount: Handler<'notifications.unreadCount'>;
}

export interface StatePort {
  get: Handler<'state.get'>;
}

export interface MatrixPort {
  get: Handler<'matrix.get'>;
}

export interface StrategiesPort {
  list: Handler<'strategies.list'>;
}

export interface LogsPort {
  tail: Handler<'logs.tail'>;
}

/** backtest-kit bots found in the database (electron/core/bots). */
/** Parameter sweeps and strategy comparisons (electron/core/app/parts/optimize-part.ts). */
export interface OptimizePort {
  start: Handler<'optimize.start'>;
  stop: Handler<'optimize.stop'>;
  resume: Handler<'optimize.resume'>;
  list: Handler<'optimize.list'>;
  get: Handler<'optimize.get'>;
  trials: Handler<'optimize.trials'>;
}

export interface BotsPort {
  list: Handler<'bots.list'>;
  get: Handler<'bots.get'>;
}

/** Where core parts publish events; the app's bus numbers them and hands them to the transports. */
/** Where the app log's lines are stored (the Log subsystem), once persistence is up. */
export type LogSink = (input: { level: LogLevel; message: string; source?: string; subject?: LogSubject; data?: Record<string, unknown> }) => Promise<LogLine>;

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Live-mode writes held while MongoDB is unreachable (the persistence layer's outage spool). */
export interface SpoolPort {
  buffering(): { buffering: number; oldestAt?: number };
  /** Writes everything held to the database; called on shutdown and after a reconnect. */
  flush(): Promise<void>;
}

export interface CoreParts {
  runs?: RunsPort;
  candles?: CandlesPort;
  notifications?: NotificationsPort;
  state?: StatePort;
  matrix?: MatrixPort;
  strategies?: StrategiesPort;
  logs?: LogsPort;
  bots?: BotsPort;
  optimize?: OptimizePort;
  spool?: SpoolPort;
  /** Appends the app's own log lines to the JSONL log (then `logs` reads them back). */
  logSink?: LogSink;
  /** Called when the database changes (connected, switched, lost for good); parts rebind their services. */
  attachDatabase?(manager: ConnectionManager | undefined): Promise<void> | void;
  close?(): Promise<void>;
}
