import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CandleKey } from '../../../shared/candles';
import type { CandleRange } from '../db/candle-db-service';
import { COLUMN_NAMES, unpackColumns, type CandleColumns } from './columnar';

/** What the cache needs from the candle store (CandleDbService satisfies it). */
export interface CandleStore {
  countRange(range: CandleRange): Promise<number>;
  findRange(range: CandleRange): Promise<Array<{ timestamp: number; open: number; high: number; low: number; close: number; volume: number }>>;
  findByFilter(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1>; limit?: number }): Promise<Array<{ timestamp: number }>>;
  /** The range oldest first from one query, in small batches (market/candle-store.ts has it). */
  stream?(range: CandleRange): AsyncIterable<{ timestamp: number; open: number; high: number; low: number; close: number; volume: number }>;
}

/** Identifies what the store held when the cache file was written; any difference invalidates it. */
export interface CacheFingerprint {
  count: number;
  first: number | null;
  last: number | null;
}

interface CacheHeader extends CacheFingerprint {
  version: 1;
  key: CandleKey;
  from: number;
  to: number;
}

export interface CachedSeries {
  /** The packed columns; hand this path to a worker, which reads it without touching MongoDB. */
  file: string;
  length: number;
  /** True when the file was already valid (no candle was read from the store). */
  hit: boolean;
}

const VERSION = 1;
/** Candles per read while building a cache file from a store that cannot stream. */
const READ_BATCH = 50_000;
/** Builds of one range in a row that found its candles changed while they were read. */
const MAX_BUILD_ATTEMPTS = 3;

/**
 * Local columnar cache of stored candles: a range is read from MongoDB once, written as packed
 * float64 columns (one `.bin` plus a `.json` header), and replayed from disk afterwards. Before each
 * use the store is asked only for the range's count and first/last timestamps (three indexed
 * queries); if they differ from the header, the range is read again.
 */
