import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { DatabaseSource, DatabaseStatus } from '../../../shared/contract/channels';
import { ConnectionManager, type DbState } from '../db/connection-manager';
import { ContractFailure } from '../../../shared/contract/result';
import { InvalidConnectionStringError, maskConnectionString, maskSecretsIn, parseConnectionString } from '../db/connection-string';
import ConnectionString from 'mongodb-connection-string-url';
import { checkCredentials, startWireServer, WIRE_SERVER_NAME, type RunningWireServer, type WireServerCredentials } from '../db/wire-server';
import { legacyLayoutCounts, type LegacyLayoutCounts } from '../persist/migration';
import { COMPOSE_HINT, type AppConfig } from './config';
import type { SecretStore } from './secret-store';

export const LOCALHOST_URI = 'mongodb://localhost:27017/backtest-kit?wtimeoutMS=15000';

/** The embedded server's one user (SCRAM-SHA-256, authSource=admin). */
export const EMBEDDED_USER = 'backtest-monitor';
/** The secret-store entry that holds the embedded server's password. */
export const EMBEDDED_PASSWORD_SECRET = 'embeddedDatabasePassword';

export interface DatabaseHubOptions {
  config: AppConfig;
  /** A connection string the user chose in Settings (after the environment, before localhost). */
  settingsConnectionString?: string;
  /** Per-candidate connect budget. */
  connectTimeoutMs?: number;
  /** How often to look for a database again while there is none. */
  retryMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** database.test answer time on failure (every failure takes exactly this long). */
  testTimeoutMs?: number;
  /** database.test calls allowed per minute. */
  testsPerMinute?: number;
  /** How a connected database is checked for documents in the previous layout (tests replace it). */
  layoutCheck?: (connection: ConnectionManager['connection']) => Promise<LegacyLayoutCounts>;
  /**
   * Keeps the embedded server's password, made once per data dir (the store lives there). Without
   * one (the command-line tools) the embedded server gets a new random password at every start.
   */
  secrets?: SecretStore;
}

/** A database that needed migrating is looked at again at most this often (the user migrates from a terminal). */
const LAYOUT_RECHECK_MS = 5000;

type Listener = (manager: ConnectionManager | undefined) => void | Promise<void>;

export interface DatabaseTestAnswer {
  ok: boolean;
  maskedUri: string;
  pingMs?: number;
  serverVersion?: string;
  error?: string;
}

/** The one answer for every network failure: refused, closed, not MongoDB, too slow. */
export function noServerAnswer(timeoutMs: number): string {
  return `no MongoDB server answered within ${Math.round(timeoutMs / 100) / 10} s (nothing listening, a closed or filtered port, another kind of server, or too slow)`;
}

/**
 * What a client is told about a failed connection: an invalid string or refused credentials are
 * the user's to fix and are said plainly; anything on the network gets one generic answer.
 */
export function publicFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof InvalidConnectionStringError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { codeName?: unknown; code?: unknown } | null)?.codeName ?? (error as { code?: unknown } | null)?.code;
  if (code === 'AuthenticationFailed' || code === 18 || /authentication failed|auth(entication)? error/i.test(message)) {
    return 'the server refused the user name or password';
  }
  return noServerAnswer(timeoutMs);
}

function isValidPassword(password: string): boolean {
  try {
    checkCredentials({ username: EMBEDDED_USER, password });
    return true;
  } catch {
    return false;
  }
}

/** Whether a (valid) connection string names a user. */
function hasUserName(uri: string): boolean {
  try {
    return new ConnectionString(uri.trim()).username !== '';
  } catch {
    return false;
  }
}

/** At most `limit` uses per `windowMs`; a burst beyond gets a plain "too many" error. */
class RateLimiter {
  private uses: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly what: string,
  ) {}
  take(now = Date.now()): void {
    this.uses = this.uses.filter((t) => now - t < this.windowMs);
    if (this.uses.length >= this.limit) {
      throw new ContractFailure('unavailable', `too many ${this.what}: at most ${this.limit} per ${Math.round(this.windowMs / 1000)} s; wait a little`);
    }
    this.uses.push(now);
  }
}

/** Resolves within `timeoutMs` to whether something accepts TCP connections there. */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Picks and owns the app's database: CC_MONGO_CONNECTION_STRING if set; else the one chosen in
 * Settings; else MongoDB on localhost:27017 if it answers; else the embedded wire-protocol server
 * with its data in `<dataDir>/mongo`; else none, and the status says how to start MongoDB.
 */
