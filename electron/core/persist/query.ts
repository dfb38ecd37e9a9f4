import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, type ContextKey, type Entry, type ListPage, type ListQuery, type WhereValue } from './contract';

export function resolvePaging(query: ListQuery<ContextKey>): { offset: number; limit: number } {
  const offset = query.offset ?? 0;
  const limit = query.limit ?? LIST_LIMIT_DEFAULT;
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`list: offset must be a whole number >= 0, got ${offset}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) {
    throw new RangeError(`list: limit must be a whole number from 1 to ${LIST_LIMIT_MAX}, got ${limit}`);
  }
  return { offset, limit };
}

export function keyMatches(key: ContextKey, filter: Partial<ContextKey> | undefined): boolean {
  if (!filter) return true;
  for (const part in filter) {
    const wanted = filter[part];
    if (wanted !== undefined && key[part] !== wanted) return false;
  }
  return true;
}

/** The filter's parts read once per query, not once per entry (a Storage cap scans every row). */
function keyTest(filter: Partial<ContextKey> | undefined): (key: ContextKey) => boolean {
  const parts = Object.entries(filter ?? {}).filter(([, wanted]) => wanted !== undefined);
  if (parts.length === 0) return () => true;
  return (key) => {
    for (const [part, wanted] of parts) if (key[part] !== wanted) return false;
    return true;
  };
}

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}

function valueTest(where: Record<string, WhereValue> | undefined): (value: unknown) => boolean {
  const fields = Object.entries(where ?? {});
  if (fields.length === 0) return () => true;
  return (value) => {
    for (const [field, wanted] of fields) {
      const actual = fieldOf(value, field);
      if (Array.isArray(wanted) ? !wanted.includes(actual as string) : actual !== wanted) return false;
    }
    return true;
  };
}

/** Missing values sort first ascending, like MongoDB. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** The in-process query every non-database adapter shares, so all adapters answer `list` alike. */
export function runQuery<K extends ContextKey, V>(entries: Iterable<Entry<K, V>>, query: ListQuery<K> = {}): ListPage<K, V> {
  const { offset, limit } = resolvePaging(query);
  const matching: Entry<K, V>[] = [];
  const keyOk = keyTest(query.key);
  const valueOk = valueTest(query.where);
  for (const entry of entries) {
    if (keyOk(entry.key) && valueOk(entry.value)) matching.push(entry);
  }
  // Ties keep insertion order in the query's direction (as MongoDB's `_id` tie-break does), so paging is deterministic.
  if (query.order === 'desc') matching.reverse();
  if (query.sortBy !== undefined) {
    const field = query.sortBy;
    const sign = query.order === 'desc' ? -1 : 1;
    // Each entry's sort value read once, not in every comparison (the sort is stable either way).
    const keyed = matching.map((entry) => ({ entry, by: fieldOf(entry.value, field) }));
    keyed.sort((x, y) => sign * compare(x.by, y.by));
    for (let i = 0; i < keyed.length; i++) matching[i] = keyed[i]!.entry;
  }
  return { items: matching.slice(offset, offset + limit), total: matching.length, offset, limit };
}
