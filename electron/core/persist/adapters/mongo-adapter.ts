import type { Connection, Model, QueryFilter, SortOrder } from 'mongoose';
import type { AdapterName, Subsystem } from '../../../../shared/domain/persist-matrix';
import { documentCodec, documentModel, MONITOR_WRITER, type DocumentCodec, type MonitorFields, type StoredDocument } from '../../backtest-kit/documents';
import { fromStoredFieldNames } from '../../backtest-kit/documents/field-names';
import { BaseCRUD } from '../../db/base-crud';
import { isDuplicateKeyError, toDuplicateKeyError } from '../../db/errors';
import { CorruptEntryError, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from '../contract';
import { LEGACY, migrationUpdate, type LegacyDoc } from '../legacy-layout';
import { resolvePaging } from '../query';

const UPSERT_RETRIES = 5;
/** Operations per unordered bulkWrite: a finished backtest's 10,000 rows go in ten round trips. */
export const BULK_CHUNK = 1_000;

/** The indexes (in the batch) and errors of the operations an unordered bulkWrite refused, or undefined for another failure. */
function refusedOperations(error: unknown): Array<{ index: number; error: unknown }> | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const raw = (error as { writeErrors: unknown }).writeErrors;
  const list = (Array.isArray(raw) ? raw : [raw]) as Array<{ index?: unknown; code?: unknown; errmsg?: unknown }>;
  if (list.some((e) => typeof e?.index !== 'number')) return undefined;
  return list.map((e) => ({ index: e.index as number, error: { code: e.code, message: typeof e.errmsg === 'string' ? e.errmsg : '' } }));
}

let insertCounter = 0;

/**
 * Set once, when the monitor first stores a key (`monitor.seq`, on insert only). It breaks ties
 * between documents created in the same millisecond (`createDate`), so every adapter lists in the
 * same "first written" order; server-made `_id`s are not in insertion order on every server.
 */
function insertionStamp(): number {
  insertCounter = (insertCounter + 1) % 1000;
  return Date.now() * 1000 + insertCounter;
}

interface MongoSubsystem {
  name: Subsystem;
  keyParts: readonly string[];
  collection: string;
}

/** The model of a subsystem's collection: @backtest-kit/mongo's schema plus the `monitor` field. */
export function persistModel(conn: Connection, def: MongoSubsystem): Model<StoredDocument> {
  const codec = documentCodec(def.name);
  return documentModel<StoredDocument>(conn, codec.collection, { withMonitor: true, monitorIndexes: codec.monitorIndexes, modelName: `persist:${codec.collection.name}` });
}

/**
 * The `<Name>DbService` of every persisted subsystem: one @backtest-kit/mongo collection, its
 * documents in that package's layout (see electron/core/backtest-kit/documents), written with
 * atomic upserts on the unique key. Write concern, including `wtimeoutMS`, comes from the
 * connection string.
 *
 * The monitor never rewrites or deletes a document it did not write (`monitor.writer`): a bot
 * caches every document's `_id` in Redis and trusts its own payload. On such a document a write
 * sets only the monitor's own fields (a notification's read flag).
 */
export class PersistDbService extends BaseCRUD<StoredDocument> {
  readonly codec: DocumentCodec;

  constructor(
    conn: Connection,
    readonly def: MongoSubsystem,
  ) {
    super(persistModel(conn, def));
    this.codec = documentCodec(def.name);
  }

  /** The write concern writes use; it comes from the connection string (`wtimeoutMS`, `w`). */
  get writeConcern(): { w?: unknown; wtimeoutMS?: number } | undefined {
    return (this.model.collection as unknown as { collection?: { writeConcern?: { w?: unknown; wtimeoutMS?: number } } }).collection?.writeConcern;
  }

  async ensureIndexes(): Promise<void> {
    await this.model.init();
  }

  keyFilter(key: Partial<ContextKey>): Record<string, unknown> {
    const filter: Record<string, unknown> = {};
    for (const part of this.def.keyParts) if (key[part] !== undefined) filter[part] = key[part];
    return filter;
  }

  /** Only documents that count as present (not soft-deleted). */
  liveFilter(key: Partial<ContextKey>): QueryFilter<StoredDocument> {
    return { ...this.keyFilter(key), ...this.codec.live } as QueryFilter<StoredDocument>;
  }

  pickKey(doc: Record<string, unknown>): ContextKey {
    return Object.fromEntries(this.def.keyParts.map((p) => [p, doc[p] as string | boolean]));
  }

  /**
   * The value of a document: backtest-kit's layout, or (not yet migrated) the previous one under
   * `data`. Values whose codec checks reads (signal rows) that fail it are refused with the field
   * at fault rather than handed on half-formed.
   */
  decode(doc: StoredDocument): unknown {
    if (doc.payload === undefined && 'data' in doc) return fromStoredFieldNames(doc.data);
    const value = this.codec.fromDocument(doc);
    const problems = this.codec.readProblems?.(value, doc) ?? [];
    if (problems.length > 0) throw new CorruptEntryError(`${this.collectionName} document ${String(doc._id)}`, problems.join('; '));
    return value;
  }

