import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CandleKey } from '../../../shared/candles';
import type { CandleRange } from '../db/candle-db-service';
import { columnsFromCandles, packColumns, unpackColumns, type CandleColumns } from './columnar';

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
    const candles = await this.store.findRange({ ...key, from, to });
    const cols = columnsFromCandles(candles);
    mkdirSync(this.dir, { recursive: true });
    // Body first, header last, each via rename: a crash leaves either the old pair or a header-less body.
    writeAtomic(paths.bin, packColumns(cols));
    const fresh: CacheHeader = { version: VERSION, key, from, to, count: cols.length, first: candles[0]?.timestamp ?? null, last: candles.at(-1)?.timestamp ?? null };
    writeAtomic(paths.header, Buffer.from(JSON.stringify(fresh)));
    return { file: paths.bin, length: cols.length, hit: false };
  }
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
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