export class CandleCache {
  /** The last pending `ensure` of each cache file: the next one for that file waits for it. */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dir: string,
    private readonly store: CandleStore,
  ) {}

  private pathsFor(key: CandleKey, from: number, to: number): { bin: string; header: string } {
    const id = createHash('sha1').update(JSON.stringify([key.exchangeName, key.symbol, key.interval, from, to])).digest('hex').slice(0, 16);
    const safe = `${key.exchangeName}_${key.symbol}_${key.interval}`.replace(/[^a-zA-Z0-9._-]/g, '_');
    const base = join(this.dir, `${safe}_${id}`);
    return { bin: `${base}.bin`, header: `${base}.json` };
  }

  async fingerprint(key: CandleKey, from: number, to: number): Promise<CacheFingerprint> {
    const range = { ...key, from, to };
    const filter = { exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval, timestamp: { $gte: from, $lt: to } };
    const [count, firstRows, lastRows] = await Promise.all([
      this.store.countRange(range),
      this.store.findByFilter(filter, { sort: { timestamp: 1 }, limit: 1 }),
      this.store.findByFilter(filter, { sort: { timestamp: -1 }, limit: 1 }),
    ]);
    return { count, first: firstRows[0]?.timestamp ?? null, last: lastRows[0]?.timestamp ?? null };
  }

  /**
   * Makes sure a valid cache file exists for the range and returns where it is. Calls for the same
   * range (runs of one symbol started together) take turns: the first builds the file, the others
   * then find it valid.
   */
  ensure(key: CandleKey, from: number, to: number): Promise<CachedSeries> {
    const paths = this.pathsFor(key, from, to);
    const turn = (this.turns.get(paths.bin) ?? Promise.resolve()).then(() => this.ensureNow(key, from, to, paths));
    const last = turn.catch(() => undefined);
    this.turns.set(paths.bin, last);
    void last.then(() => {
      if (this.turns.get(paths.bin) === last) this.turns.delete(paths.bin);
    });
    return turn;
  }

  private async ensureNow(key: CandleKey, from: number, to: number, paths: { bin: string; header: string }): Promise<CachedSeries> {
    const current = await this.fingerprint(key, from, to);
    const header = readHeader(paths.header);
    if (header && header.count === current.count && header.first === current.first && header.last === current.last) {
      return { file: paths.bin, length: header.count, hit: true };
    }
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      throw new Error(`candle cache: cannot create ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    // Body first, header last, each via rename: a crash leaves either the old pair or a header-less body.
    let expected = current.count;
    for (let attempt = 1; ; attempt++) {
      try {
        const body = await writeAtomic(paths.bin, (fd) => this.writeColumns(fd, key, from, to, expected));
        const fresh: CacheHeader = { version: VERSION, key, from, to, ...body };
        await writeAtomic(paths.header, async (fd) => writeAll(fd, Buffer.from(JSON.stringify(fresh)), 0));
        return { file: paths.bin, length: body.count, hit: false };
      } catch (error) {
        if (!(error instanceof CandlesChangedError)) throw error;
        // Candles were imported or deleted in the range while it was read: the layout (column after
        // column, each `count` long) no longer fits, so it is read again with the new count.
        if (attempt >= MAX_BUILD_ATTEMPTS) {
          throw new Error(`candle cache: the stored candles of ${key.exchangeName} ${key.symbol} ${key.interval} kept changing while they were read (${error.message}); start the run again when that is over`, { cause: error });
        }
        expected = (await this.fingerprint(key, from, to)).count;
      }
    }
  }

  /**
   * Reads the range and writes it straight into the file, PAGE candles at a time, each page at its
   * place in every column (the layout is column after column, `expected` long each). Neither the
   * whole range as candle objects nor as columns is ever in memory. A store that can stream the
   * range (the app's, from a MongoDB cursor) is read in one query; its candles arrive in small
   * batches and die young, so building the cache of a million candles leaves no old-generation
   * garbage behind for the process to keep. Otherwise the range is read in pages of READ_BATCH
   * (fewer, larger queries: mongo-java-server's cost grows with each one). Returns the candles'
   * count and first/last times; a count other than `expected` throws CandlesChangedError (the
   * temporary file is then removed).
   */
  private async writeColumns(fd: number, key: CandleKey, from: number, to: number, expected: number): Promise<CacheFingerprint> {
    const out = new ColumnPageWriter(fd, expected);
    if (this.store.stream) {
      for await (const c of this.store.stream({ ...key, from, to })) out.add(c);
    } else {
      let rows: StoredCandleRow[] | undefined;
      for (let cursor = from; ; ) {
        rows = undefined; // the previous page goes before the next is read
        rows = await this.store.findRange({ ...key, from: cursor, to, limit: READ_BATCH });
        for (const c of rows) out.add(c);
        // A store that ignores the limit answers with the whole rest of the range at once.
        if (rows.length < READ_BATCH) break;
        cursor = rows.at(-1)!.timestamp + 1;
      }
    }
    return out.finish();
  }
}

type StoredCandleRow = { timestamp: number; open: number; high: number; low: number; close: number; volume: number };

/** Candles per write while building a cache file (each column of a page is one write). */
const PAGE = 10_000;

/** Collects candles into a page of columns and writes each full page at its place in the file. */
class ColumnPageWriter {
  private readonly page = new Float64Array(COLUMN_NAMES.length * PAGE);
  private readonly bytes = new Uint8Array(this.page.buffer);
  private inPage = 0;
  private count = 0;
  private first: number | null = null;
  private last: number | null = null;

  constructor(
    private readonly fd: number,
    private readonly expected: number,
  ) {}

  add(c: StoredCandleRow): void {
    const i = this.inPage;
    this.page[i] = c.timestamp;
    this.page[PAGE + i] = c.open;
    this.page[2 * PAGE + i] = c.high;
    this.page[3 * PAGE + i] = c.low;
    this.page[4 * PAGE + i] = c.close;
    this.page[5 * PAGE + i] = c.volume;
    this.first ??= c.timestamp;
    this.last = c.timestamp;
    if (++this.inPage === PAGE) this.flush();
  }

  finish(): CacheFingerprint {
    this.flush();
    if (this.count !== this.expected) throw new CandlesChangedError(`${this.expected} counted, ${this.count} read`);
    return { count: this.count, first: this.first, last: this.last };
  }

  private flush(): void {
    const n = this.inPage;
    // Past the counted length the layout does not fit: only counted, the build is then done again.
    if (n > 0 && this.count + n <= this.expected) {
      for (let k = 0; k < COLUMN_NAMES.length; k++) {
        writeAll(this.fd, this.bytes.subarray(k * PAGE * 8, (k * PAGE + n) * 8), (k * this.expected + this.count) * 8);
      }
    }
    this.count += n;
    this.inPage = 0;
  }
}

/** The range held another number of candles at the end of a build than when it was counted. */
class CandlesChangedError extends Error {}

/** Writes every byte of `chunk` at `position` (a single write may take only part of it). */
function writeAll(fd: number, chunk: Uint8Array, position: number): void {
  for (let off = 0; off < chunk.byteLength; ) off += writeSync(fd, chunk, off, chunk.byteLength - off, position + off);
}

let tmpCount = 0;

/**
 * Temp file then rename. A failure (a full disk, no permission) names the file and removes the
 * half-written temp file, so neither a bare "ENOSPC" nor a stray `.tmp` is left behind.
 */
async function writeAtomic<T>(path: string, write: (fd: number) => Promise<T>): Promise<T> {
  const tmp = `${path}.${process.pid}-${++tmpCount}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    let result: T;
    try {
      result = await write(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return result;
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The original error says what matters; the temp file name is in it.
    }
    // Only the file system's own errors (they carry `syscall`) get the path; the store's pass as they are.
    if (!(error instanceof Error) || typeof (error as NodeJS.ErrnoException).syscall !== 'string') throw error;
    throw new Error(`candle cache: cannot write ${path} (through ${tmp}): ${(error as Error).message}`, { cause: error });
  }
}

function readHeader(path: string): CacheHeader | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as CacheHeader;
    return h.version === VERSION ? h : null;
  } catch {
    return null;
  }
}

