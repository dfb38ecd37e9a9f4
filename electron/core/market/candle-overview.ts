import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Candle, CandleKey } from '../../../shared/candles';
import { CandleColumns } from './candle-columns';
import type { CandleStore } from './candle-store';

export interface CandleOverviewOptions {
  /** Memory budget for all cached series together; the least recently used go first. 2,000,000 candles ≈ 96 MB. */
  maxCandles?: number;
  /** How often (at most) a cached series is compared with MongoDB in the background. */
  checkEveryMs?: number;
  /** Where a failed background check, save or build is reported (the app's log). */
  onError?: (message: string, error: unknown) => void;
  /**
   * A directory for a copy of each series on disk, so the first view after a restart does not read
   * every candle from MongoDB again (a million take a minute on the embedded server). Checked
   * against MongoDB in the background when loaded, like the copy in memory.
   */
  dir?: string;
  /** A series is saved this long after its last write (a long import is saved once, at its end). */
  saveDelayMs?: number;
}

interface FileHeader {
  version: 1;
  key: CandleKey;
  length: number;
}

interface Entry {
  columns: CandleColumns;
  usedAt: number;
  checkedAt: number;
  /** Last time our own write path touched the series: a check right after would race the write. */
  writtenAt: number;
}

const seriesId = (key: CandleKey): string => JSON.stringify([key.exchangeName, key.symbol, key.interval]);

/**
 * Stored candle series held in memory as columns, so a chart at any zoom is folded in
 * milliseconds instead of grouping every document in MongoDB at view time. A series is read from
 * MongoDB once (one streamed scan) when first viewed, and kept current by the store's own write
 * path (import and download write through CandleStore, which reports every stored batch here).
 * Writers outside this process (backtest-kit, another app instance) are caught by a background
 * comparison of count and first/last timestamp with MongoDB, after which the series is read again.
 */
