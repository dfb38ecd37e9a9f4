import type { Connection, Model, QueryFilter, SortOrder } from 'mongoose';
import type { AdapterName, Subsystem } from '../../../../shared/domain/persist-matrix';
import { documentCodec, documentModel, MONITOR_WRITER, type DocumentCodec, type MonitorFields, type StoredDocument } from '../../backtest-kit/documents';
import { fromStoredFieldNames } from '../../backtest-kit/documents/field-names';
import { BaseCRUD } from '../../db/base-crud';
import { DuplicateKeyError, isDuplicateKeyError, toDuplicateKeyError } from '../../db/errors';
import { CorruptEntryError, type ContextKey, type Entry, type ListPage, type ListQuery, type PersistAdapter } from '../contract';
import { LEGACY, migrationUpdate, type LegacyDoc } from '../legacy-layout';
import { resolvePaging } from '../query';

const UPSERT_RETRIES = 5;
/** Key lookups in flight at once when a batch's keys are already taken (one indexed findOne each). */
const LOOKUP_CONCURRENCY = 8;
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

/** One entry ready to write: its key, the value's fields and the monitor's (as `$set` paths too). */
interface PreparedWrite {
  key: ContextKey;
  set: Record<string, unknown>;
  monitor: MonitorFields;
  monitorSet: Record<string, unknown>;
  now: number;
}

/** What a key lookup needs of the document holding the key. */
interface Holder {
  _id: unknown;
  monitor?: { writer?: unknown };
  insertedAt?: unknown;
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

  /** What writing `value` under `key` sets: the value's fields and the monitor's, as the codec maps them. */
  private prepare(key: ContextKey, value: unknown, now: number): PreparedWrite {
    const { set, monitor } = this.codec.toDocument(key, value, now);
    const monitorSet = Object.fromEntries(Object.entries(monitor).map(([k, v]) => [`monitor.${k}`, v]));
    return { key, set, monitor, monitorSet, now };
  }

  /**
   * The document a new key gets: what mongoose's upsert on (key, monitor.writer) inserted before
   * (the key, the value's fields, the monitor's with writer and insertion stamp, both timestamps
   * and `__v`), built here because it goes in with a plain insert.
   */
  private newDocument(write: PreparedWrite): Record<string, unknown> {
    const at = new Date(write.now);
    return {
      ...this.keyFilter(write.key),
      ...write.set,
      monitor: { writer: MONITOR_WRITER, seq: insertionStamp(), ...write.monitor },
      __v: 0,
      createDate: at,
      updatedDate: at,
    };
  }

