import type { AdapterName, Subsystem } from '../../../shared/domain/persist-matrix';
import type { ConnectionManager } from '../db/connection-manager';
import { countedEntries, DatabaseUnavailableError, LIST_LIMIT_MAX, listedKeys, removeKeys, writeEntries, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from './contract';
import { KeyedLock } from './keyed-lock';
import { isOutageError } from './outage-errors';
import { keyMatches, runQuery } from './query';
import type { SpoolEntry, WriteSpool } from './spool';
import { canonicalKey } from './subsystems';

/** What the spooling adapter needs of the connection: whether it is up right now. */
export type ConnectionStatus = Pick<ConnectionManager, 'isConnected'>;

/**
 * MongoDB in live mode, without losing a write to an outage: a write that fails for a network or
 * write-concern timeout (or is made while the connection is down, or while older writes are still
 * buffered) goes to the durable spool instead and is replayed later in order. Reads see the newest
 * value, spooled or stored. Writes to one key are serialized so their order survives the detour.
 */
export class SpoolingAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName = 'mongodb';
  private readonly lock = new KeyedLock();

  constructor(
    private readonly def: { name: Subsystem; keyParts: readonly string[] },
    readonly inner: PersistAdapter<K, V>,
    private readonly spool: WriteSpool,
    private readonly connection: ConnectionStatus,
  ) {}

  private async writeOrSpool(op: 'write' | 'remove', key: K, value?: V): Promise<void> {
    const keyId = canonicalKey(this.def, key);
    const spooled = (): Promise<void> => this.spool.append({ subsystem: this.def.name, op, keyId, key, ...(op === 'write' ? { value } : {}) });
    await this.lock.run(keyId, async () => {
      if (this.spool.active || !this.connection.isConnected) return spooled();
      try {
        if (op === 'write') await this.inner.write(key, value as V);
        else await this.inner.remove(key);
      } catch (error) {
        if (!isOutageError(error)) throw error;
        await spooled();
      }
    });
  }

  write(key: K, value: V): Promise<void> {
    return this.writeOrSpool('write', key, value);
  }

  remove(key: K): Promise<void> {
    return this.writeOrSpool('remove', key);
  }

  /**
   * A batch goes to MongoDB in one bulk call, or (during an outage, or while older writes are
   * buffered) to the spool as one entry per key, group-committed. If the bulk call fails for an
   * outage part of it may have landed: the whole batch is spooled then, and replaying a write
   * that already landed stores the same value again. The batch holds the lock of each of its keys,
   * so a single write of one of them made meanwhile lands after it, as it would after `write`.
   */
  private async batchOrSpool(op: 'write' | 'remove', entries: readonly { key: K; value?: V }[]): Promise<void> {
    if (entries.length === 0) return;
    const keyIds = entries.map((e) => canonicalKey(this.def, e.key));
    const spooled = async (): Promise<void> => {
      await Promise.all(entries.map((e, i) => this.spool.append({ subsystem: this.def.name, op, keyId: keyIds[i]!, key: e.key, ...(op === 'write' ? { value: e.value } : {}) })));
    };
    const stored = (): Promise<void> =>
      op === 'write' ? writeEntries(this.inner, entries as readonly Entry<K, V>[]) : removeKeys(this.inner, entries.map((e) => e.key));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const acquired = [...new Set(keyIds)].map((id) => new Promise<void>((resolve) => {
        void this.lock.run(id, () => {
          resolve();
          return held;
        });
      }));
    try {
      await Promise.all(acquired);
      if (this.spool.active || !this.connection.isConnected) return await spooled();
      try {
        await stored();
      } catch (error) {
        if (!isOutageError(error)) throw error;
        await spooled();
      }
    } finally {
      release();
    }
  }

  writeMany(entries: readonly Entry<K, V>[]): Promise<void> {
    return this.batchOrSpool('write', entries);
  }

  removeMany(keys: readonly K[]): Promise<void> {
    return this.batchOrSpool('remove', keys.map((key) => ({ key })));
  }

  /** Reads go to MongoDB only while it is up; otherwise they fail at once rather than after the driver's timeouts. */
  private stored<T>(operation: string, task: () => Promise<T>): Promise<T> {
    if (!this.connection.isConnected) return Promise.reject(new DatabaseUnavailableError(this.def.name, operation));
    return task();
  }

  private spooledValue(entry: SpoolEntry): V | null {
    return entry.op === 'write' ? (structuredClone(entry.value) as V) : null;
  }

  async read(key: K): Promise<V | null> {
    const pending = this.spool.newestFor(this.def.name, canonicalKey(this.def, key));
    return pending ? this.spooledValue(pending) : this.stored('read', () => this.inner.read(key));
  }

  async has(key: K): Promise<boolean> {
    const pending = this.spool.newestFor(this.def.name, canonicalKey(this.def, key));
    return pending ? pending.op === 'write' : this.stored('read', () => this.inner.has(key));
  }

  async keys(filter?: Partial<K>): Promise<K[]> {
    const pending = this.spool.newestOf(this.def.name);
    const stored = await this.stored('list keys', () => this.inner.keys(filter));
    if (pending.length === 0) return stored;
    const merged = new Map(stored.map((k) => [canonicalKey(this.def, k), k]));
    for (const entry of pending) {
      if (!keyMatches(entry.key, filter)) continue;
      if (entry.op === 'write') merged.set(entry.keyId, entry.key as K);
      else merged.delete(entry.keyId);
    }
    return [...merged.values()];
  }

  /**
   * With nothing buffered this is MongoDB's own query. Otherwise the stored matches (up to
   * LIST_LIMIT_MAX) are overlaid with the buffered values and filtered, sorted and paged here;
   * with MongoDB unreachable, the page holds the buffered entries only and says so in `incomplete`.
   */
  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    const pending = this.spool.newestOf(this.def.name).filter((e) => keyMatches(e.key, query.key));
    if (pending.length === 0) return this.stored('list', () => this.inner.list(query));
    let stored: Entry<K, V>[];
    let incomplete: string | undefined;
    try {
      stored = (await this.stored('list', () => this.inner.list({ ...query, offset: 0, limit: LIST_LIMIT_MAX }))).items;
    } catch (error) {
      if (!isOutageError(error)) throw error;
      // During an outage the buffered writes are all we can show; say so rather than fail the inbox.
      stored = [];
      incomplete = `MongoDB is unreachable: only the ${pending.length} ${this.def.name} entries written during the outage are listed`;
    }
    const merged = new Map<string, Entry<K, V>>(stored.map((e) => [canonicalKey(this.def, e.key), e]));
    for (const entry of pending) {
      if (entry.op === 'write') merged.set(entry.keyId, { key: entry.key as K, value: this.spooledValue(entry) as V });
      else merged.delete(entry.keyId);
    }
    const page = runQuery(merged.values(), query);
    return incomplete ? { ...page, incomplete } : page;
  }

  /** MongoDB's keys-only query while nothing is buffered; otherwise the merged `list`'s keys. */
  async listKeys(query: ListQuery<K>): Promise<K[]> {
    const pending = this.spool.newestOf(this.def.name).filter((e) => keyMatches(e.key, query.key));
    if (pending.length === 0) return this.stored('list', () => listedKeys(this.inner, query));
    return (await this.list(query)).items.map((e) => e.key);
  }

  /**
   * MongoDB's count while nothing is buffered; otherwise the merged `list`'s total. A count is
   * exact or refused: during an outage it fails (the merged list would count only the buffer).
   */
  async count(query: ListQuery<K>): Promise<number> {
    const pending = this.spool.newestOf(this.def.name).filter((e) => keyMatches(e.key, query.key));
    if (pending.length === 0) return this.stored('count', () => countedEntries(this.inner, query));
    const page = await this.list({ ...query, offset: 0, limit: 1 });
    if (page.incomplete) throw new DatabaseUnavailableError(this.def.name, 'count');
    return page.total;
  }

  async close(): Promise<void> {
    await this.lock.idle();
  }
}