  async findOneDoc(key: ContextKey): Promise<StoredDocument | null> {
    return this.model.findOne(this.liveFilter(key)).lean<StoredDocument>();
  }

  async findDocs(filter: QueryFilter<StoredDocument>, sort: Record<string, SortOrder>, offset: number, limit: number): Promise<StoredDocument[]> {
    return this.model.find(filter).sort(sort).skip(offset).limit(limit).lean<StoredDocument[]>();
  }

  async findKeys(filter: QueryFilter<StoredDocument>, sort: Record<string, SortOrder> = naturalOrder(1), offset = 0, limit?: number): Promise<ContextKey[]> {
    const projection = Object.fromEntries([...this.def.keyParts.map((p) => [p, 1]), ['_id', 0]]);
    let query = this.model.find(filter, projection).sort(sort).skip(offset);
    if (limit !== undefined) query = query.limit(limit);
    const docs = await query.lean<Record<string, unknown>[]>();
    return docs.map((d) => this.pickKey(d));
  }

  /**
   * Upserts `value` under `key`. The filter includes `monitor.writer`, so on a document a bot wrote
   * the upsert's insert collides with the unique key (E11000); then only the monitor's fields are
   * set there (and a previous-layout document of ours is migrated to the new layout on the spot).
   */
  async writeValue(key: ContextKey, value: unknown): Promise<void> {
    await this.ready();
    const { set, monitor } = this.codec.toDocument(key, value, Date.now());
    const monitorSet = Object.fromEntries(Object.entries(monitor).map(([k, v]) => [`monitor.${k}`, v]));
    const keyFilter = this.keyFilter(key);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.model.updateOne(
          { ...keyFilter, 'monitor.writer': MONITOR_WRITER },
          { $set: { ...set, ...monitorSet }, $setOnInsert: { 'monitor.seq': insertionStamp() } },
          { upsert: true },
        );
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt >= UPSERT_RETRIES) throw toDuplicateKeyError(error, this.collectionName);
      }
      // A previous-layout document of ours (value under `data`): migrated on the spot, with the new
      // value, its old fields kept under monitor.legacy as `npm run db -- migrate` keeps them.
      const legacyDoc = (await this.model.collection.findOne({ ...keyFilter, ...LEGACY })) as LegacyDoc | null;
      if (legacyDoc) {
        const migrated = migrationUpdate(this.def.name, legacyDoc);
        const merged = { ...migrated.$set, ...set, monitor: { ...(migrated.$set.monitor as MonitorFields), ...monitor }, updatedDate: new Date() };
        const rewritten = await this.model.collection.updateOne({ _id: legacyDoc._id as never, ...LEGACY }, { $set: merged, $unset: migrated.$unset });
        if (rewritten.matchedCount > 0) return;
      }
      // A bot's document: leave its payload alone, touch only the monitor's fields (and not updatedDate).
      const foreign = await this.model.updateOne(
        { ...keyFilter, 'monitor.writer': { $ne: MONITOR_WRITER } },
        { $set: monitorSet },
        { timestamps: false },
      );
      if (foreign.matchedCount > 0) return;
      // Neither: another writer of ours inserted the key meanwhile; the next upsert updates it.
    }
  }

  /**
   * `writeValue` for many keys: the same upserts as one unordered bulkWrite per BULK_CHUNK entries.
   * The entries that collide with a bot's or a previous-layout document (E11000) are then written
   * one by one through `writeValue`, which knows how to treat those; any other refusal fails the
   * batch (the rest of its chunk has landed; rewriting them is harmless).
   */
  async writeValues(entries: readonly { key: ContextKey; value: unknown }[]): Promise<void> {
    await this.ready();
    for (let start = 0; start < entries.length; start += BULK_CHUNK) {
      const chunk = entries.slice(start, start + BULK_CHUNK);
      const now = Date.now();
      const operations = chunk.map(({ key, value }) => {
        const { set, monitor } = this.codec.toDocument(key, value, now);
        const monitorSet = Object.fromEntries(Object.entries(monitor).map(([k, v]) => [`monitor.${k}`, v]));
        return {
          updateOne: {
            filter: { ...this.keyFilter(key), 'monitor.writer': MONITOR_WRITER } as QueryFilter<StoredDocument>,
            update: { $set: { ...set, ...monitorSet }, $setOnInsert: { 'monitor.seq': insertionStamp() } },
            upsert: true,
          },
        };
      });
      let collided: number[] = [];
      try {
        await this.model.bulkWrite(operations, { ordered: false });
      } catch (error) {
        const refused = refusedOperations(error);
        if (!refused || refused.some((r) => !isDuplicateKeyError(r.error))) throw error;
        collided = refused.map((r) => r.index);
      }
      for (const index of collided) await this.writeValue(chunk[index]!.key, chunk[index]!.value);
    }
  }

  /** `removeKey` for many keys, one unordered bulkWrite per BULK_CHUNK keys. */
  async removeKeys(keys: readonly ContextKey[]): Promise<void> {
    for (let start = 0; start < keys.length; start += BULK_CHUNK) {
      const operations = keys.slice(start, start + BULK_CHUNK).map((key) => {
        const filter = { ...this.keyFilter(key), 'monitor.writer': MONITOR_WRITER } as QueryFilter<StoredDocument>;
        return this.codec.softRemove ? { updateOne: { filter, update: { $set: this.codec.softRemove } } } : { deleteMany: { filter } };
      });
      await this.model.bulkWrite(operations, { ordered: false });
    }
  }

  /** Deletes (or soft-deletes, for Memory) the key, but only a document the monitor wrote. */
  async removeKey(key: ContextKey): Promise<void> {
    const owned = { ...this.keyFilter(key), 'monitor.writer': MONITOR_WRITER } as QueryFilter<StoredDocument>;
    if (this.codec.softRemove) await this.model.updateOne(owned, { $set: this.codec.softRemove });
    else await this.model.deleteMany(owned);
  }
}

