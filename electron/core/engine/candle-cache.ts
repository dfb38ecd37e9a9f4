import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CandleKey } from '../../../shared/candles';
import type { CandleRange } from '../db/candle-db-service';
import { allocateColumns, appendCandle, COLUMN_NAMES, unpackColumns, type CandleColumns } from './columnar';

/** What the cache needs from the candle store (CandleDbService satisfies it). */
export interface CandleStore {
  countRange(range: CandleRange): Promise<number>;
  findRange(range: CandleRange): Promise<Array<{ timestamp: number; open: number; high: number; low: number; close: number; volume: number }>>;
  findByFilter(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1>; limit?: number }): Promise<Array<{ timestamp: number }>>;
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
/** Candles per read while building a cache file. */
const READ_BATCH = 50_000;

/**
 * Local columnar cache of stored candles: a range is read from MongoDB once, written as packed
 * float64 columns (one `.bin` plus a `.json` header), and replayed from disk afterwards. Before each
 * use the store is asked only for the range's count and first/last timestamps (three indexed
 * queries); if they differ from the header, the range is read again.
 */
export class CandleCache {
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

  /** Makes sure a valid cache file exists for the range and returns where it is. */
  async ensure(key: CandleKey, from: number, to: number): Promise<CachedSeries> {
    const paths = this.pathsFor(key, from, to);
    const current = await this.fingerprint(key, from, to);
    const header = readHeader(paths.header);
    if (header && header.count === current.count && header.first === current.first && header.last === current.last) {
      return { file: paths.bin, length: header.count, hit: true };
    }
    const cols = await this.readColumns(key, from, to, current.count);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      throw new Error(`candle cache: cannot create ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    // Body first, header last, each via rename: a crash leaves either the old pair or a header-less body.
    writeAtomic(paths.bin, columnChunks(cols));
    const n = cols.length;
    const fresh: CacheHeader = { version: VERSION, key, from, to, count: n, first: n > 0 ? cols.timestamp[0]! : null, last: n > 0 ? cols.timestamp[n - 1]! : null };
    writeAtomic(paths.header, [Buffer.from(JSON.stringify(fresh))]);
    return { file: paths.bin, length: n, hit: false };
  }

  /**
   * Reads the range in pages of READ_BATCH candles straight into typed columns, so building the
   * cache of a million candles never holds a million candle objects (the heap, and with it the
   * process's memory, would stay that large long after).
   */
  private async readColumns(key: CandleKey, from: number, to: number, expected: number): Promise<CandleColumns> {
    let cols = allocateColumns(Math.max(16, expected));
    for (let cursor = from; ; ) {
      const rows = await this.store.findRange({ ...key, from: cursor, to, limit: READ_BATCH });
      for (const c of rows) cols = appendCandle(cols, c);
      // A store that ignores the limit answers with the whole rest of the range at once.
      if (rows.length < READ_BATCH) return cols;
      cursor = rows.at(-1)!.timestamp + 1;
    }
  }
}

/** The packed layout (columnar.ts `packColumns`: column after column) as views, without a second copy. */
function columnChunks(c: CandleColumns): Uint8Array[] {
  return COLUMN_NAMES.map((name) => {
    const col = c[name].subarray(0, c.length);
    return new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
  });
}

/**
 * Temp file then rename. A failure (a full disk, no permission) names the file and removes the
 * half-written temp file, so neither a bare "ENOSPC" nor a stray `.tmp` is left behind.
 */
function writeAtomic(path: string, chunks: readonly Uint8Array[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of chunks) {
        for (let off = 0; off < chunk.byteLength; ) off += writeSync(fd, chunk, off, chunk.byteLength - off);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The original error says what matters; the temp file name is in it.
    }
    throw new Error(`candle cache: cannot write ${path} (${bytes} bytes, through ${tmp}): ${(error as Error).message}`, { cause: error });
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
export function readCachedColumns(file: string): CandleColumns {
  const header = readHeader(file.replace(/\.bin$/, '.json'));
  if (!header) throw new Error(`candle cache ${file} has no valid header; rebuild it with CandleCache.ensure`);
  return unpackColumns(readFileSync(file), header.count);
}
