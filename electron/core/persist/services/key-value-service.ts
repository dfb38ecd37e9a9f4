import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import type { ContextKey, ListPage, ListQuery } from '../contract';
import type { TypedStore } from '../typed-store';

/** Get/set by context key: the shape of Session, Memory, State, Dump and Markdown. */
export class KeyValueService<K extends ContextKey, V> {
  constructor(protected readonly store: TypedStore<K, V>) {}

  get adapter(): AdapterName {
    return this.store.adapter;
  }

  get(key: K): Promise<V | null> {
    return this.store.read(key);
  }

  set(key: K, value: V): Promise<void> {
    return this.store.write(key, value);
  }

  has(key: K): Promise<boolean> {
    return this.store.has(key);
  }

  remove(key: K): Promise<void> {
    return this.store.remove(key);
  }

  keys(filter?: Partial<K>): Promise<K[]> {
    return this.store.keys(filter);
  }

  list(query?: ListQuery<K>): Promise<ListPage<K, V>> {
    return this.store.list(query);
  }
}
