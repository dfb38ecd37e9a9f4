import type { z } from 'zod';
import type { AdapterName } from '../../../shared/domain/persist-matrix';
import { PersistValidationError, countedEntries, listedKeys, removeKeys, writeEntries, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from './contract';

interface TypedSubsystem<K extends ContextKey, V> {
  name: string;
  keySchema: z.ZodType<K>;
  valueSchema: z.ZodType<V>;
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/**
 * The subsystem's view of its adapter: every key and payload is checked against the subsystem's
 * schemas before it reaches storage, so bad input fails with the field at fault and stores nothing.
 */
export class TypedStore<K extends ContextKey, V> implements PersistAdapter<K, V> {
  constructor(
    readonly def: TypedSubsystem<K, V>,
    readonly inner: PersistAdapter<K, V>,
  ) {}

  get adapter(): AdapterName {
    return this.inner.adapter;
  }

  checkKey(key: unknown): K {
    const result = this.def.keySchema.safeParse(key);
    if (!result.success) throw new PersistValidationError(this.def.name, 'key', problemsOf(result.error));
    return result.data;
  }

  checkValue(value: unknown): V {
    const result = this.def.valueSchema.safeParse(value);
    if (!result.success) throw new PersistValidationError(this.def.name, 'payload', problemsOf(result.error));
    return result.data;
  }

  private checkPartialKey(key: Partial<K> | undefined): Partial<K> | undefined {
    if (key === undefined) return undefined;
    const schema = this.def.keySchema as unknown as z.ZodObject;
    const result = schema.partial().safeParse(key);
    if (!result.success) throw new PersistValidationError(this.def.name, 'query', problemsOf(result.error));
    return result.data as Partial<K>;
  }

  async read(key: K): Promise<V | null> {
    return this.inner.read(this.checkKey(key));
  }

  async write(key: K, value: V): Promise<void> {
    const checkedKey = this.checkKey(key);
    await this.inner.write(checkedKey, this.checkValue(value));
  }

  /**
   * Each entry checked as `write` checks it; the valid ones are written as one batch (the adapter's
   * `writeMany`, or one by one where it has none), and the refused ones are returned with their
   * position in `entries` and the fields at fault. A refused entry stores nothing and stops no other.
   */
  async writeBatch(entries: readonly Entry<K, V>[]): Promise<Array<{ index: number; error: PersistValidationError }>> {
    const valid: Entry<K, V>[] = [];
    const refused: Array<{ index: number; error: PersistValidationError }> = [];
    entries.forEach((entry, index) => {
      try {
        valid.push({ key: this.checkKey(entry.key), value: this.checkValue(entry.value) });
      } catch (error) {
        if (!(error instanceof PersistValidationError)) throw error;
        refused.push({ index, error });
      }
    });
    await writeEntries(this.inner, valid);
    return refused;
  }

  async removeMany(keys: readonly K[]): Promise<void> {
    await removeKeys(this.inner, keys.map((key) => this.checkKey(key)));
  }

  async has(key: K): Promise<boolean> {
    return this.inner.has(this.checkKey(key));
  }

  async remove(key: K): Promise<void> {
    return this.inner.remove(this.checkKey(key));
  }

  async keys(filter?: Partial<K>): Promise<K[]> {
    return this.inner.keys(this.checkPartialKey(filter));
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    return this.inner.list({ ...query, key: this.checkPartialKey(query.key) });
  }

  async listKeys(query: ListQuery<K> = {}): Promise<K[]> {
    return listedKeys(this.inner, { ...query, key: this.checkPartialKey(query.key) });
  }

  async count(query: ListQuery<K> = {}): Promise<number> {
    return countedEntries(this.inner, { ...query, key: this.checkPartialKey(query.key) });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
