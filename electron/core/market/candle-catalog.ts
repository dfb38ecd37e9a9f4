import type { Connection } from 'mongoose';
import type { CandleKey } from '../../../shared/candles';

/** The app's own collection (not a backtest-kit one): one small document per stored series. */
export const CATALOG_COLLECTION = 'candle-series-items';

/** What the catalog knows of one exchange/symbol/interval. */
export interface SeriesSummary extends CandleKey {
  count: number;
  /** Open time of the oldest candle, ms. */
  first: number;
  /** Open time of the newest candle, ms. */
  last: number;
}

interface SeriesDoc extends SeriesSummary {
  _id: string;
  kind: 'series';
  updatedAt: Date;
}

interface MetaDoc {
  _id: string;
  kind: 'meta';
  version: number;
  builtAt: Date;
  series: number;
}

type CatalogDoc = SeriesDoc | MetaDoc;

const META_ID = '#catalog';
const VERSION = 1;

const idOf = (key: CandleKey): string => JSON.stringify([key.exchangeName, key.symbol, key.interval]);

export interface CatalogSources {
  /** Every series as the candle collection holds it (one $group over all candles: the migration). */
  scanAll(): Promise<SeriesSummary[]>;
  /** One series measured from the candle collection (index look-ups and a count); undefined when it holds none. */
  measure(key: CandleKey): Promise<SeriesSummary | undefined>;
}

/**
 * The stored series, one document each, so listing what is stored never groups a million candle
 * documents. Kept current by the candle store's write path (insert, upsert, delete), which calls
 * `added` / `refresh` after each write; built once from the candles when a database has none
 * (existing databases, written before the catalog existed) and marked built by a meta document.
 * The store awaits `ensureBuilt` before each write, so a build never counts a write twice (a new,
 * empty database is built at once by its first write).
 * Writers outside this app (a backtest-kit bot writing candle-items) are not seen until `refresh`
 * of their series or a `rebuild`.
 */
export class SeriesCatalog {
  private built: Promise<void> | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly sources: CatalogSources,
  ) {}

  private get collection() {
    return this.connection.collection<CatalogDoc>(CATALOG_COLLECTION);
  }

  /** Builds the catalog once per database if it was never built (the migration of an existing database). */
  ensureBuilt(): Promise<void> {
    this.built ??= (async () => {
      const meta = await this.collection.findOne({ _id: META_ID });
      if (meta?.kind === 'meta' && meta.version === VERSION) return;
      await this.rebuild();
    })().catch((error: unknown) => {
      this.built = undefined; // tried again on the next call
      throw error;
    });
    return this.built;
  }

  /** Replaces the catalog with what the candle collection holds now (one scan of every candle). */
  async rebuild(): Promise<SeriesSummary[]> {
    const series = await this.sources.scanAll();
    const now = new Date();
    const ids = series.map(idOf);
    if (series.length > 0) {
      await this.collection.bulkWrite(
        series.map((s) => ({
          replaceOne: {
            filter: { _id: idOf(s) },
            replacement: { kind: 'series', exchangeName: s.exchangeName, symbol: s.symbol, interval: s.interval, count: s.count, first: s.first, last: s.last, updatedAt: now } as CatalogDoc,
            upsert: true,
          },
        })),
        { ordered: false },
      );
    }
    await this.collection.deleteMany({ kind: 'series', _id: { $nin: ids } });
    await this.collection.replaceOne({ _id: META_ID }, { kind: 'meta', version: VERSION, builtAt: now, series: series.length } as CatalogDoc, { upsert: true });
    return series;
  }

  /** Every series with at least one candle. */
  async list(): Promise<SeriesSummary[]> {
    await this.ensureBuilt();
    const docs = await this.collection.find({ kind: 'series', count: { $gt: 0 } }).toArray();
    return docs.map((d) => summaryOf(d as SeriesDoc));
  }

  async get(key: CandleKey): Promise<SeriesSummary | undefined> {
    await this.ensureBuilt();
    const doc = await this.collection.findOne({ _id: idOf(key) });
    return doc?.kind === 'series' && doc.count > 0 ? summaryOf(doc) : undefined;
  }

  /**
   * `inserted` new candles of `key` between `first` and `last` were stored (updates of stored ones
   * add nothing): one atomic update, so concurrent writers of the same series all count.
   */
  async added(key: CandleKey, inserted: number, first: number, last: number): Promise<void> {
    await this.collection.updateOne(
      { _id: idOf(key) },
      {
        $inc: { count: inserted },
        $min: { first },
        $max: { last },
        $set: { updatedAt: new Date() },
        $setOnInsert: { kind: 'series', exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval },
      } as never,
      { upsert: true },
    );
  }

  /** Measures one series again from the candles (after a delete, or when it was found to differ). */
  async refresh(key: CandleKey): Promise<SeriesSummary | undefined> {
    const measured = await this.sources.measure(key);
    if (!measured) {
      await this.collection.deleteOne({ _id: idOf(key) });
      return undefined;
    }
    await this.collection.replaceOne(
      { _id: idOf(key) },
      { kind: 'series', exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval, count: measured.count, first: measured.first, last: measured.last, updatedAt: new Date() } as CatalogDoc,
      { upsert: true },
    );
    return measured;
  }
}

function summaryOf(doc: SeriesDoc): SeriesSummary {
  return { exchangeName: doc.exchangeName, symbol: doc.symbol, interval: doc.interval, count: doc.count, first: doc.first, last: doc.last };
}
