import type { AdapterName } from '../../../shared/domain/persist-matrix';

/** A context key is a flat record of named parts (strings or the `backtest` flag), e.g. {backtest, signalId}. */
export type KeyPart = string | boolean;
export type ContextKey = Record<string, KeyPart>;

/** Equality (or membership, for an array) on a top-level field of the stored value. */
export type WhereValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

export interface ListQuery<K extends ContextKey> {
  /** Only entries whose key has these parts. */
  key?: Partial<K>;
  /** Only entries whose value has these top-level fields. */
  where?: Record<string, WhereValue>;
  /** A top-level field of the value to sort by; insertion order of the adapter otherwise. */
  sortBy?: string;
  order?: 'asc' | 'desc';
  offset?: number;
  /** At most LIST_LIMIT_MAX; LIST_LIMIT_DEFAULT when absent. */
  limit?: number;
  /**
   * Only entries this app wrote, not a backtest-kit bot's sharing the database (only the MongoDB
   * adapter holds others' entries; everything in the other adapters is the app's own).
   */
  ownOnly?: boolean;
}

export interface Entry<K extends ContextKey, V> {
  key: K;
  value: V;
}

export interface ListPage<K extends ContextKey, V> {
  items: Entry<K, V>[];
  /** How many entries match the query, ignoring offset and limit. */
  total: number;
  offset: number;
  limit: number;
  /** Set when only part of the data could be read (MongoDB unreachable: only buffered writes are listed). */
  incomplete?: string;
}

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 10_000;

/**
 * The one persist contract every subsystem uses, whatever stores it. Keys and values reaching an
 * adapter are already validated against the subsystem's schemas (see TypedStore).
 */
export interface PersistAdapter<K extends ContextKey, V> {
  readonly adapter: AdapterName;
  read(key: K): Promise<V | null>;
  write(key: K, value: V): Promise<void>;
  /**
   * Optional batch of `write`s (the same stored result as writing each entry; keys are distinct).
   * Entries may land in any order, and on a failure some may have landed: callers retry the batch
   * or fall back to `write` per entry, both of which are idempotent. See `writeEntries`.
   */
  writeMany?(entries: readonly Entry<K, V>[]): Promise<void>;
  has(key: K): Promise<boolean>;
  remove(key: K): Promise<void>;
  /** Optional batch of `remove`s; same rules as `writeMany`. See `removeKeys`. */
  removeMany?(keys: readonly K[]): Promise<void>;
  keys(filter?: Partial<K>): Promise<K[]>;
  list(query?: ListQuery<K>): Promise<ListPage<K, V>>;
  /**
   * Optional: the keys of `list(query)`'s page, in its order, without reading, decoding or cloning
   * the values (the cap's trimming needs only which keys to remove). See `listedKeys`.
   */
  listKeys?(query: ListQuery<K>): Promise<K[]>;
  /** Optional: `list(query)`'s total without reading any entry (the inbox's unread count). See `countedEntries`. */
  count?(query: ListQuery<K>): Promise<number>;
  close(): Promise<void>;
}

/** `entries` through the adapter's batch write where it has one, else one `write` after another. */
export async function writeEntries<K extends ContextKey, V>(adapter: PersistAdapter<K, V>, entries: readonly Entry<K, V>[]): Promise<void> {
  if (entries.length === 0) return;
  if (adapter.writeMany) return adapter.writeMany(entries);
  for (const { key, value } of entries) await adapter.write(key, value);
}

/** `keys` through the adapter's batch remove where it has one, else one `remove` after another. */
export async function removeKeys<K extends ContextKey, V>(adapter: PersistAdapter<K, V>, keys: readonly K[]): Promise<void> {
  if (keys.length === 0) return;
  if (adapter.removeMany) return adapter.removeMany(keys);
  for (const key of keys) await adapter.remove(key);
}

/** `list(query)`'s keys, through the adapter's `listKeys` where it has one. */
export async function listedKeys<K extends ContextKey, V>(adapter: PersistAdapter<K, V>, query: ListQuery<K>): Promise<K[]> {
  if (adapter.listKeys) return adapter.listKeys(query);
  return (await adapter.list(query)).items.map((e) => e.key);
}

/** How many entries `list(query)` matches, through the adapter's `count` where it has one. */
export async function countedEntries<K extends ContextKey, V>(adapter: PersistAdapter<K, V>, query: ListQuery<K>): Promise<number> {
  if (adapter.count) return adapter.count(query);
  return (await adapter.list({ ...query, offset: 0, limit: 1 })).total;
}

export class PersistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersistError';
  }
}

/** A key or payload failed its subsystem's schema; nothing was written. */
export class PersistValidationError extends PersistError {
  constructor(
    public readonly subsystem: string,
    public readonly what: 'key' | 'payload' | 'query',
    public readonly problems: string[],
  ) {
    super(`${subsystem}: invalid ${what}: ${problems.join('; ')}`);
    this.name = 'PersistValidationError';
  }
}

/** An adapter cannot do this by design (e.g. removing a line from an append-only log). */
export class UnsupportedOperationError extends PersistError {
  constructor(adapter: AdapterName, operation: string, why: string) {
    super(`the ${adapter} adapter does not support ${operation}: ${why}`);
    this.name = 'UnsupportedOperationError';
  }
}

/** A write to the local disk failed; the previous value of the key is still in place. */
export class LocalWriteError extends PersistError {
  constructor(
    public readonly path: string,
    public readonly code: string | undefined,
    cause: unknown,
  ) {
    const reason = code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the file system is read-only' : (cause instanceof Error ? cause.message : String(cause));
    super(`cannot write ${path}: ${reason}${code ? ` (${code})` : ''}; the previous value is kept`);
    this.name = 'LocalWriteError';
    this.cause = cause;
  }
}

/** A stored file no longer parses (edited by hand, or written by something else). */
export class CorruptEntryError extends PersistError {
  constructor(public readonly path: string, detail: string) {
    super(`${path} is not a valid entry: ${detail}`);
    this.name = 'CorruptEntryError';
  }
}

/** MongoDB is down right now; reads fail at once instead of waiting for the driver's timeouts. */
export class DatabaseUnavailableError extends PersistError {
  constructor(subsystem: string, operation: string) {
    super(`${subsystem}: cannot ${operation}: MongoDB is unreachable right now (writes are buffered and replayed when it returns)`);
    this.name = 'DatabaseUnavailableError';
  }
}
