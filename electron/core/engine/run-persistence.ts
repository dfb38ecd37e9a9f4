import type { RunNotification, SignalRow } from '../../../shared/domain/runs';

/**
 * The narrow slice of the persistence layer (electron/core/persist, the adapter matrix) a run
 * uses. Its adapters satisfy it directly (read/write/list on a subsystem's context key); the
 * in-memory version below serves backtests and tests that need no database.
 */
export type JsonLike = null | boolean | number | string | JsonLike[] | { [key: string]: JsonLike };

export interface KeyValueQuery<K> {
  key?: Partial<K>;
  /** Equality on top-level fields of the stored value. */
  where?: Record<string, string | number | boolean>;
  limit?: number;
}

export interface KeyValue<K, V> {
  read(key: K): Promise<V | null>;
  write(key: K, value: V): Promise<void>;
  list(query?: KeyValueQuery<K>): Promise<{ items: Array<{ key: K; value: V }>; total: number }>;
}

export type SessionKey = { strategyName: string; exchangeName: string; frameName: string; symbol: string; backtest: boolean };
export type StorageKey = { backtest: boolean; signalId: string };
export type RecentKey = { symbol: string; strategyName: string; exchangeName: string; frameName: string; backtest: boolean };
export type NotificationKey = { backtest: boolean; notificationId: string };
export type MemoryKey = { signalId: string; bucketName: string; memoryId: string };
export type StateKey = { signalId: string; bucketName: string };

export interface RunPersistence {
  session: KeyValue<SessionKey, JsonLike>;
  storage: KeyValue<StorageKey, SignalRow>;
  recent: KeyValue<RecentKey, SignalRow>;
  notification: KeyValue<NotificationKey, RunNotification>;
  memory: KeyValue<MemoryKey, JsonLike>;
  state: KeyValue<StateKey, JsonLike>;
}

const LIST_MAX = 10_000;

function matches(record: Record<string, unknown>, filter: Record<string, unknown> | undefined): boolean {
  if (!filter) return true;
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && record[k] !== v) return false;
  return true;
}

export class InMemoryKeyValue<K extends Record<string, string | boolean>, V> implements KeyValue<K, V> {
  private readonly entries = new Map<string, { key: K; value: V }>();
  constructor(private readonly keyParts: readonly (keyof K)[]) {}
  private id(key: K): string {
    return JSON.stringify(this.keyParts.map((p) => key[p]));
  }
  async read(key: K): Promise<V | null> {
    return structuredClone(this.entries.get(this.id(key))?.value ?? null);
  }
  async write(key: K, value: V): Promise<void> {
    this.entries.set(this.id(key), { key: { ...key }, value: structuredClone(value) });
  }
  async list(query: KeyValueQuery<K> = {}): Promise<{ items: Array<{ key: K; value: V }>; total: number }> {
    const all = [...this.entries.values()].filter(
      (e) => matches(e.key, query.key) && matches(e.value as Record<string, unknown>, query.where),
    );
    return { items: all.slice(0, query.limit ?? LIST_MAX).map((e) => structuredClone(e)), total: all.length };
  }
}

export function createInMemoryRunPersistence(): RunPersistence {
  return {
    session: new InMemoryKeyValue<SessionKey, JsonLike>(['strategyName', 'exchangeName', 'frameName', 'symbol', 'backtest']),
    storage: new InMemoryKeyValue<StorageKey, SignalRow>(['backtest', 'signalId']),
    recent: new InMemoryKeyValue<RecentKey, SignalRow>(['symbol', 'strategyName', 'exchangeName', 'frameName', 'backtest']),
    notification: new InMemoryKeyValue<NotificationKey, RunNotification>(['backtest', 'notificationId']),
    memory: new InMemoryKeyValue<MemoryKey, JsonLike>(['signalId', 'bucketName', 'memoryId']),
    state: new InMemoryKeyValue<StateKey, JsonLike>(['signalId', 'bucketName']),
  };
}
