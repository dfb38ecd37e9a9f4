import { EventEmitter } from 'node:events';
import mongoose, { type Connection } from 'mongoose';
import { DEFAULT_CONNECTION_STRING, maskSecretsIn, parseConnectionString, type ParsedConnectionString } from './connection-string';

export type DbStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface DbState {
  status: DbStatus;
  /** Connection string with its password masked. */
  maskedUri: string;
  /** Why the connection failed or was lost, credentials masked. */
  reason?: string;
  serverVersion?: string;
  attempt?: number;
  since: number;
}

export interface ConnectionManagerOptions {
  /** Defaults to CC_MONGO_CONNECTION_STRING, then the documented default. */
  uri?: string;
  /** Total time the first connect may take, across retries, before the state becomes `failed`. */
  connectTimeoutMs?: number;
  /** Per-attempt server selection timeout. */
  serverSelectionTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the driver checks the server; lower notices an outage sooner. */
  heartbeatFrequencyMs?: number;
}

export function connectionStringFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.CC_MONGO_CONNECTION_STRING;
  return value === undefined || value.trim() === '' ? DEFAULT_CONNECTION_STRING : value;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Owns the one mongoose connection of the process. The URI is validated before any network
 * traffic; the first connect retries with exponential backoff within a bounded budget; after
 * that the driver's own monitoring reconnects and we translate its events into `DbState`.
 */
export class ConnectionManager extends EventEmitter<{ state: [DbState] }> {
  readonly config: ParsedConnectionString;
  private readonly options: Required<Omit<ConnectionManagerOptions, 'uri'>>;
  private current: DbState;
  private conn: Connection | undefined;
  private closing = false;

  constructor(options: ConnectionManagerOptions = {}) {
    super();
    this.config = parseConnectionString(options.uri ?? connectionStringFromEnv());
    this.options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      serverSelectionTimeoutMs: options.serverSelectionTimeoutMs ?? 5_000,
      initialBackoffMs: options.initialBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 5_000,
      heartbeatFrequencyMs: options.heartbeatFrequencyMs ?? 2_000,
    };
    this.current = { status: 'disconnected', maskedUri: this.config.maskedUri, since: Date.now() };
  }

  get state(): DbState {
    return this.current;
  }

  get maskedUri(): string {
    return this.config.maskedUri;
  }

  /** The live connection; throws when there is none so callers never use a half-open one. */
  get connection(): Connection {
    if (!this.conn) throw new Error(`not connected to ${this.config.maskedUri}`);
    return this.conn;
  }

  get isConnected(): boolean {
    return this.current.status === 'connected';
  }

  private setState(next: Omit<DbState, 'maskedUri' | 'since'>): void {
    this.current = { ...next, maskedUri: this.config.maskedUri, since: Date.now() };
    this.emit('state', this.current);
  }

  async connect(): Promise<Connection> {
    if (this.conn && this.current.status === 'connected') return this.conn;
    this.closing = false;
    const deadline = Date.now() + this.options.connectTimeoutMs;
    let backoff = this.options.initialBackoffMs;
    let lastError = 'unknown error';
    for (let attempt = 1; !this.closing; attempt++) {
      this.setState({ status: attempt === 1 ? 'connecting' : 'reconnecting', attempt });
      const remaining = deadline - Date.now();
      const conn = mongoose.createConnection(this.config.uri, {
        dbName: this.config.database,
        serverSelectionTimeoutMS: Math.max(200, Math.min(this.options.serverSelectionTimeoutMs, remaining)),
        connectTimeoutMS: Math.max(200, Math.min(this.options.serverSelectionTimeoutMs, remaining)),
        heartbeatFrequencyMS: this.options.heartbeatFrequencyMs,
        autoIndex: true,
      });
      try {
        await conn.asPromise();
        this.conn = conn;
        this.watch(conn);
        const serverVersion = await this.readServerVersion(conn);
        this.setState({ status: 'connected', serverVersion, attempt });
        return conn;
      } catch (error) {
        lastError = maskSecretsIn(error instanceof Error ? error.message : String(error));
        await conn.close(true).catch(() => undefined);
      }
      const wait = Math.min(backoff, deadline - Date.now());
      if (wait <= 0) break;
      await sleep(wait);
      backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
    }
    const reason = this.closing ? 'closed while connecting' : lastError;
    this.setState({ status: 'failed', reason });
    throw new Error(`Cannot connect to ${this.config.maskedUri}: ${reason}`);
  }

  private async readServerVersion(conn: Connection): Promise<string | undefined> {
    try {
      const info = await conn.db!.admin().buildInfo();
      return typeof info.version === 'string' ? info.version : undefined;
    } catch {
      return undefined;
    }
  }

  private watch(conn: Connection): void {
    conn.on('disconnected', () => {
      if (!this.closing && this.conn === conn) this.setState({ status: 'reconnecting', reason: 'connection to the server lost' });
    });
    const back = (): void => {
      if (this.closing || this.conn !== conn || this.current.status === 'connected') return;
      void this.readServerVersion(conn).then((serverVersion) => this.setState({ status: 'connected', serverVersion }));
    };
    conn.on('reconnected', back);
    conn.on('connected', back);
    conn.on('error', (error: unknown) => {
      if (this.closing || this.conn !== conn) return;
      this.setState({ status: 'reconnecting', reason: maskSecretsIn(error instanceof Error ? error.message : String(error)) });
    });
  }

  /** Round trip of a `ping`, in ms; used by the UI's connection panel. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.connection.db!.admin().ping();
    return performance.now() - started;
  }

  async close(): Promise<void> {
    this.closing = true;
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.close().catch(() => undefined);
    this.setState({ status: 'disconnected' });
  }
}