/**
 * Drains the spool into MongoDB whenever the connection is (back) up: on every `connected` state
 * event, and on a timer while anything is buffered, since a replay can stop half-way.
 */
export class SpoolReplayer {
  private timer: NodeJS.Timeout | undefined;
  private readonly onState = (): void => this.kick();

  constructor(
    private readonly spool: WriteSpool,
    private readonly connection: ConnectionManager,
    private readonly targets: ReadonlyMap<Subsystem, PersistAdapter<ContextKey, unknown>>,
    retryMs = 1_000,
  ) {
    connection.on('state', this.onState);
    this.timer = setInterval(() => this.kick(), retryMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (!this.connection.isConnected || this.spool.size === 0) return;
    void this.spool.replay({
      apply: async (entry) => {
        const target = this.targets.get(entry.subsystem);
        if (!target) throw new Error(`no MongoDB collection for subsystem "${entry.subsystem}"`);
        if (entry.op === 'write') await target.write(entry.key, entry.value);
        else await target.remove(entry.key);
      },
      isTransient: (error) => isOutageError(error) || !this.connection.isConnected,
    });
  }

  /** Resolves when the spool is empty (or the timeout passes); for shutdown and tests. */
  async drained(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.spool.size > 0 && Date.now() < deadline) {
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.spool.size === 0;
  }

  stop(): void {
    this.connection.off('state', this.onState);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