export class DatabaseHub {
  private source: DatabaseSource = 'none';
  private manager: ConnectionManager | undefined;
  private embedded: RunningWireServer | undefined;
  private label = 'no database';
  private reason: string | undefined;
  private lastPingMs: number | undefined;
  private since = Date.now();
  private readonly stateListeners = new Set<() => void>();
  private readonly managerListeners = new Set<Listener>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last failure of `use`, for the generic answer a client gets. */
  private lastUseError: unknown;
  /** The first search is running: the status says "connecting" instead of "no database". */
  private searching = false;
  /** Bumped by every switch the user makes; a search started before it adopts nothing. */
  private generation = 0;
  /** A connection attempt in progress, closed on shutdown so it does not outlive the app. */
  private connecting: ConnectionManager | undefined;
  private closed = false;
  private readonly testLimiter: RateLimiter;
  /** The previous-layout check of the current database: running, or its last answer. */
  private layout: { manager: ConnectionManager; result?: LegacyLayoutCounts; checkedAt: number; running?: Promise<void> } | undefined;
  /** The embedded server's password for this process (read or made once). */
  private embeddedPassword: string | undefined;

  constructor(private readonly options: DatabaseHubOptions) {
    this.testLimiter = new RateLimiter(options.testsPerMinute ?? 10, 60_000, 'connection tests');
  }

  get connection(): ConnectionManager | undefined {
    return this.manager;
  }

  get currentSource(): DatabaseSource {
    return this.source;
  }

