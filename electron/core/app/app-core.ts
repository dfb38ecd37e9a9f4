import { mkdirSync, realpathSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { DatabaseStatus, InvokeChannel, Settings } from '../../../shared/contract/channels';
import { ContractFailure } from '../../../shared/contract/result';
import type { ConnectionManager } from '../db/connection-manager';
import { maskSecretsIn } from '../db/connection-string';
import { AppLog } from './app-log';
import { loadConfig, type AppConfig } from './config';
import { DatabaseHub } from './database-hub';
import { createDispatcher, type Dispatch, type Handlers } from './dispatcher';
import { AppEventBus } from './event-bus';
import type { CoreParts, Emit } from './ports';
import { FileSecretStore, type SecretStore } from './secret-store';
import { SettingsStore } from './settings-store';
import { UploadStore } from './uploads';

export interface CoreContext {
  config: AppConfig;
  emit: Emit;
  log: AppLog;
  settings: SettingsStore;
  /** Files sent by clients, waiting for their import. */
  uploads: UploadStore;
  /** The user's strategies folder (host configuration, else the desktop dialog's choice), if any. */
  strategiesDir(): string | undefined;
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
  /** Where the saved connection string is kept: Electron passes one backed by safeStorage; default a 0600 file. */
  secrets?: SecretStore;
  /**
   * How long creating the core waits for the first database search before it returns and the
   * search goes on in the background (a saved URI that no longer answers must not delay start-up).
   */
  databaseWaitMs?: number;
}

export interface AppCore {
  config: AppConfig;
  bus: AppEventBus;
  dispatch: Dispatch;
  log: AppLog;
  settings: SettingsStore;
  database: DatabaseHub;
  /** Resolves when the first database search has finished (found one or gave up). */
  databaseReady: Promise<void>;
  /** Files sent by clients (the host's HTTP upload endpoint calls `uploads.receive`). */
  uploads: UploadStore;
  databaseStatus(): DatabaseStatus;
  /** The desktop app's "Choose strategies folder…" dialog; never reachable from the contract. */
  setStrategiesDir(dir: string | undefined): void;
  /** Stops runs, flushes the outage spool, closes the database and stops the embedded server. */
  shutdown(): Promise<void>;
}

/** How long after start a request waits for the first database search, at most. */
const START_GRACE_MS = 3000;
/** Channels answered without waiting for the database. */
const WITHOUT_DATABASE = new Set<InvokeChannel>(['database.status', 'database.test', 'database.connect', 'settings.get', 'settings.set', 'logs.tail', 'strategies.list']);

/** The folder with its symlinks resolved when it exists (a link into the uploads folder is the uploads folder). */
function realOrResolved(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** True when one folder is the other or lies inside it. */
function overlaps(a: string, b: string): boolean {
  const inside = (child: string, parent: string): boolean => {
    const rel = relative(parent, child);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  return inside(a, b) || inside(b, a);
}

function unavailable(part: string): never {
  throw new ContractFailure('unavailable', `${part} is not available: it failed to start (see Logs)`);
}

/** The composition root in plain Node, shared by the Electron main process and the headless host. */
export async function createAppCore(options: AppCoreOptions = {}): Promise<AppCore> {
  const startedAt = Date.now();
  const config = loadConfig(options.config);
  mkdirSync(config.dataDir, { recursive: true });
  // The default import folder exists from the start, so users have a place to drop files for path imports.
  const defaultImports = join(config.dataDir, 'imports');
  if (config.importDirs.includes(defaultImports)) mkdirSync(defaultImports, { recursive: true });
  const bus = options.bus ?? new AppEventBus();
  const log = new AppLog(bus.emit, 2000, options.echoLog === false ? () => undefined : undefined);
  const secrets = options.secrets ?? new FileSecretStore(join(config.dataDir, 'secrets.json'));
  if (secrets instanceof FileSecretStore && secrets.loadProblem) log.warn(secrets.loadProblem, 'settings');
  const settings = new SettingsStore(config.settingsFile, secrets);
  if (settings.loadProblem) log.warn(settings.loadProblem, 'settings');
  if (!secrets.encrypted && settings.raw.connectionString !== undefined) {
    log.warn(`the saved connection string is kept in ${secrets.description}: anyone who can read your files can read it`, 'settings');
  }
  const uploads = new UploadStore({ dir: config.uploadsDir, log: (level, message) => log.write(level, message, 'uploads') });

  // The app loads and runs every module in the strategies folder: it may never be (or hold, or
  // lie in) the folder where clients' uploads are written.
  let warnedClash: string | undefined;
  const strategiesDir = (): string | undefined => {
    const dir = config.strategiesDir ?? settings.raw.strategiesDir;
    if (!dir) return undefined;
    if (overlaps(realOrResolved(dir), realOrResolved(config.uploadsDir))) {
      if (warnedClash !== dir) log.error(`the strategies folder ${dir} overlaps ${config.uploadsDir}, where clients' uploads are written; no strategies are loaded from it`, 'settings');
      warnedClash = dir;
      return undefined;
    }
    return resolve(dir);
  };

  const database = new DatabaseHub({
    config,
    settingsConnectionString: settings.raw.connectionString,
    secrets,
    connectTimeoutMs: options.connectTimeoutMs,
    log: (level, message) => log.write(level, message, 'database'),
  });

  const ctx: CoreContext = { config, emit: bus.emit, log, settings, uploads, strategiesDir, database: () => database.connection };
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
  // The search may take long (a saved URI that stopped answering costs its whole connect budget):
  // wait a moment so a quick database is there for the first request, then go on without it.
  const databaseReady = database.start().then(
    () => undefined,
    (error: unknown) => log.error(`database search failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`, 'database'),
  );
  await Promise.race([databaseReady, new Promise((r) => setTimeout(r, options.databaseWaitMs ?? 1000).unref())]);

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
    'runs.rename': (r) => (parts.runs ?? unavailable('The run engine')).rename(r),
    'runs.delete': (r) => (parts.runs ?? unavailable('The run engine')).delete(r),
    'candles.symbols': (r) => (parts.candles ?? unavailable('Candle history')).symbols(r),
    'candles.query': (r) => (parts.candles ?? unavailable('Candle history')).query(r),
    'candles.chart': (r) => (parts.candles ?? unavailable('Candle history')).chart(r),
    'candles.page': (r) => (parts.candles ?? unavailable('Candle history')).page(r),
    'candles.import': (r, ...context) => (parts.candles ?? unavailable('Candle import')).import(r, ...context),
    'candles.download': (r, ...context) => (parts.candles ?? unavailable('Candle download')).download(r, ...context),
    'candles.gaps': (r) => (parts.candles ?? unavailable('Candle coverage')).gaps(r),
    'candles.export': (r) => (parts.candles ?? unavailable('Candle export')).export(r),
    'candles.exportChunk': (r, ...context) => (parts.candles ?? unavailable('Candle export')).exportChunk(r, ...context),
    'candles.delete': (r) => (parts.candles ?? unavailable('Candle history')).delete(r),
    'candles.backfill': (r, ...context) => (parts.candles ?? unavailable('Candle download')).backfill(r, ...context),
    'candles.derived': (r) => (parts.candles ?? unavailable('Candle history')).derived(r),
    'notifications.list': (r) => (parts.notifications ?? unavailable('The notification inbox')).list(r),
    'notifications.markRead': (r) => (parts.notifications ?? unavailable('The notification inbox')).markRead(r),
    'notifications.unreadCount': (r) => (parts.notifications ?? unavailable('The notification inbox')).unreadCount(r),
    'state.get': (r) => (parts.state ?? unavailable('Run state')).get(r),
    'matrix.get': (r) => (parts.matrix ?? unavailable('The adapter matrix')).get(r),
    'database.status': async () => {
      await database.ping();
      // A database that needed migrating is looked at again (the user migrates from a terminal), briefly.
      await Promise.race([database.refreshLayout(), new Promise((r) => setTimeout(r, 3000).unref())]);
      return { ...databaseStatus(), collections: await database.collectionCounts().catch(() => []) };
    },
    'database.test': async ({ connectionString }) => database.test(connectionString),
    'database.connect': async (target) => {
      const choice = target.embedded ? { embedded: true as const } : { connectionString: target.connectionString! };
      const failure = await database.switchTo(choice);
      if (failure) throw new ContractFailure('unavailable', `cannot connect: ${failure}`);
      // Saved only once it answered; the embedded choice clears a saved URI so the next start finds it again.
      // The embedded server's address changes at every start: never save it.
      const saved = 'connectionString' in choice && !database.usesEmbedded ? choice.connectionString : undefined;
      settings.updateHostSide({ connectionString: saved });
      if (saved && !secrets.encrypted) log.warn(`the connection string is saved in ${secrets.description}: anyone who can read your files can read it`, 'settings');
      log.info(`database switched to ${databaseStatus().label}`, 'database');
      return databaseStatus();
    },
    'strategies.list': (r) => (parts.strategies ?? unavailable('The strategy catalogue')).list(r),
    'settings.get': async () => shownSettings(),
    'settings.set': async (patch) => {
      settings.update(patch);
      log.info(`settings changed: ${Object.keys(patch).join(', ')}`, 'settings');
      return shownSettings();
    },
    'logs.tail': async ({ limit, level }) => (parts.logs ? parts.logs.tail({ limit, level }) : { lines: log.tail(limit, level) }),
    'bots.list': (r) => (parts.bots ?? unavailable('The Bots view')).list(r),
    'bots.get': (r) => (parts.bots ?? unavailable('The Bots view')).get(r),
    'optimize.start': (r) => (parts.optimize ?? unavailable('Optimize')).start(r),
    'optimize.stop': (r) => (parts.optimize ?? unavailable('Optimize')).stop(r),
    'optimize.resume': (r) => (parts.optimize ?? unavailable('Optimize')).resume(r),
    'optimize.list': (r) => (parts.optimize ?? unavailable('Optimize')).list(r),
    'optimize.get': (r) => (parts.optimize ?? unavailable('Optimize')).get(r),
    'optimize.trials': (r) => (parts.optimize ?? unavailable('Optimize')).trials(r),
  };
  /** The settings as a client sees them: the connection string masked, the strategies folder in effect (read-only). */
  function shownSettings(): Settings {
    const shown = settings.masked;
    const dir = strategiesDir();
    if (dir) shown.strategiesDir = dir;
    else delete shown.strategiesDir;
    return shown;
  }

  // Just after start the database search may still be on its way (a slow first connect): requests
  // that need it wait for it, but never past START_GRACE_MS after start, so a database that is
  // down never holds a request for its whole connect budget.
  const graceEnds = startedAt + START_GRACE_MS;
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    if (WITHOUT_DATABASE.has(channel)) continue;
    const handler = handlers[channel] as (...args: unknown[]) => Promise<unknown>;
    (handlers as Record<string, (...args: unknown[]) => Promise<unknown>>)[channel] = async (...args) => {
      const wait = graceEnds - Date.now();
      if (wait > 0 && !database.connection) await Promise.race([databaseReady, new Promise((r) => setTimeout(r, wait).unref())]);
      return handler(...args);
    };
  }

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
      await step('deleting uploads', () => uploads.close());
    })());

  const setStrategiesDir = (dir: string | undefined): void => {
    settings.updateHostSide({ strategiesDir: dir });
    log.info(dir ? `strategies folder set to ${dir}` : 'strategies folder cleared', 'settings');
    if (config.strategiesDir) log.warn(`the host's configured strategies folder ${config.strategiesDir} still takes precedence`, 'settings');
  };

  return { config, bus, dispatch, log, settings, database, databaseReady, uploads, databaseStatus, setStrategiesDir, shutdown };
}
