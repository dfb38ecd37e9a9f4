import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import type { ContextKey, Entry, ListPage, ListQuery, PersistAdapter } from '../contract';
import { resolvePaging } from '../query';

/** The no-op adapter: accepts every write and forgets it (Markdown reports are off by default). */
export class DummyAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName = 'dummy';

  async read(_key: K): Promise<V | null> {
    return null;
  }

  async write(_key: K, _value: V): Promise<void> {}

  async writeMany(_entries: readonly Entry<K, V>[]): Promise<void> {}

  async has(_key: K): Promise<boolean> {
    return false;
  }

  async remove(_key: K): Promise<void> {}

  async keys(_filter?: Partial<K>): Promise<K[]> {
    return [];
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    return { items: [], total: 0, ...resolvePaging(query) };
  }

  async close(): Promise<void> {}
}
