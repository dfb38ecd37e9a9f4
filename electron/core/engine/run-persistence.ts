import type { RunNotification, SignalRow } from '../../../shared/domain/runs';
import type { JsonValue, MemoryKey, RecentKey, SessionKey, StateKey, StorageKey } from '../persist';

/**
 * The slice of the persistence layer (electron/core/persist: createPersistence, the adapter
 * matrix) a run uses. A `Persistence` of either mode satisfies it as is; the run manager takes one
 * per mode (live: MongoDB, backtest: in-memory / local files, as the matrix says).
 */
export interface RunPersistence {
  session: KeyValueAccess<SessionKey>;
  state: KeyValueAccess<StateKey>;
  memory: KeyValueAccess<MemoryKey>;
  storage: {
    /** Rows kept per mode; older closed rows make way. */
    readonly cap: number;
    upsert(row: SignalRow): Promise<void>;
    writeMany(rows: readonly SignalRow[]): Promise<void>;
    listSignals(filter: { runId?: string; symbol?: string }, paging?: { limit?: number }): Promise<{ items: Array<{ value: SignalRow }>; total: number }>;
  };
  recent: { remember(row: SignalRow): Promise<void> };
  notifications: {
    append(notification: RunNotification): Promise<unknown>;
    list(filter: { runId?: string }, paging?: { limit?: number }): Promise<{ items: RunNotification[]; total: number }>;
  };
}

/**
 * What deleting a run removes from one mode's persistence: its signal rows, notifications, the
 * State and Memory of its signals, and Recent where its row is the latest. A `Persistence` of
 * either mode satisfies it as is.
 */
export interface RunDataStores {
  readonly mode: 'live' | 'backtest';
  storage: {
    listSignals(filter: { runId?: string }, paging?: { limit?: number }): Promise<{ items: Array<{ key: StorageKey; value: SignalRow }>; total: number }>;
    remove(key: StorageKey): Promise<void>;
  };
  notifications: { removeByRun(runId: string): Promise<number> };
  state: PagedRemovable<StateKey>;
  memory: PagedRemovable<MemoryKey>;
  recent: { latest(key: RecentKey): Promise<SignalRow | null>; remove(key: RecentKey): Promise<void> };
}

export interface PagedRemovable<K> {
  list(query: { offset: number; limit: number }): Promise<{ items: Array<{ key: K }>; total: number }>;
  remove(key: K): Promise<void>;
}

export interface KeyValueAccess<K> {
  get(key: K): Promise<JsonValue | null>;
  set(key: K, value: JsonValue): Promise<void>;
}

export type { JsonValue };