/** Reads a cache file written by CandleCache (used inside run workers). */
export function readCachedColumns(file: string, into?: ReusableBuffer): CandleColumns {
  const header = readHeader(file.replace(/\.bin$/, '.json'));
  if (!header) throw new Error(`candle cache ${file} has no valid header; rebuild it with CandleCache.ensure`);
  if (!into) return unpackColumns(readFileSync(file), header.count);
  const bytes = into.take(header.count * COLUMN_NAMES.length * 8);
  const fd = openSync(file, 'r');
  try {
    let read = 0;
    while (read < bytes.byteLength) {
      const n = readSync(fd, bytes, read, bytes.byteLength - read, read);
      if (n === 0) break;
      read += n;
    }
    if (read !== bytes.byteLength || fstatSync(fd).size !== bytes.byteLength) {
      throw new Error(`candle cache body ${file} has ${fstatSync(fd).size} bytes, expected ${bytes.byteLength} for ${header.count} candles`);
    }
  } finally {
    closeSync(fd);
  }
  return unpackColumns(bytes, header.count);
}

/**
 * One buffer a run worker reads its cache files into, job after job. Columns of a finished job
 * are garbage the worker's heap may keep until its next collection; reading the next job's file
 * into a new buffer would then hold both (2 × 48 MB for 10^6 candles). Reusing one bounds a warm
 * worker at its largest series, whatever the garbage collector does. Only for one job at a time:
 * the previous columns must no longer be in use when `take` is called again.
 */
export class ReusableBuffer {
  private buffer = new ArrayBuffer(0);

  take(byteLength: number): Uint8Array {
    if (this.buffer.byteLength < byteLength) {
      // Dropped first, so the old and the new one are not both referenced from here.
      this.buffer = new ArrayBuffer(0);
      this.buffer = new ArrayBuffer(byteLength);
    }
    return new Uint8Array(this.buffer, 0, byteLength);
  }
}
