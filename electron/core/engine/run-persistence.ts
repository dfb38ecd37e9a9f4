import type { RunNotification, SignalRow } from '../../../shared/domain/runs';
import type { JsonValue, MemoryKey, SessionKey, StateKey } from '../persist';

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
    upsertMany(rows: readonly SignalRow[]): Promise<void>;
    listSignals(filter: { runId?: string; symbol?: string }, paging?: { limit?: number }): Promise<{ items: Array<{ value: SignalRow }>; total: number }>;
  };
  recent: { remember(row: SignalRow): Promise<void> };
  notifications: {
    append(notification: RunNotification): Promise<unknown>;
    list(filter: { runId?: string }, paging?: { limit?: number }): Promise<{ items: RunNotification[]; total: number }>;
  };
}

export interface KeyValueAccess<K> {
  get(key: K): Promise<JsonValue | null>;
  set(key: K, value: JsonValue): Promise<void>;
}

export type { JsonValue };
