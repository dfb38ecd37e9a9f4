import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import { LocalWriteError, UnsupportedOperationError, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from '../contract';
import { keyMatches, runQuery } from '../query';
import { canonicalKey } from '../subsystems';

export interface JsonlAdapterOptions {
  /** The current file, e.g. `<dataDir>/persist/log/log.jsonl`; rotated ones are `log.1.jsonl` (newest) … `log.N.jsonl`. */
  file: string;
  /** Rotate before a line would make the current file larger than this. */
  maxBytes?: number;
  /** Rotated files kept besides the current one. */
  maxFiles?: number;
  /** fsync after every line (slower; a log usually does not need it). */
  fsync?: boolean;
}

export const JSONL_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const JSONL_DEFAULT_MAX_FILES = 5;

interface JsonlSubsystem<K extends ContextKey, V> {
  name: string;
  keyParts: readonly string[];
  keyFromValue?: (value: V) => K;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Reads the last `count` complete lines of a file backwards in chunks, without loading all of it. */
async function lastLines(path: string, count: number): Promise<string[]> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = (await handle.stat()).size;
    const chunkSize = 64 * 1024;
    let position = size;
    let tail = '';
    let lines: string[] = [];
    while (position > 0 && lines.length <= count) {
      const length = Math.min(chunkSize, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      tail = buffer.toString('utf8') + tail;
      lines = tail.split('\n').filter((l) => l.trim() !== '');
    }
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

/**
 * The JSONL log adapter: one JSON object per line, appended in order, rotated by size. A log is
 * append-only, so `remove` is refused; reads scan the files (newest line for a key wins).
 */
export class JsonlAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName = 'jsonl';
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  private constructor(
    private readonly def: JsonlSubsystem<K, V>,
    private readonly options: JsonlAdapterOptions,
  ) {
    if (!def.keyFromValue) throw new UnsupportedOperationError('jsonl', `the ${def.name} subsystem`, 'its payload does not carry its key');
    this.maxBytes = options.maxBytes ?? JSONL_DEFAULT_MAX_BYTES;
    this.maxFiles = options.maxFiles ?? JSONL_DEFAULT_MAX_FILES;
  }

  static async open<K extends ContextKey, V>(def: JsonlSubsystem<K, V>, options: JsonlAdapterOptions): Promise<JsonlAdapter<K, V>> {
    await mkdir(dirname(options.file), { recursive: true });
    const adapter = new JsonlAdapter(def, options);
    adapter.size = await sizeOf(options.file);
    adapter.handle = await open(options.file, 'a');
    return adapter;
  }

  private rotatedPath(n: number): string {
    return this.options.file.replace(/(\.jsonl)?$/, `.${n}.jsonl`);
  }

  /** Every file, oldest first. */
  filesOldestFirst(): string[] {
    const rotated = Array.from({ length: this.maxFiles }, (_, i) => this.rotatedPath(this.maxFiles - i));
    return [...rotated, this.options.file];
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    await rm(this.rotatedPath(this.maxFiles), { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) {
      await rename(this.rotatedPath(n), this.rotatedPath(n + 1)).catch(() => undefined);
    }
    if (this.maxFiles >= 1) await rename(this.options.file, this.rotatedPath(1));
    else await rm(this.options.file, { force: true });
    this.handle = await open(this.options.file, 'a');
    this.size = 0;
  }

  private lineOf(key: K, value: V): string {
    const own = this.def.keyFromValue!(value);
    if (canonicalKey(this.def, own) !== canonicalKey(this.def, key)) {
      throw new UnsupportedOperationError('jsonl', `writing ${JSON.stringify(key)}`, `the line's own key is ${JSON.stringify(own)}`);
    }
    return `${JSON.stringify(value)}\n`;
  }

  /**
   * Appends the lines in order, as few appends (and fsyncs) as rotation allows: a run of lines goes
   * out in one append while it fits the current file.
   */
  private async append(lines: readonly string[]): Promise<void> {
    const task = async (): Promise<void> => {
      try {
        let chunk = '';
        let chunkBytes = 0;
        const flush = async (): Promise<void> => {
          if (chunkBytes === 0) return;
          await this.handle!.appendFile(chunk, 'utf8');
          if (this.options.fsync) await this.handle!.sync();
          this.size += chunkBytes;
          chunk = '';
          chunkBytes = 0;
        };
        for (const line of lines) {
          const bytes = Buffer.byteLength(line);
          if (this.size + chunkBytes > 0 && this.size + chunkBytes + bytes > this.maxBytes) {
            await flush();
            await this.rotate();
          }
          chunk += line;
          chunkBytes += bytes;
        }
        await flush();
      } catch (error) {
        throw new LocalWriteError(this.options.file, (error as { code?: string }).code, error);
      }
    };
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    await run;
  }

  async write(key: K, value: V): Promise<void> {
    await this.append([this.lineOf(key, value)]);
  }

  /** All lines in one append where they fit the current file (one fsync with `fsync`). */
  async writeMany(entries: readonly Entry<K, V>[]): Promise<void> {
    await this.append(entries.map(({ key, value }) => this.lineOf(key, value)));
  }

  private async *linesOf(path: string): AsyncGenerator<V> {
    const stream = createReadStream(path, { encoding: 'utf8' });
    const failed = new Promise<'missing'>((resolve) => stream.once('error', () => resolve('missing')));
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    const iterator = reader[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), failed]);
        if (next === 'missing' || next.done) return;
        if (next.value.trim() === '') continue;
        try {
          yield JSON.parse(next.value) as V;
        } catch {
          // A torn last line from a crash is not an entry.
        }
      }
    } finally {
      reader.close();
      stream.destroy();
    }
  }

  /** Newest entry per key, in the order they were (last) appended. */
  private async scan(filter?: Partial<K>): Promise<Map<string, Entry<K, V>>> {
    await this.queue;
    const latest = new Map<string, Entry<K, V>>();
    for (const file of this.filesOldestFirst()) {
      for await (const value of this.linesOf(file)) {
        const key = this.def.keyFromValue!(value);
        if (!keyMatches(key, filter)) continue;
        const id = canonicalKey(this.def, key);
        latest.delete(id);
        latest.set(id, { key, value });
      }
    }
    return latest;
  }

  async read(key: K): Promise<V | null> {
    return (await this.scan(key)).get(canonicalKey(this.def, key))?.value ?? null;
  }

  async has(key: K): Promise<boolean> {
    return (await this.read(key)) !== null;
  }

  async remove(_key: K): Promise<void> {
    throw new UnsupportedOperationError('jsonl', 'remove', 'a JSONL log is append-only');
  }

  async keys(filter?: Partial<K>): Promise<K[]> {
    return [...(await this.scan(filter)).values()].map((e) => e.key);
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    return runQuery((await this.scan(query.key)).values(), query);
  }

  /** The last `count` lines across the rotated files, oldest first. */
  async tail(count: number): Promise<V[]> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`tail: count must be a whole number >= 1, got ${count}`);
    await this.queue;
    const out: V[] = [];
    for (const file of [...this.filesOldestFirst()].reverse()) {
      const lines = await lastLines(file, count - out.length);
      const parsed: V[] = [];
      for (const line of lines) {
        try {
          parsed.push(JSON.parse(line) as V);
        } catch {
          // torn line
        }
      }
      out.unshift(...parsed);
      if (out.length >= count) break;
    }
    return out.slice(-count);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle?.close();
    this.handle = undefined;
  }
}
