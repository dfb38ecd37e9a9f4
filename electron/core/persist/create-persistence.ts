import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import type { Notification } from '../../../shared/domain/notifications';
import { SUBSYSTEMS, type AdapterName, type EffectiveAdapter, type PersistMode, type Subsystem } from '../../../shared/domain/persist-matrix';
import type { ConnectionManager } from '../db/connection-manager';
import type { FileOps } from './atomic-file';
import type { ContextKey, PersistAdapter } from './contract';
import { DummyAdapter } from './adapters/dummy-adapter';
import { FileAdapter } from './adapters/file-adapter';
import { JsonlAdapter } from './adapters/jsonl-adapter';
import { MemoryAdapter } from './adapters/memory-adapter';
import { MongoAdapter } from './adapters/mongo-adapter';
import { assertConnectionAvailable, DEFAULT_PERSIST_CONFIG, effectiveMatrix, MatrixConfigError, type MatrixOverrides, type PersistConfig } from './matrix-config';
import { fileStemFor } from './file-names';
import { KeyValueService } from './services/key-value-service';
import { LogService } from './services/log-service';
import { NotificationService } from './services/notification-service';
import { RecentService } from './services/recent-service';
import { StorageService } from './services/storage-service';
import { SharedResources } from './shared-resources';
import { WriteSpool } from './spool';
import { SpoolingAdapter, SpoolReplayer } from './spooling-adapter';
import {
  SUBSYSTEM_DEFS,
  subsystemDef,
  type DumpKey,
  type JsonValue,
  type MemoryKey,
  type ReportKey,
  type SessionKey,
  type StateKey,
  type SubsystemDef,
} from './subsystems';
import { TypedStore } from './typed-store';

export interface CreatePersistenceOptions {
  mode: PersistMode;
  runId?: string;
  /** Needed whenever the matrix uses the mongodb adapter (live mode by default). */
  connection?: ConnectionManager;
  /** The app's data directory; everything local lives under `<dataDir>/persist/`. */
  dataDir: string;
  /** Cells this run overrides on top of the configuration. */
  overrides?: MatrixOverrides;
  /** Defaults to DEFAULT_PERSIST_CONFIG; load one with persistConfigFromEnv / persistConfigFromFile. */
  config?: PersistConfig;
  /** Substitute file-system calls for the atomic writer (fault-injection tests). */
  fileOps?: FileOps;
}

export interface SpoolStatus {
  pending: number;
  /** "buffering N writes", or "all writes stored" once the spool is empty. */
  message: string;
  /** When the oldest buffered write was made (ms since the epoch). */
  oldestAt?: number;
}

function spoolStatusOf(spool: WriteSpool | undefined): SpoolStatus {
  const pending = spool?.size ?? 0;
  const oldestAt = spool?.oldestAt;
  return {
    pending,
    message: pending === 0 ? 'all writes stored' : `buffering ${pending} write${pending === 1 ? '' : 's'}`,
    ...(oldestAt !== undefined && pending > 0 ? { oldestAt } : {}),
  };
}

export interface PersistenceEvents {
  /** The outage spool's size changed (live mode with MongoDB only). */
  spool: [SpoolStatus];
  /** A notification was appended; stream it to the UI. */
  notification: [Notification];
  /** A buffered write MongoDB refused for good during replay (kept in the .rejected.jsonl file). */
  'spool-rejected': [{ subsystem: Subsystem; key: ContextKey; reason: string }];
}

export type SessionService = KeyValueService<SessionKey, JsonValue>;
export type MemoryService = KeyValueService<MemoryKey, JsonValue>;
export type StateService = KeyValueService<StateKey, JsonValue>;
export type DumpService = KeyValueService<DumpKey, string>;
export type ReportService = KeyValueService<ReportKey, string>;