  /** Fires on every status change (connection state, switch, ping). */
  onChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Fires when the connection object itself changes, so services can rebind. */
  onManager(listener: Listener): () => void {
    this.managerListeners.add(listener);
    return () => this.managerListeners.delete(listener);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  private changed(): void {
    this.since = Date.now();
    for (const listener of this.stateListeners) listener();
  }

  private async setManager(manager: ConnectionManager | undefined): Promise<void> {
    this.manager = manager;
    for (const listener of this.managerListeners) {
      try {
        await listener(manager);
      } catch (error) {
        this.log('error', `rebinding services to the database failed: ${maskSecretsIn(String(error))}`);
      }
    }
    this.changed();
  }

  /** Runs the search once at startup. Never throws: with no database the app still runs. */
  async start(): Promise<DatabaseStatus> {
    const { config } = this.options;
    this.searching = true;
    this.label = 'looking for a database…';
    this.changed();
    const generation = this.generation;
    const problems = await this.search(true).finally(() => {
      this.searching = false;
    });
    // Found one, or the user chose one meanwhile: nothing to tear down.
    if (problems === undefined || generation !== this.generation) return this.status();
    await this.stopEmbedded();
    this.source = config.envConnectionString ? 'env' : 'none';
    this.label = config.envConnectionString ? `MongoDB at ${maskConnectionString(config.envConnectionString)} (unreachable)` : 'no database';
    this.reason = problems.join('; ') || 'no database was found';
    this.log('warn', `running without a database: ${this.reason}; retrying every ${Math.round(this.retryMs / 1000)} s`);
    await this.setManager(undefined);
    this.scheduleRetry();
    return this.status();
  }

  private get retryMs(): number {
    return this.options.retryMs ?? 15_000;
  }

  /**
   * Without a database, looks again now and then (not for the embedded server, which would
   * always win): a MongoDB started later with the Compose command is picked up without a restart.
   */
  private scheduleRetry(): void {
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.search(false).then((problems) => {
        if (problems === undefined) this.log('info', `database is back: ${this.label}`);
        else if (!this.manager && !this.closed) this.scheduleRetry();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Tries the candidates in order; undefined on success, else why each failed. */
  private async search(withEmbedded: boolean): Promise<string[] | undefined> {
    const { config } = this.options;
    const candidates: Array<{ source: DatabaseSource; uri: () => Promise<string | undefined> }> = [];
    if (config.envConnectionString) {
      candidates.push({ source: 'env', uri: async () => config.envConnectionString });
    } else {
      if (this.options.settingsConnectionString) candidates.push({ source: 'custom', uri: async () => this.options.settingsConnectionString });
      if (config.probeLocalhost) {
        candidates.push({ source: 'localhost', uri: async () => ((await portAnswers('127.0.0.1', 27017)) ? LOCALHOST_URI : undefined) });
      }
      if (config.embedded && withEmbedded) candidates.push({ source: 'embedded', uri: () => this.startEmbedded() });
    }
    const problems: string[] = [];
    // A switch made meanwhile (Settings → Connect) wins over what this search finds.
    const generation = this.generation;
    for (const candidate of candidates) {
      if (generation !== this.generation) return undefined;
      let uri: string | undefined;
      try {
        uri = await candidate.uri();
      } catch (error) {
        problems.push(`${candidate.source}: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
        continue;
      }
      if (!uri) continue;
      const failure = await this.use(candidate.source, uri, generation);
      if (!failure) return undefined;
      problems.push(`${candidate.source}: ${failure}`);
      // The environment's choice is explicit: report its failure instead of silently using another database.
      if (candidate.source === 'env') break;
    }
    return problems;
  }

  /** True when every host of `uri` is the running embedded server (loopback, its port). */
  private pointsAtEmbedded(uri: string): boolean {
    if (!this.embedded) return false;
    let hosts: string[];
    try {
      hosts = parseConnectionString(uri).hosts;
    } catch {
      return false;
    }
    const port = String(this.embedded.port);
    return hosts.length > 0 && hosts.every((h) => ['127.0.0.1:' + port, 'localhost:' + port, '[::1]:' + port].includes(h.toLowerCase()));
  }

  /** Whether the current database is the embedded server. */
  get usesEmbedded(): boolean {
    return this.source === 'embedded' && this.manager !== undefined;
  }

  /**
   * Any local process can reach the embedded server's loopback port, so it requires a password:
   * random, made once and kept in the secret store (OS keychain in the desktop app, a 0600 file
   * headless). A store that could not be read is not written over; the password then lasts this run.
   */
  private embeddedCredentials(): WireServerCredentials {
    const secrets = this.options.secrets;
    if (this.embeddedPassword === undefined) {
      const stored = secrets?.get(EMBEDDED_PASSWORD_SECRET);
      if (stored !== undefined && isValidPassword(stored)) {
        this.embeddedPassword = stored;
      } else {
        this.embeddedPassword = randomBytes(32).toString('base64url');
        if (secrets && !secrets.loadProblem) {
          try {
            secrets.set(EMBEDDED_PASSWORD_SECRET, this.embeddedPassword);
          } catch (error) {
            this.log('warn', `the embedded database's password could not be saved in ${secrets.description} (${error instanceof Error ? error.message : String(error)}); a new one is made at the next start`);
          }
        }
      }
    }
    return { username: EMBEDDED_USER, password: this.embeddedPassword };
  }

  private async startEmbedded(): Promise<string> {
    const dataDir = join(this.options.config.dataDir, 'mongo');
    this.embedded = await startWireServer({ port: 0, dataDir, watchStdin: true, credentials: this.embeddedCredentials() });
    return this.embedded.connectionString('backtest-kit');
  }

  private async stopEmbedded(): Promise<void> {
    const server = this.embedded;
    this.embedded = undefined;
    await server?.stop();
  }

  /** Connects to `uri`; on success makes it the app's database. Returns the failure reason, if any. */
  private async use(source: DatabaseSource, uri: string, generation = this.generation): Promise<string | undefined> {
    let manager: ConnectionManager;
    this.lastUseError = undefined;
    try {
      manager = new ConnectionManager({ uri, connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000 });
    } catch (error) {
      this.lastUseError = error;
      return maskSecretsIn(error instanceof Error ? error.message : String(error));
    }
    this.connecting = manager;
    try {
      await manager.connect();
    } catch (error) {
      this.lastUseError = error;
      await manager.close();
      return maskSecretsIn(error instanceof Error ? error.message : String(error));
    } finally {
      if (this.connecting === manager) this.connecting = undefined;
    }
    const locked = await this.needsCredentials(manager);
    if (locked) {
      this.lastUseError = new Error('Authentication failed: the server requires a user name and password');
      await manager.close();
      return locked;
    }
    if (generation !== this.generation) {
      // The user switched to another database while this one was connecting: theirs stays.
      await manager.close();
      return undefined;
    }
    if (this.closed) {
      // Shut down while connecting: do not adopt a connection nobody will close.
      await manager.close();
      return 'the app is shutting down';
    }
    const old = this.manager;
    this.source = source;
    this.reason = undefined;
    this.label = this.describe(source, manager.state);
    manager.on('state', (state: DbState) => {
      if (this.manager !== manager) return;
      this.reason = state.reason;
      this.label = this.describe(source, state);
      this.changed();
    });
    this.log('info', `using ${this.label}`);
    await this.setManager(manager);
    if (old) await old.close();
    // In the background: a large database must not hold up start-up or the switch.
    void this.checkLayout(manager);
    return undefined;
  }

  /**
   * Looks for documents in the previous layout and puts the answer on the status (the app tells
   * the user to run the migration command; it never migrates by itself). Failures are logged.
   */
  private checkLayout(manager: ConnectionManager): Promise<void> {
    const previous = this.layout?.manager === manager ? this.layout : undefined;
    if (previous?.running) return previous.running;
    const check = this.options.layoutCheck ?? legacyLayoutCounts;
    const running = check(manager.connection)
      .then((result) => {
        if (this.manager !== manager) return;
        this.layout = { manager, result, checkedAt: Date.now() };
        const counts = Object.entries(result.collections).map(([name, n]) => `${name}: ${n}`).join(', ');
        if (result.needed && !previous?.result?.needed) {
          this.log('warn', `this database holds documents in the previous layout (${counts}): run \`npm run db -- migrate --dry-run\`, then \`--apply\``);
        } else if (!result.needed && previous?.result?.needed) {
          this.log('info', 'this database no longer holds documents in the previous layout');
        }
        if (JSON.stringify(result) !== JSON.stringify(previous?.result)) this.changed();
      })
      .catch((error: unknown) => {
        if (this.layout?.manager === manager) this.layout = { ...this.layout, checkedAt: Date.now(), running: undefined };
        this.log('warn', `checking the database for documents in the previous layout failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
      });
    this.layout = { manager, result: previous?.result, checkedAt: previous?.checkedAt ?? 0, running };
    return running;
  }

  /**
   * Checks again when the last answer was "needs migrating" (the user may have migrated from a
   * terminal since); a database found clean stays clean, as the app never writes the old layout.
   */
  async refreshLayout(): Promise<void> {
    const manager = this.manager;
    if (!manager?.isConnected || this.layout?.manager !== manager) return;
    if (this.layout.running) return this.layout.running;
    // A failed check (no result) is tried again too.
    if ((this.layout.result && !this.layout.result.needed) || Date.now() - this.layout.checkedAt < LAYOUT_RECHECK_MS) return;
    await this.checkLayout(manager);
  }

  /**
   * A MongoDB with authentication on (the Compose file's default) accepts the connection but
   * refuses every read without credentials: say so instead of adopting a database that fails later.
   */
  private async needsCredentials(manager: ConnectionManager): Promise<string | undefined> {
    try {
      await manager.connection.db!.listCollections({}, { nameOnly: true }).toArray();
      return undefined;
    } catch (error) {
      const { code, codeName } = (error ?? {}) as { code?: unknown; codeName?: unknown };
      const message = error instanceof Error ? error.message : String(error);
      if (code === 13 || codeName === 'Unauthorized' || /requires authentication|not authorized/i.test(message)) {
        return `${manager.maskedUri} requires a user name and password: put them in the connection string (CC_MONGO_CONNECTION_STRING or Settings; see docker/mongodb/.env.example)`;
      }
      return undefined;
    }
  }

  private describe(source: DatabaseSource, state: DbState): string {
    const version = state.serverVersion ? ` ${state.serverVersion}` : '';
    switch (source) {
      case 'embedded':
        return `embedded ${WIRE_SERVER_NAME} (reports MongoDB${version}), data in ${join(this.options.config.dataDir, 'mongo')}`;
      case 'localhost':
        return `MongoDB${version} on localhost:27017`;
      case 'env':
        return `MongoDB${version} from CC_MONGO_CONNECTION_STRING (${state.maskedUri})`;
      case 'custom':
        return `MongoDB${version} at ${state.maskedUri}`;
      default:
        return 'no database';
    }
  }

  status(spool: DatabaseStatus['spool'] = { buffering: 0 }): DatabaseStatus {
    const state = this.manager?.state;
    const status: DatabaseStatus = {
      source: this.source,
      status: state?.status ?? (this.searching ? 'connecting' : this.source === 'none' ? 'disconnected' : 'failed'),
      label: this.label,
      spool,
      since: state?.since ?? this.since,
    };
    if (state?.maskedUri) status.maskedUri = state.maskedUri;
    if (state?.serverVersion) status.serverVersion = state.serverVersion;
    if (this.lastPingMs !== undefined && state?.status === 'connected') status.pingMs = Math.round(this.lastPingMs * 100) / 100;
    const reason = state?.reason ?? this.reason;
    if (reason) status.reason = reason;
    if (!state || state.status !== 'connected') status.hint = COMPOSE_HINT;
    const layout = this.layout?.manager === this.manager ? this.layout?.result : undefined;
    if (layout) status.migration = { needed: layout.needed, collections: { ...layout.collections } };
    return status;
  }

  async ping(): Promise<number | undefined> {
    if (!this.manager?.isConnected) return undefined;
    try {
      this.lastPingMs = await this.manager.ping();
      return this.lastPingMs;
    } catch {
      return undefined;
    }
  }

  /** Document counts per collection, for the Storage view; empty without a database. */
  async collectionCounts(): Promise<Array<{ name: string; count: number }>> {
    if (!this.manager?.isConnected) return [];
    const db = this.manager.connection.db;
    if (!db) return [];
    const collections = await db.listCollections({}, { nameOnly: true }).toArray();
    const counts = await Promise.all(
      collections.map(async (c) => ({ name: c.name, count: await db.collection(c.name).estimatedDocumentCount() })),
    );
    return counts.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Tries a connection string without switching to it. It must not work as a port scanner: a
   * port that refuses, one that accepts and closes, one that is not MongoDB and one that never
   * answers all get the same answer after the same time (`timeoutMs`), and tests are rate-limited.
   */
  async test(uri: string, timeoutMs = this.options.testTimeoutMs ?? 3000): Promise<DatabaseTestAnswer> {
    this.testLimiter.take();
    const started = Date.now();
    let maskedUri = '(invalid connection string)';
    let manager: ConnectionManager | undefined;
    try {
      maskedUri = parseConnectionString(uri).maskedUri;
      manager = new ConnectionManager({ uri, connectTimeoutMs: timeoutMs, serverSelectionTimeoutMs: timeoutMs });
      await manager.connect();
      const pingMs = Math.round((await manager.ping()) * 100) / 100;
      const serverVersion = manager.state.serverVersion;
      return serverVersion ? { ok: true, maskedUri, pingMs, serverVersion } : { ok: true, maskedUri, pingMs };
    } catch (error) {
      const reason = publicFailure(error, timeoutMs);
      this.log('info', `database.test of ${maskedUri} failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
      // Same answer time whatever happened on the network.
      const wait = started + timeoutMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return { ok: false, maskedUri, error: reason };
    } finally {
      await manager?.close();
    }
  }

  /** Switches to another database at runtime (Settings → Connect). */
  async switchTo(target: { connectionString: string } | { embedded: true }): Promise<string | undefined> {
    this.cancelRetry();
    this.generation++;
    if ('embedded' in target) {
      if (this.source === 'embedded' && this.manager) return undefined;
      let uri: string;
      try {
        uri = await this.startEmbedded();
      } catch (error) {
        if (!this.manager) this.scheduleRetry();
        return error instanceof Error ? error.message : String(error);
      }
      const failure = await this.use('embedded', uri);
      if (failure) await this.stopEmbedded();
      if (failure && !this.manager) this.scheduleRetry();
      return failure;
    }
    // The embedded server's own address is the embedded database: keep it running, call it that,
    // and log in with its password (which no client is ever shown) unless the string brings its own.
    const toEmbedded = this.embedded !== undefined && this.pointsAtEmbedded(target.connectionString);
    const wasEmbedded = this.source === 'embedded';
    const uri = toEmbedded && !hasUserName(target.connectionString)
      ? this.embedded!.connectionString(parseConnectionString(target.connectionString).database)
      : target.connectionString;
    const failure = await this.use(toEmbedded ? 'embedded' : 'custom', uri);
    if (!failure && wasEmbedded && !toEmbedded) await this.stopEmbedded();
    if (failure && !this.manager) this.scheduleRetry();
    if (failure) {
      this.log('warn', `database.connect to ${maskConnectionString(target.connectionString)} failed: ${failure}`);
      return publicFailure(this.lastUseError, this.options.connectTimeoutMs ?? 10_000);
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelRetry();
    await this.connecting?.close();
    const manager = this.manager;
    this.manager = undefined;
    await manager?.close();
    await this.stopEmbedded();
  }
}
