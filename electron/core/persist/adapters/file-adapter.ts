import { access, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import { isAbandonedTempFile, readFileIfExists, removeFileIfExists, writeFileAtomic, type FileOps, nodeFileOps } from '../atomic-file';
import { CorruptEntryError, PersistError, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from '../contract';
import { fileStemFor, isHashedStem, keyFromStem } from '../file-names';
import { KeyedLock } from '../keyed-lock';
import { keyMatches, runQuery } from '../query';

export interface FileAdapterOptions {
  dir: string;
  /** `json`: one `<key>.json` holding {key, value}; `markdown`: one `<key>.md` holding the text itself. */
  format: 'json' | 'markdown';
  fileOps?: FileOps;
}

interface FileSubsystem {
  name: string;
  keyParts: readonly string[];
  keySchema: z.ZodType;
}

/** Which key parts are booleans (the `backtest` flag), read from the key schema so file names decode back. */
function booleanKeyParts(def: FileSubsystem): Set<string> {
  const shape = (def.keySchema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  return new Set(def.keyParts.filter((part) => shape[part] instanceof z.ZodBoolean));
}

const LIST_READ_PARALLELISM = 32;

const envelopeSchema = z.object({ key: z.record(z.string(), z.union([z.string(), z.boolean()])), value: z.unknown() });

/** Runs `task` on every item, LIST_READ_PARALLELISM at a time; rejects with the first failure once its batch has settled. */
async function inBatches<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += LIST_READ_PARALLELISM) {
    const settled = await Promise.allSettled(items.slice(start, start + LIST_READ_PARALLELISM).map(task));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * One file per key under `dir` (local-file and Markdown adapters). Every write is atomic (temp,
 * fsync, rename) and serialized per key; different keys write in parallel.
 */
export class FileAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName;
  private readonly extension: string;
  private readonly lock = new KeyedLock();
  private readonly booleans: Set<string>;
  private readonly fileOps: FileOps;

  private constructor(
    private readonly def: FileSubsystem,
    private readonly options: FileAdapterOptions,
  ) {
    this.adapter = options.format === 'json' ? 'local-file' : 'markdown';
    this.extension = options.format === 'json' ? '.json' : '.md';
    this.booleans = booleanKeyParts(def);
    this.fileOps = options.fileOps ?? nodeFileOps;
  }

  static async open<K extends ContextKey, V>(def: FileSubsystem, options: FileAdapterOptions): Promise<FileAdapter<K, V>> {
    await mkdir(options.dir, { recursive: true });
    for (const name of await readdir(options.dir)) {
      if (isAbandonedTempFile(name)) await removeFileIfExists(join(options.dir, name)).catch(() => undefined);
    }
    return new FileAdapter<K, V>(def, options);
  }

  get directory(): string {
    return this.options.dir;
  }

  private locate(key: K): { stem: string; path: string; hashed: boolean } {
    const { stem, hashed } = fileStemFor(this.def.keyParts, key);
    return { stem, hashed, path: join(this.options.dir, stem + this.extension) };
  }

  private decode(path: string, content: string): Entry<K, V> | { key: undefined; value: V } {
    if (this.options.format === 'markdown') return { key: undefined, value: content as V };
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch (error) {
      throw new CorruptEntryError(path, error instanceof Error ? error.message : String(error));
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) throw new CorruptEntryError(path, 'expected {"key": {...}, "value": ...}');
    return { key: envelope.data.key as K, value: envelope.data.value as V };
  }

  private encode(key: K, value: V, hashed: boolean): string {
    if (this.options.format === 'json') return `${JSON.stringify({ key, value })}\n`;
    if (hashed) throw new PersistError(`${this.def.name}: the key ${JSON.stringify(key)} is too long for a Markdown file name`);
    if (typeof value !== 'string') throw new PersistError(`${this.def.name}: the Markdown adapter stores text, got ${typeof value}`);
    return value;
  }

  async read(key: K): Promise<V | null> {
    const { path } = this.locate(key);
    const content = await readFileIfExists(path);
    return content === null ? null : this.decode(path, content).value;
  }

  async write(key: K, value: V): Promise<void> {
    const { stem, path, hashed } = this.locate(key);
    const content = this.encode(key, value, hashed);
    await this.lock.run(stem, () => writeFileAtomic(path, content, this.fileOps));
  }

  /** Each entry its own atomic file, a bounded number at a time (the fsyncs overlap, file handles stay few). */
  async writeMany(entries: readonly Entry<K, V>[]): Promise<void> {
    await inBatches(entries, ({ key, value }) => this.write(key, value));
  }

  async removeMany(keys: readonly K[]): Promise<void> {
    await inBatches(keys, (key) => this.remove(key));
  }

  async has(key: K): Promise<boolean> {
    try {
      await access(this.locate(key).path);
      return true;
    } catch {
      return false;
    }
  }

  async remove(key: K): Promise<void> {
    const { stem, path } = this.locate(key);
    await this.lock.run(stem, () => removeFileIfExists(path));
  }

  private async storedStems(): Promise<string[]> {
    const names = await readdir(this.options.dir);
    return names.filter((n) => n.endsWith(this.extension)).map((n) => n.slice(0, -this.extension.length));
  }

  private async keyOfStem(stem: string): Promise<K | undefined> {
    if (!isHashedStem(stem)) return keyFromStem(this.def.keyParts, this.booleans, stem) as K | undefined;
    const path = join(this.options.dir, stem + this.extension);
    const content = await readFileIfExists(path);
    return content === null ? undefined : this.decode(path, content).key;
  }

  async keys(filter?: Partial<K>): Promise<K[]> {
    const out: K[] = [];
    for (const stem of await this.storedStems()) {
      const key = await this.keyOfStem(stem);
      if (key && keyMatches(key, filter)) out.push(key);
    }
    return out;
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    const keys = await this.keys(query.key);
    const entries: Entry<K, V>[] = [];
    // Read a bounded number of files at a time: fast on big directories, gentle on file handles.
    for (let start = 0; start < keys.length; start += LIST_READ_PARALLELISM) {
      const batch = keys.slice(start, start + LIST_READ_PARALLELISM);
      const values = await Promise.all(batch.map((key) => this.read(key)));
      values.forEach((value, i) => {
        // A key removed between readdir and read is simply no longer there.
        if (value !== null) entries.push({ key: batch[i]!, value });
      });
    }
    return runQuery(entries, query);
  }

  async close(): Promise<void> {
    await this.lock.idle();
  }
}