export interface Persistence {
  readonly mode: PersistMode;
  readonly runId: string | undefined;
  /** Which adapter each subsystem uses, and why (what the UI shows). */
  readonly matrix: EffectiveAdapter[];
  readonly session: SessionService;
  readonly storage: StorageService;
  readonly recent: RecentService;
  readonly notifications: NotificationService;
  readonly memory: MemoryService;
  readonly state: StateService;
  readonly dump: DumpService;
  readonly markdown: ReportService;
  readonly log: LogService;
  readonly events: EventEmitter<PersistenceEvents>;
  /** Writes waiting in the outage spool (0 when there is none). */
  spoolSize(): number;
  /** The spool as the UI shows it: count, message, age of the oldest write. */
  spoolStatus(): SpoolStatus;
  /** Resolves true once the spool is empty; false if it is not within the timeout. */
  flushSpool(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

interface SpoolHandle {
  spool: WriteSpool;
  replayer: SpoolReplayer;
}

/** How long `close()` waits for notifications still being written. */
const CLOSE_WAIT_MS = 10_000;

const spools = new SharedResources<SpoolHandle>(async ({ spool, replayer }) => {
  replayer.stop();
  await spool.close();
});
const jsonlFiles = new SharedResources<JsonlAdapter<ContextKey, unknown>>((adapter) => adapter.close());

export function persistRoot(dataDir: string): string {
  return join(resolve(dataDir), 'persist');
}

/** Where live mode buffers MongoDB writes during an outage. */
export function spoolPath(dataDir: string): string {
  return join(persistRoot(dataDir), 'spool', 'mongodb-writes.jsonl');
}

/** MongoDB adapters for every subsystem, used to replay spooled writes whatever the current matrix says. */
function replayTargets(connection: ConnectionManager): Map<Subsystem, PersistAdapter<ContextKey, unknown>> {
  const targets = new Map<Subsystem, PersistAdapter<ContextKey, unknown>>();
  for (const name of SUBSYSTEMS) targets.set(name, new MongoAdapter(() => connection.connection, subsystemDef(name)));
  return targets;
}

/**
 * Builds the typed services of one mode or run from the adapter matrix. Validates the matrix first
 * (a bad override or a mongodb cell without a connection fails here, with its message).
 */
export async function createPersistence(options: CreatePersistenceOptions): Promise<Persistence> {
  if (typeof options.dataDir !== 'string' || options.dataDir.trim() === '') {
    throw new MatrixConfigError(`${options.mode} mode`, ['dataDir: a data directory is required for local files, the log and the outage spool']);
  }
  const config = options.config ?? DEFAULT_PERSIST_CONFIG;
  const matrix = effectiveMatrix({ mode: options.mode, overrides: options.overrides }, config);
  assertConnectionAvailable(matrix, options.mode, options.connection !== undefined);
  const adapterOf = (subsystem: Subsystem): AdapterName => matrix.find((m) => m.subsystem === subsystem)!.adapter;

  const root = persistRoot(options.dataDir);
  const events = new EventEmitter<PersistenceEvents>();
  const cleanups: Array<() => Promise<void>> = [];
  const connection = options.connection;

  let spoolHandle: SpoolHandle | undefined;
  const needsSpool = options.mode === 'live' && connection !== undefined && matrix.some((m) => m.adapter === 'mongodb');
  if (needsSpool) {
    const path = spoolPath(options.dataDir);
    spoolHandle = await spools.acquire(path, async () => {
      const spool = await WriteSpool.open(path);
      return { spool, replayer: new SpoolReplayer(spool, connection, replayTargets(connection)) };
    });
    const { spool } = spoolHandle;
    const onSize = (): void => {
      events.emit('spool', spoolStatusOf(spool));
    };
    const onRejected = (entry: { subsystem: Subsystem; key: ContextKey }, reason: string): void => {
      events.emit('spool-rejected', { subsystem: entry.subsystem, key: entry.key, reason });
    };
    spool.on('size', onSize);
    spool.on('rejected', onRejected);
    cleanups.push(async () => {
      spool.off('size', onSize);
      spool.off('rejected', onRejected);
      await spools.release(path);
    });
  }

  async function adapterFor<K extends ContextKey, V>(def: SubsystemDef<K, V>): Promise<TypedStore<K, V>> {
    const dir = join(root, def.name);
    let adapter: PersistAdapter<K, V>;
    switch (adapterOf(def.name)) {
      case 'mongodb': {
        const mongo = new MongoAdapter<K, V>(() => connection!.connection, def);
        adapter = spoolHandle ? new SpoolingAdapter(def, mongo, spoolHandle.spool, connection!) : mongo;
        break;
      }
      case 'local-file':
        adapter = await FileAdapter.open<K, V>(def, { dir, format: 'json', fileOps: options.fileOps });
        break;
      case 'markdown':
        adapter = await FileAdapter.open<K, V>(def, { dir, format: 'markdown', fileOps: options.fileOps });
        break;
      case 'in-memory':
        adapter = new MemoryAdapter<K, V>(def);
        break;
      case 'dummy':
        adapter = new DummyAdapter<K, V>();
        break;
      case 'jsonl': {
        // A run id is user-influenced text: encode it like any key so it cannot leave the log directory.
        const file = join(dir, `${fileStemFor(['name'], { name: options.runId ?? options.mode }).stem}.jsonl`);
        const shared = await jsonlFiles.acquire(file, async () => (await JsonlAdapter.open(def, { file, ...config.log })) as JsonlAdapter<ContextKey, unknown>);
        cleanups.push(() => jsonlFiles.release(file));
        const typed = new TypedStore(def, shared as unknown as PersistAdapter<K, V>);
        // The shared file is closed by its last user, not by this persistence.
        return typed;
      }
    }
    cleanups.push(() => adapter.close());
    return new TypedStore(def, adapter);
  }

  try {
    const backtest = options.mode === 'backtest';
    const notifications = new NotificationService(await adapterFor(SUBSYSTEM_DEFS.notification), { backtest, runId: options.runId });
    notifications.on('notification', (n) => events.emit('notification', n));
    const persistence: Persistence = {
      mode: options.mode,
      runId: options.runId,
      matrix,
      session: new KeyValueService(await adapterFor(SUBSYSTEM_DEFS.session)),
      storage: new StorageService(await adapterFor(SUBSYSTEM_DEFS.storage), config.storageCap[options.mode], backtest),
      recent: new RecentService(await adapterFor(SUBSYSTEM_DEFS.recent)),
      notifications,
      memory: new KeyValueService(await adapterFor(SUBSYSTEM_DEFS.memory)),
      state: new KeyValueService(await adapterFor(SUBSYSTEM_DEFS.state)),
      dump: new KeyValueService(await adapterFor(SUBSYSTEM_DEFS.dump)),
      markdown: new KeyValueService(await adapterFor(SUBSYSTEM_DEFS.markdown)),
      log: new LogService(await adapterFor(SUBSYSTEM_DEFS.log), { runId: options.runId }),
      events,
      spoolSize: () => spoolHandle?.spool.size ?? 0,
      spoolStatus: () => spoolStatusOf(spoolHandle?.spool),
      flushSpool: (timeoutMs) => spoolHandle?.replayer.drained(timeoutMs) ?? Promise.resolve(true),
      async close() {
        // A batch being written (or waiting) lands before its store closes, and is emitted: closing
        // must not turn an appended notification into a lost one. Bounded, so a stuck store cannot
        // hold a shutdown; a batch that fails is reported to whoever appended it.
        await Promise.race([notifications.drained(), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
        notifications.removeAllListeners();
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      },
    };
    return persistence;
  } catch (error) {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}
