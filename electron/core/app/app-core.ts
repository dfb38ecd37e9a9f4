import { mkdirSync } from 'node:fs';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import { ContractFailure } from '../../../shared/contract/result';
import type { ConnectionManager } from '../db/connection-manager';
import { maskSecretsIn } from '../db/connection-string';
import { AppLog } from './app-log';
import { loadConfig, type AppConfig } from './config';
import { DatabaseHub } from './database-hub';
import { createDispatcher, type Dispatch, type Handlers } from './dispatcher';
import { AppEventBus } from './event-bus';
import type { CoreParts, Emit } from './ports';
import { SettingsStore } from './settings-store';

export interface CoreContext {
  config: AppConfig;
  emit: Emit;
  log: AppLog;
  settings: SettingsStore;
  /** The current database, if any; changes when the user switches or it is lost. */
  database(): ConnectionManager | undefined;
}

/** Builds the engine, market-data and persistence parts; see core-parts.ts. */
export type PartsFactory = (ctx: CoreContext) => Promise<CoreParts> | CoreParts;

export interface AppCoreOptions {
  config?: Partial<AppConfig>;
  parts?: PartsFactory;
  /** Per-candidate database connect budget. */
  connectTimeoutMs?: number;
  /** Echo log lines to stderr (off in tests). */
  echoLog?: boolean;
  /** An event bus created earlier (Electron opens its window and IPC before the core is ready). */
  bus?: AppEventBus;
}

export interface AppCore {
  config: AppConfig;
  bus: AppEventBus;
  dispatch: Dispatch;
  log: AppLog;
  settings: SettingsStore;
  database: DatabaseHub;
  databaseStatus(): DatabaseStatus;
  /** Stops runs, flushes the outage spool, closes the database and stops the embedded server. */
  shutdown(): Promise<void>;
}

function unavailable(part: string): never {
  throw new ContractFailure('unavailable', `${part} is not available: it failed to start (see Logs)`);
}

/** The composition root in plain Node, shared by the Electron main process and the headless host. */
export async function createAppCore(options: AppCoreOptions = {}): Promise<AppCore> {
  const config = loadConfig(options.config);
  mkdirSync(config.dataDir, { recursive: true });
  const bus = options.bus ?? new AppEventBus();
  const log = new AppLog(bus.emit, 2000, options.echoLog === false ? () => undefined : undefined);
  const settings = new SettingsStore(config.settingsFile);
  if (settings.loadProblem) log.warn(settings.loadProblem, 'settings');

  const database = new DatabaseHub({
    config,
    settingsConnectionString: settings.raw.connectionString,
    connectTimeoutMs: options.connectTimeoutMs,
    log: (level, message) => log.write(level, message, 'database'),
  });

  const ctx: CoreContext = { config, emit: bus.emit, log, settings, database: () => database.connection };
  let parts: CoreParts = {};
  try {
    parts = (await options.parts?.(ctx)) ?? {};
  } catch (error) {
    log.error(`core services failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}`, 'core');
  }

  if (parts.logSink) log.attachSink(parts.logSink);

  const spool = (): DatabaseStatus['spool'] => parts.spool?.buffering() ?? { buffering: 0 };
  const databaseStatus = (): DatabaseStatus => database.status(spool());
  database.onManager((manager) => parts.attachDatabase?.(manager));
  database.onChange(() => bus.emit('database.status', databaseStatus()));
  await database.start();

  // The spool count changes without a connection event; publish it when it does.
  let lastBuffering = -1;
  const spoolWatch = setInterval(() => {
    const now = spool().buffering;
    if (now !== lastBuffering) {
      lastBuffering = now;
      bus.emit('database.status', databaseStatus());
    }
  }, 500);
  spoolWatch.unref();

  const handlers: Handlers = {
    'runs.start': (r) => (parts.runs ?? unavailable('The run engine')).start(r),
    'runs.stop': (r) => (parts.runs ?? unavailable('The run engine')).stop(r),
    'runs.list': (r) => (parts.runs ?? unavailable('The run engine')).list(r),
    'runs.get': (r) => (parts.runs ?? unavailable('The run engine')).get(r),
    'candles.symbols': (r) => (parts.candles ?? unavailable('Candle history')).symbols(r),
    'candles.query': (r) => (parts.candles ?? unavailable('Candle history')).query(r),
    'candles.chart': (r) => (parts.candles ?? unavailable('Candle history')).chart(r),
    'candles.page': (r) => (parts.candles ?? unavailable('Candle history')).page(r),
    'candles.import': (r) => (parts.candles ?? unavailable('Candle import')).import(r),
    'candles.download': (r) => (parts.candles ?? unavailable('Candle download')).download(r),
    'candles.gaps': (r) => (parts.candles ?? unavailable('Candle coverage')).gaps(r),
    'notifications.list': (r) => (parts.notifications ?? unavailable('The notification inbox')).list(r),
    'notifications.markRead': (r) => (parts.notifications ?? unavailable('The notification inbox')).markRead(r),
    'notifications.unreadCount': (r) => (parts.notifications ?? unavailable('The notification inbox')).unreadCount(r),
    'state.get': (r) => (parts.state ?? unavailable('Run state')).get(r),
    'matrix.get': (r) => (parts.matrix ?? unavailable('The adapter matrix')).get(r),
    'database.status': async () => {
      await database.ping();
      return { ...databaseStatus(), collections: await database.collectionCounts().catch(() => []) };
    },
    'database.test': async ({ connectionString }) => DatabaseHub.test(connectionString),
    'database.connect': async (target) => {
      const choice = target.embedded ? { embedded: true as const } : { connectionString: target.connectionString! };
      const failure = await database.switchTo(choice);
      if (failure) throw new ContractFailure('unavailable', `cannot connect: ${failure}`);
      if ('connectionString' in choice) settings.update({ connectionString: choice.connectionString });
      return databaseStatus();
    },
    'strategies.list': (r) => (parts.strategies ?? unavailable('The strategy catalogue')).list(r),
    'settings.get': async () => settings.masked,
    'settings.set': async (patch) => {
      const next = settings.update(patch);
      log.info(`settings changed: ${Object.keys(patch).join(', ')}`, 'settings');
      return next;
    },
    'logs.tail': async ({ limit, level }) => (parts.logs ? parts.logs.tail({ limit, level }) : { lines: log.tail(limit, level) }),
    'bots.list': (r) => (parts.bots ?? unavailable('The Bots view')).list(r),
    'bots.get': (r) => (parts.bots ?? unavailable('The Bots view')).get(r),
  };
  const dispatch = createDispatcher(handlers, (channel, error) =>
    log.error(`${channel} failed: ${maskSecretsIn(error instanceof Error ? error.stack ?? error.message : String(error))}`, 'dispatch'),
  );

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (shuttingDown ??= (async () => {
      clearInterval(spoolWatch);
      const step = async (what: string, fn: (() => Promise<void> | void) | undefined): Promise<void> => {
        try {
          await fn?.();
        } catch (error) {
          log.error(`shutdown: ${what} failed: ${error instanceof Error ? error.message : String(error)}`, 'shutdown');
        }
      };
      await step('stopping runs', parts.runs && (() => parts.runs!.stopAll()));
      await step('flushing the spool', parts.spool && (() => parts.spool!.flush()));
      await step('closing services', parts.close && (() => parts.close!()));
      await step('closing the database', () => database.close());
    })());

  return { config, bus, dispatch, log, settings, database, databaseStatus, shutdown };
}
