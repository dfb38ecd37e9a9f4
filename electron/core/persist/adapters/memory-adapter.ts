import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import type { ContextKey, Entry, ListPage, ListQuery, PersistAdapter } from '../contract';
import { keyMatches, runQuery } from '../query';
import { canonicalKey } from '../subsystems';

/**
 * Holds entries in a Map for the life of the process (backtests: fast, nothing left behind). Values
 * are cloned in and out so a caller mutating an object never changes what is stored.
 */
export class MemoryAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName = 'in-memory';
  private readonly entries = new Map<string, Entry<K, V>>();

  constructor(private readonly def: { keyParts: readonly string[] }) {}

  async read(key: K): Promise<V | null> {
    const entry = this.entries.get(canonicalKey(this.def, key));
    return entry ? structuredClone(entry.value) : null;
  }

  async write(key: K, value: V): Promise<void> {
    // Map.set keeps an existing key in place: insertion order is first-written, like MongoDB's _id.
    this.entries.set(canonicalKey(this.def, key), { key: { ...key }, value: structuredClone(value) });
  }

  async writeMany(entries: readonly Entry<K, V>[]): Promise<void> {
    for (const { key, value } of entries) await this.write(key, value);
  }

  async removeMany(keys: readonly K[]): Promise<void> {
    for (const key of keys) this.entries.delete(canonicalKey(this.def, key));
  }

  async has(key: K): Promise<boolean> {
    return this.entries.has(canonicalKey(this.def, key));
  }

  async remove(key: K): Promise<void> {
    this.entries.delete(canonicalKey(this.def, key));
  }

  async keys(filter?: Partial<K>): Promise<K[]> {
    const out: K[] = [];
    for (const { key } of this.entries.values()) if (keyMatches(key, filter)) out.push({ ...key });
    return out;
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    const page = runQuery(this.entries.values(), query);
    return { ...page, items: page.items.map((e) => ({ key: { ...e.key }, value: structuredClone(e.value) })) };
  }

  async listKeys(query: ListQuery<K>): Promise<K[]> {
    return runQuery(this.entries.values(), query).items.map((e) => ({ ...e.key }));
  }

  async close(): Promise<void> {
    // Nothing to release; the entries live as long as the persistence that owns them.
  }
}