/** Oldest first (or newest first): creation time, then the monitor's insertion stamp, then `_id`. */
function naturalOrder(direction: 1 | -1): Record<string, SortOrder> {
  return { createDate: direction, 'monitor.seq': direction, _id: direction };
}

/**
 * The MongoDB adapter. The collection is prepared on first use, so a live persistence can be
 * created while the database is still unreachable (its writes are spooled meanwhile).
 */
export class MongoAdapter<K extends ContextKey, V> implements PersistAdapter<K, V> {
  readonly adapter: AdapterName = 'mongodb';
  private ready: { conn: Connection; service: Promise<PersistDbService> } | undefined;

  constructor(
    private readonly connection: () => Connection,
    private readonly def: MongoSubsystem,
  ) {}

  /** Follows the ConnectionManager to a new connection object if it ever replaces the old one. */
  private service(): Promise<PersistDbService> {
    const conn = this.connection();
    if (this.ready?.conn !== conn) {
      const ready = {
        conn,
        service: (async () => {
          const service = new PersistDbService(conn, this.def);
          await service.ensureIndexes();
          return service;
        })(),
      };
      ready.service.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
      this.ready = ready;
    }
    return this.ready.service;
  }

  async read(key: K): Promise<V | null> {
    const service = await this.service();
    const doc = await service.findOneDoc(key);
    return doc ? (service.decode(doc) as V) : null;
  }

  async write(key: K, value: V): Promise<void> {
    await (await this.service()).writeValue(key, value);
  }

  async writeMany(entries: readonly Entry<K, V>[]): Promise<void> {
    if (entries.length > 0) await (await this.service()).writeValues(entries);
  }

  async removeMany(keys: readonly K[]): Promise<void> {
    if (keys.length > 0) await (await this.service()).removeKeys(keys);
  }

  async has(key: K): Promise<boolean> {
    const service = await this.service();
    return (await service.count(service.liveFilter(key))) > 0;
  }

  async remove(key: K): Promise<void> {
    await (await this.service()).removeKey(key);
  }

  async keys(filter: Partial<K> = {}): Promise<K[]> {
    const service = await this.service();
    return (await service.findKeys(service.liveFilter(filter))) as K[];
  }

  /** The filter and sort of a `list` query. */
  private listQuery(service: PersistDbService, query: ListQuery<K>): { filter: QueryFilter<StoredDocument>; sort: Record<string, SortOrder> } {
    const clauses: Record<string, unknown>[] = [];
    for (const [field, wanted] of Object.entries(query.where ?? {})) clauses.push(service.codec.where(field, wanted));
    const filter = {
      ...service.liveFilter(query.key ?? {}),
      ...(query.ownOnly ? { 'monitor.writer': MONITOR_WRITER } : {}),
      ...(clauses.length > 0 ? { $and: clauses } : {}),
    } as QueryFilter<StoredDocument>;
    const direction = query.order === 'desc' ? -1 : 1;
    // Insertion order breaks ties, matching the in-process adapters' stable sort.
    const natural = naturalOrder(direction);
    const sort: Record<string, SortOrder> = query.sortBy !== undefined ? { [service.codec.path(query.sortBy)]: direction, ...natural } : natural;
    return { filter, sort };
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    const { offset, limit } = resolvePaging(query);
    const service = await this.service();
    const { filter, sort } = this.listQuery(service, query);
    const [docs, total] = await Promise.all([service.findDocs(filter, sort, offset, limit), service.count(filter)]);
    return { items: docs.map((d) => ({ key: service.pickKey(d) as K, value: service.decode(d) as V })), total, offset, limit };
  }

  /** `list`'s keys only: the key fields are fetched, no value is decoded, nothing is counted. */
  async listKeys(query: ListQuery<K>): Promise<K[]> {
    const { offset, limit } = resolvePaging(query);
    const service = await this.service();
    const { filter, sort } = this.listQuery(service, query);
    return (await service.findKeys(filter, sort, offset, limit)) as K[];
  }

  async close(): Promise<void> {
    // The connection belongs to the ConnectionManager; nothing of ours to release.
  }
}
