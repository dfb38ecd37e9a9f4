import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../../shared/candles';
import type { CandleRange } from '../db/candle-db-service';
import { CandleCache, readCachedColumns, ReusableBuffer, type CandleStore } from './candle-cache';
import { candleAt } from './columnar';

const MIN = 60_000;
const T0 = Date.UTC(2021, 0, 1);
const key = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' as const };

/** A candle store that honours `limit` and records how many candles each read returned. */
class PagedStore implements CandleStore {
  readonly reads: number[] = [];
  constructor(private readonly candles: Candle[]) {}
  private inRange(r: CandleRange): Candle[] {
    return this.candles.filter((c) => (r.from === undefined || c.timestamp >= r.from) && (r.to === undefined || c.timestamp < r.to));
  }
  async countRange(r: CandleRange): Promise<number> {
    return this.inRange(r).length;
  }
  async findRange(r: CandleRange): Promise<Candle[]> {
    const rows = this.inRange(r).slice(0, r.limit ?? Infinity);
    this.reads.push(rows.length);
    return rows;
  }
  async findByFilter(_f: Record<string, unknown>, o: { sort?: Record<string, 1 | -1> }): Promise<Array<{ timestamp: number }>> {
    return [o.sort?.timestamp === -1 ? this.candles.at(-1)! : this.candles[0]!];
  }
}

const series = (n: number): Candle[] => Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i * MIN, open: i, high: i + 2, low: i - 1, close: i + 1, volume: i % 7 }));

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'bm-cache-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('candle cache', () => {
  it('builds the file from pages of the store (never the whole range at once) and reads back every candle', async () => {
    const candles = series(120_001);
    const store = new PagedStore(candles);
    const cache = new CandleCache(tempDir(), store);
    const built = await cache.ensure(key, T0, T0 + candles.length * MIN);
    expect(built).toMatchObject({ length: candles.length, hit: false });
    expect(store.reads).toEqual([50_000, 50_000, 20_001]);
    const cols = readCachedColumns(built.file);
    expect(cols.length).toBe(candles.length);
    for (const i of [0, 9_999, 10_000, 49_999, 50_000, 120_000]) expect(candleAt(cols, i)).toEqual(candles[i]);
    // Read into a reused buffer (as a run worker does), a larger one first: the same candles.
    const buffer = new ReusableBuffer();
    buffer.take(8 * 6 * 200_000);
    const reused = readCachedColumns(built.file, buffer);
    expect(reused.length).toBe(candles.length);
    for (const i of [0, 10_000, 120_000]) expect(candleAt(reused, i)).toEqual(candles[i]);

    store.reads.length = 0;
    expect(await cache.ensure(key, T0, T0 + candles.length * MIN)).toMatchObject({ hit: true, file: built.file });
    expect(store.reads).toEqual([]);
  });

  it('reads the range again when candles are added while it is read, and stores what it read last', async () => {
    const candles = series(25_000);
    const store = new PagedStore(candles);
    let grown = false;
    const findRange = store.findRange.bind(store);
    store.findRange = async (r) => {
      // An import lands between the count and the read of the first build.
      if (!grown) {
        grown = true;
        candles.push(...series(25_100).slice(25_000));
      }
      return findRange(r);
    };
    const dir = tempDir();
    const built = await new CandleCache(dir, store).ensure(key, T0, T0 + 30_000 * MIN);
    expect(built).toMatchObject({ length: 25_100, hit: false });
    const cols = readCachedColumns(built.file);
    for (const i of [0, 24_999, 25_099]) expect(candleAt(cols, i)).toEqual(candles[i]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a store that streams in one pass, and writes the same file as from pages', async () => {
    const candles = series(23_456);
    const paged = new PagedStore(candles);
    const streamed = Object.assign(new PagedStore(candles), {
      streams: 0,
      async *stream(this: PagedStore & { streams: number }, r: CandleRange) {
        this.streams++;
        for (const c of candles) if (c.timestamp >= r.from! && c.timestamp < r.to!) yield c;
      },
    });
    const fromPages = await new CandleCache(tempDir(), paged).ensure(key, T0, T0 + 30_000 * MIN);
    const fromStream = await new CandleCache(tempDir(), streamed).ensure(key, T0, T0 + 30_000 * MIN);
    expect(streamed.streams).toBe(1);
    expect(streamed.reads).toEqual([]);
    expect(readFileSync(fromStream.file).equals(readFileSync(fromPages.file))).toBe(true);
    expect(readFileSync(fromStream.file.replace(/\.bin$/, '.json'), 'utf8')).toBe(readFileSync(fromPages.file.replace(/\.bin$/, '.json'), 'utf8'));
  });

  it('a write that fails names the file and leaves no temporary file', async () => {
    const dir = tempDir();
    const cache = new CandleCache(dir, new PagedStore(series(100)));
    // Occupy the cache file's own name with a non-empty folder: the rename onto it fails.
    const probe = await new CandleCache(tempDir(), new PagedStore(series(100))).ensure(key, T0, T0 + 100 * MIN);
    const name = probe.file.split(/[\\/]/).pop()!;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'x'), 'x');
    await expect(cache.ensure(key, T0, T0 + 100 * MIN)).rejects.toThrow(new RegExp(`candle cache: cannot write .*${name.replace(/[.]/g, '\\.')}`));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