export class CandleOverview {
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<CandleColumns>>();
  /**
   * Series written through the store before anyone viewed them (an import of a new series): if
   * MongoDB holds exactly as many candles when the series is first viewed, these are all of them
   * and the million-document read is skipped.
   */
  private readonly partials = new Map<string, CandleColumns>();
  /** Batches stored while a series is being read: applied on top once the read is done. */
  private readonly writtenWhileBuilding = new Map<string, Candle[][]>();
  private readonly maxCandles: number;
  private readonly checkEveryMs: number;
  private readonly onError: (message: string, error: unknown) => void;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeDeleted: () => void;
  /** Series deleted from while being read: the read's result is served once, then read again. */
  private readonly deletedWhileBuilding = new Set<string>();
  private readonly dir: string | undefined;
  private readonly saveDelayMs: number;
  private readonly saveTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: CandleStore,
    options: CandleOverviewOptions = {},
  ) {
    this.maxCandles = options.maxCandles ?? 2_000_000;
    this.checkEveryMs = options.checkEveryMs ?? 30_000;
    this.onError = options.onError ?? ((message, error) => console.error(`${message}: ${error instanceof Error ? error.message : String(error)}`));
    this.dir = options.dir;
    this.saveDelayMs = options.saveDelayMs ?? 5_000;
    this.unsubscribe = store.onWritten((key, candles) => this.written(key, candles));
    this.unsubscribeDeleted = store.onDeleted((key) => this.deleted(key));
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeDeleted();
    this.partials.clear();
    for (const timer of this.saveTimers.values()) clearTimeout(timer);
    this.saveTimers.clear();
    this.entries.clear();
  }

  private fileOf(key: CandleKey): string | undefined {
    if (!this.dir) return undefined;
    const safe = `${key.exchangeName}_${key.symbol}_${key.interval}`.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 80);
    return join(this.dir, `${safe}_${createHash('sha1').update(seriesId(key)).digest('hex').slice(0, 12)}.columns`);
  }

  /** The copy on disk, if there is a readable one for exactly this series. */
  private async load(key: CandleKey): Promise<CandleColumns | undefined> {
    const file = this.fileOf(key);
    if (!file) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') this.onError(`candle overview: cannot read ${file}`, error);
      return undefined;
    }
    try {
      const headerBytes = bytes.readUInt32LE(0);
      const header = JSON.parse(bytes.subarray(4, 4 + headerBytes).toString('utf8')) as FileHeader;
      if (header.version !== 1 || seriesId(header.key) !== seriesId(key)) return undefined;
      const start = 4 + headerBytes;
      return CandleColumns.fromBytes(bytes.subarray(start), header.length);
    } catch (error) {
      this.onError(`candle overview: ${file} is not a readable series copy, reading MongoDB instead`, error);
      await rm(file, { force: true }).catch(() => undefined);
      return undefined;
    }
  }

  /** Writes the copy beside its final name and renames it over; a failure leaves no partial file. */
  private async save(key: CandleKey, columns: CandleColumns): Promise<void> {
    const file = this.fileOf(key);
    if (!file || !this.dir) return;
    const temp = `${file}.${process.pid}.tmp`;
    const header = Buffer.from(JSON.stringify({ version: 1, key: { exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval }, length: columns.length } satisfies FileHeader), 'utf8');
    const size = Buffer.alloc(4);
    size.writeUInt32LE(header.length, 0);
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      await mkdir(this.dir, { recursive: true });
      handle = await open(temp, 'w');
      await handle.writeFile(Buffer.concat([size, header, columns.toBytes()]));
      await handle.close();
      handle = undefined;
      await rename(temp, file);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      this.onError(`candle overview: cannot save ${file} (through ${temp}; the series stays in memory)`, error);
    }
  }

  private scheduleSave(key: CandleKey): void {
    if (!this.dir) return;
    const id = seriesId(key);
    const pending = this.saveTimers.get(id);
    if (pending) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.saveTimers.delete(id);
      const entry = this.entries.get(id);
      if (entry) void this.save(key, entry.columns);
    }, this.saveDelayMs);
    timer.unref?.();
    this.saveTimers.set(id, timer);
  }

  /** Whether the series is in memory now (a chart for it will not touch MongoDB). */
  has(key: CandleKey): boolean {
    return this.entries.has(seriesId(key));
  }

  /** The series' columns, read from MongoDB first if they are not held. */
  async columns(request: CandleKey): Promise<CandleColumns> {
    // The whole series, whatever window the caller asked for: a chart request carries from/to, and
    // building or checking with them would hold (or compare against) that window alone.
    const key: CandleKey = { exchangeName: request.exchangeName, symbol: request.symbol, interval: request.interval };
    const id = seriesId(key);
    const entry = this.entries.get(id);
    if (entry) {
      entry.usedAt = Date.now();
      this.maybeCheck(key, entry);
      return entry.columns;
    }
    let pending = this.building.get(id);
    if (!pending) {
      this.writtenWhileBuilding.set(id, []);
      pending = this.build(key).finally(() => {
        this.building.delete(id);
        this.writtenWhileBuilding.delete(id);
        if (this.deletedWhileBuilding.delete(id)) this.entries.delete(id);
      });
      this.building.set(id, pending);
    }
    return pending;
  }

  private async build(key: CandleKey): Promise<CandleColumns> {
    const id = seriesId(key);
    const partial = this.partials.get(id);
    this.partials.delete(id);
    const fromDisk = await this.load(key);
    if (!fromDisk && partial && partial.length > 0 && (await this.store.countRange(key)) === partial.length) {
      for (const written of this.writtenWhileBuilding.get(id) ?? []) partial.upsert(written);
      const now = Date.now();
      this.entries.set(id, { columns: partial, usedAt: now, checkedAt: now, writtenAt: now });
      this.evict();
      void this.save(key, partial);
      return partial;
    }
    if (fromDisk && partial) fromDisk.upsert(partial.range());
    if (fromDisk) {
      for (const written of this.writtenWhileBuilding.get(seriesId(key)) ?? []) fromDisk.upsert(written);
      // Compared with MongoDB on first use, in the background.
      const entry: Entry = { columns: fromDisk, usedAt: Date.now(), checkedAt: 0, writtenAt: 0 };
      this.entries.set(seriesId(key), entry);
      this.evict();
      this.maybeCheck(key, entry);
      return fromDisk;
    }
    const columns = new CandleColumns(4096);
    let batch: Candle[] = [];
    for await (const candle of this.store.stream(key)) {
      batch.push(candle);
      if (batch.length === 10_000) {
        columns.upsert(batch);
        batch = [];
      }
    }
    columns.upsert(batch);
    for (const written of this.writtenWhileBuilding.get(seriesId(key)) ?? []) columns.upsert(written);
    const now = Date.now();
    this.entries.set(seriesId(key), { columns, usedAt: now, checkedAt: now, writtenAt: now });
    this.evict();
    if (columns.length > 0) void this.save(key, columns);
    return columns;
  }

  /** Called by the store after each stored batch: the held series takes the same candles. */
  private written(key: CandleKey, candles: readonly Candle[]): void {
    const id = seriesId(key);
    const whileBuilding = this.writtenWhileBuilding.get(id);
    if (whileBuilding) return void whileBuilding.push([...candles]);
    const entry = this.entries.get(id);
    if (!entry) {
      let partial = this.partials.get(id);
      if (!partial) this.partials.set(id, (partial = new CandleColumns(candles.length)));
      partial.upsert(candles);
      this.evict();
      return;
    }
    entry.columns.upsert(candles);
    entry.writtenAt = Date.now();
    this.scheduleSave(key);
    this.evict();
  }

  /** Candles of the series were deleted: its copies (memory and disk) are dropped and read again on the next view. */
  private deleted(key: CandleKey): void {
    const id = seriesId(key);
    this.entries.delete(id);
    this.partials.delete(id);
    if (this.building.has(id)) this.deletedWhileBuilding.add(id);
    const timer = this.saveTimers.get(id);
    if (timer) clearTimeout(timer);
    this.saveTimers.delete(id);
    const file = this.fileOf(key);
    if (file) void rm(file, { force: true }).catch((error: unknown) => this.onError(`candle overview: cannot remove ${file} after a delete`, error));
  }

  private evict(): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.columns.length;
    for (const p of this.partials.values()) total += p.length;
    // Unviewed series go first: they only save a read, viewed ones are in use.
    for (const [id, p] of this.partials) {
      if (total <= this.maxCandles) return;
      this.partials.delete(id);
      total -= p.length;
    }
    if (total <= this.maxCandles) return;
    const byAge = [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [id, e] of byAge) {
      if (total <= this.maxCandles || this.entries.size === 1) break;
      this.entries.delete(id);
      total -= e.columns.length;
    }
  }

  /** In the background, at most every `checkEveryMs`: does MongoDB still hold what we hold? */
  private maybeCheck(key: CandleKey, entry: Entry): void {
    const now = Date.now();
    if (now - entry.checkedAt < this.checkEveryMs || now - entry.writtenAt < this.checkEveryMs) return;
    entry.checkedAt = now;
    void this.check(key, entry).catch((error: unknown) => {
      // Unverified is not served again: the next view reads the series from MongoDB.
      if (this.entries.get(seriesId(key)) === entry) this.entries.delete(seriesId(key));
      this.onError(`candle overview: cannot compare ${key.exchangeName} ${key.symbol} ${key.interval} with the database, dropped the cached copy`, error);
    });
  }

  private async check(key: CandleKey, entry: Entry): Promise<void> {
    const [count, first, last] = await Promise.all([this.store.countRange(key), this.store.oldestTimestamp(key), this.store.newestTimestamp(key)]);
    const columns = entry.columns;
    const same = count === columns.length && first === columns.oldest() && last === columns.newest();
    // Our own write in the meantime makes the comparison moot; the next check will see it settled.
    if (!same && this.entries.get(seriesId(key)) === entry && Date.now() - entry.writtenAt >= this.checkEveryMs) {
      this.entries.delete(seriesId(key));
      // Another program changed the series: the catalog's line for it is measured again too.
      await this.store.catalog.refresh(key);
      const file = this.fileOf(key);
      if (file) await rm(file, { force: true }).catch((error: unknown) => this.onError(`candle overview: cannot remove the stale ${file}`, error));
    }
  }
}

const overviews = new WeakMap<CandleStore, CandleOverview>();

/**
 * The overview that follows `store`'s writes, created on first use (one per store); `options`
 * apply when it is created (the app gives its directory and log with the store it creates).
 */
export function overviewOf(store: CandleStore, options?: CandleOverviewOptions): CandleOverview {
  let overview = overviews.get(store);
  if (!overview) {
    overview = new CandleOverview(store, options);
    overviews.set(store, overview);
  }
  return overview;
}