  /**
   * Who holds each key now: `_id`, writer and (legacy layout) `insertedAt`, or undefined where no
   * document has it. Queries name exactly the unique key's fields (or `$in` on a one-field key),
   * the only shape mongo-java-server answers from the index; anything more scans the collection.
   */
  private async holders(keys: readonly ContextKey[]): Promise<Array<Holder | undefined>> {
    const projection = { _id: 1, 'monitor.writer': 1, insertedAt: 1 };
    const collection = this.model.collection;
    if (this.def.keyParts.length === 1) {
      const [part] = this.def.keyParts as [string];
      const found = (await collection.find({ [part]: { $in: keys.map((k) => k[part]) } }, { projection: { ...projection, [part]: 1 } }).toArray()) as Array<Holder & Record<string, unknown>>;
      const byValue = new Map(found.map((doc) => [doc[part], doc]));
      return keys.map((k) => byValue.get(k[part]));
    }
    const out: Array<Holder | undefined> = new Array(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < keys.length; i = next++) out[i] = ((await collection.findOne(this.keyFilter(keys[i]!), { projection })) as Holder | null) ?? undefined;
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, keys.length) }, worker));
    return out;
  }

  /**
   * Stores `value` under `key`. The key is looked up first (an index query): a new key is
   * inserted (an insert never overwrites: E11000 means another writer got there first, and the
   * lookup is repeated); our own document is updated by `_id`; on a document a bot wrote only the
   * monitor's fields are set; a previous-layout document of ours is migrated on the spot.
   */
  async writeValue(key: ContextKey, value: unknown): Promise<void> {
    await this.ready();
    await this.writeOne(this.prepare(key, value, Date.now()));
  }

  private async writeOne(write: PreparedWrite): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const [holder] = await this.holders([write.key]);
      try {
        if (await this.writeTo(holder, write)) return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt >= UPSERT_RETRIES) throw toDuplicateKeyError(error, this.collectionName);
        continue;
      }
      // The document went away (removed) or changed hands (migrated) between the lookup and the write.
      if (attempt >= UPSERT_RETRIES) throw new Error(`${this.collectionName}: could not write ${JSON.stringify(write.key)}: its document kept changing under ${UPSERT_RETRIES} attempts`);
    }
  }

  /** Writes to what the lookup found; false when that document was gone by the time of the write. */
  private async writeTo(holder: Holder | undefined, write: PreparedWrite): Promise<boolean> {
    if (!holder) {
      await this.model.collection.insertOne(this.newDocument(write));
      return true;
    }
    // `_id` alone is safe: a document's writer never changes (a migrated one keeps ours, and a bot's
    // deleted and written again is another `_id`), and it is the one filter answered from an index.
    if (holder.monitor?.writer === MONITOR_WRITER) {
      const updated = await this.model.updateOne({ _id: holder._id } as QueryFilter<StoredDocument>, { $set: { ...write.set, ...write.monitorSet } });
      return updated.matchedCount > 0;
    }
    if (holder.insertedAt !== undefined) {
      // A previous-layout document of ours (value under `data`): migrated on the spot, with the new
      // value, its old fields kept under monitor.legacy as `npm run db -- migrate` keeps them.
      const legacyDoc = (await this.model.collection.findOne({ _id: holder._id as never })) as LegacyDoc | null;
      if (legacyDoc && legacyDoc.payload === undefined && legacyDoc.insertedAt !== undefined) {
        const migrated = migrationUpdate(this.def.name, legacyDoc);
        const merged = { ...migrated.$set, ...write.set, monitor: { ...(migrated.$set.monitor as MonitorFields), ...write.monitor }, updatedDate: new Date() };
        // Guarded by the layout: two writers migrating at once, only one rewrites (a rare, one-off scan).
        const rewritten = await this.model.collection.updateOne({ _id: holder._id as never, ...LEGACY }, { $set: merged, $unset: migrated.$unset });
        return rewritten.matchedCount > 0;
      }
    }
    // A bot's document: leave its payload alone, touch only the monitor's fields (and not updatedDate).
    // A value with no field of the monitor's (State, Memory) cannot be stored there: refused, as before.
    if (Object.keys(write.monitorSet).length === 0) {
      throw new DuplicateKeyError(this.collectionName, Object.fromEntries(this.def.keyParts.map((p) => [p, 1])), this.keyFilter(write.key));
    }
    const foreign = await this.model.updateOne({ _id: holder._id } as QueryFilter<StoredDocument>, { $set: write.monitorSet }, { timestamps: false });
    return foreign.matchedCount > 0;
  }

  /**
   * `writeValue` for many keys, BULK_CHUNK at a time: a key written twice keeps its last value;
   * every entry is first tried as a new document in one unordered insertMany (the common case: a
   * burst of new notifications or signal rows is one round trip); the keys already taken are
   * looked up by index, ours updated by `_id` in one unordered bulkWrite, and a bot's or a
   * previous-layout document handled one by one as `writeValue` does. Any refusal other than
   * E11000 fails the batch (what landed stays; rewriting it is harmless).
   */
  async writeValues(entries: readonly { key: ContextKey; value: unknown }[]): Promise<void> {
    await this.ready();
    const latest = new Map<string, { key: ContextKey; value: unknown }>();
    for (const entry of entries) {
      const id = JSON.stringify(this.def.keyParts.map((p) => entry.key[p]));
      latest.delete(id);
      latest.set(id, entry);
    }
    const unique = [...latest.values()];
    for (let start = 0; start < unique.length; start += BULK_CHUNK) {
      const now = Date.now();
      const writes = unique.slice(start, start + BULK_CHUNK).map(({ key, value }) => this.prepare(key, value, now));
      const taken = await this.insertNew(writes);
      if (taken.length > 0) await this.updateTaken(taken);
    }
  }

  /** Inserts each write as a new document; returns those whose key was already taken. */
  private async insertNew(writes: readonly PreparedWrite[]): Promise<PreparedWrite[]> {
    try {
      await this.model.collection.insertMany(
        writes.map((w) => this.newDocument(w)),
        { ordered: false },
      );
      return [];
    } catch (error) {
      const refused = refusedOperations(error);
      if (!refused || refused.some((r) => !isDuplicateKeyError(r.error))) throw error;
      return refused.map((r) => writes[r.index]!);
    }
  }

  private async updateTaken(writes: readonly PreparedWrite[]): Promise<void> {
    const holders = await this.holders(writes.map((w) => w.key));
    const own: Array<{ write: PreparedWrite; _id: unknown }> = [];
    const rest: PreparedWrite[] = [];
    writes.forEach((write, i) => {
      const holder = holders[i];
      if (holder?.monitor?.writer === MONITOR_WRITER) own.push({ write, _id: holder._id });
      else rest.push(write);
    });
    if (own.length > 0) {
      const operations = own.map(({ write, _id }) => ({
        updateOne: { filter: { _id } as QueryFilter<StoredDocument>, update: { $set: { ...write.set, ...write.monitorSet } } },
      }));
      const result = await this.model.bulkWrite(operations, { ordered: false });
      // Some were removed between the lookup and the update: those go the one-by-one way (rewriting the others is harmless).
      if (result.matchedCount < own.length) rest.push(...own.map((o) => o.write));
    }
    for (const write of rest) await this.writeOne(write);
  }

  /**
   * Deletes (or soft-deletes, for Memory) the keys, but only documents the monitor wrote: looked up
   * by key, then removed by `_id` in one unordered bulkWrite per BULK_CHUNK (index queries only,
   * see `holders`). A bot's document under one of the keys stays as it is.
   */
  async removeKeys(keys: readonly ContextKey[]): Promise<void> {
    await this.ready();
    for (let start = 0; start < keys.length; start += BULK_CHUNK) {
      const holders = await this.holders(keys.slice(start, start + BULK_CHUNK));
      const operations = holders.flatMap((holder) => {
        if (holder?.monitor?.writer !== MONITOR_WRITER) return [];
        const filter = { _id: holder._id } as QueryFilter<StoredDocument>;
        return [this.codec.softRemove ? { updateOne: { filter, update: { $set: this.codec.softRemove } } } : { deleteOne: { filter } }];
      });
      if (operations.length > 0) await this.model.bulkWrite(operations, { ordered: false });
    }
  }

  /** `removeKeys` of one key. */
  async removeKey(key: ContextKey): Promise<void> {
    await this.removeKeys([key]);
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

  /** `list`'s total only: one count, no documents fetched or sorted (mongo-java-server sorts every match for a page of one). */
  async count(query: ListQuery<K> = {}): Promise<number> {
    const service = await this.service();
    return service.count(this.listQuery(service, query).filter);
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
