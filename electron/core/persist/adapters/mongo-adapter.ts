import { Schema, type Connection, type Model, type QueryFilter, type SortOrder } from 'mongoose';
import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import { BaseCRUD } from '../../db/base-crud';
import type { ContextKey, ListPage, ListQuery, PersistAdapter } from '../contract';
import { resolvePaging } from '../query';
import { fromStoredFieldNames, toStoredFieldNames } from './mongo-field-names';
import { z } from 'zod';

/** A persisted entry in MongoDB: the context key parts at the top level (the unique index), the payload under `data`. */
export type PersistDoc = Record<string, unknown> & { data: unknown; updatedAt: number; insertedAt: number };

let insertCounter = 0;

/**
 * Set once, when a key is first stored (a schema default, which the upsert applies on insert
 * only). It gives every adapter the same "first written" order; `_id` order is not guaranteed to
 * be insertion order on every server. Microsecond-like resolution keeps one process's inserts apart.
 */
function insertionStamp(): number {
  insertCounter = (insertCounter + 1) % 1000;
  return Date.now() * 1000 + insertCounter;
}

interface MongoSubsystem {
  name: string;
  keyParts: readonly string[];
  keySchema: z.ZodType;
  collection: string;
  valueIndexes?: Array<Record<string, 1 | -1>>;
}

function modelName(def: MongoSubsystem): string {
  return `Persist_${def.name}`;
}

function persistSchema(def: MongoSubsystem): Schema<PersistDoc> {
  const shape = (def.keySchema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  const fields: Record<string, unknown> = {};
  for (const part of def.keyParts) {
    fields[part] = { type: shape[part] instanceof z.ZodBoolean ? Boolean : String, required: true };
  }
  const schema = new Schema<PersistDoc>(
    { ...fields, data: { type: Schema.Types.Mixed }, updatedAt: { type: Number, required: true }, insertedAt: { type: Number, default: insertionStamp } },
    // minimize: false keeps empty objects, so a payload of {} reads back as {} and not undefined.
    { versionKey: false, collection: def.collection, minimize: false, strict: true },
  );
  schema.index(Object.fromEntries(def.keyParts.map((p) => [p, 1])), { unique: true });
  schema.index({ insertedAt: 1 });
  for (const index of def.valueIndexes ?? []) schema.index(index);
  return schema;
}

export function persistModel(conn: Connection, def: MongoSubsystem): Model<PersistDoc> {
  const name = modelName(def);
  return (conn.models[name] as Model<PersistDoc> | undefined) ?? conn.model<PersistDoc>(name, persistSchema(def));
}

/**
 * The `<Name>DbService` of every persisted subsystem: one collection per subsystem (names and
 * compound unique keys as @backtest-kit/mongo), written with BaseCRUD's atomic upsert. Write
 * concern, including `wtimeoutMS`, comes from the connection string.
 */
export class PersistDbService extends BaseCRUD<PersistDoc> {
  constructor(
    conn: Connection,
    readonly def: MongoSubsystem,
  ) {
    super(persistModel(conn, def));
  }

  /** The write concern writes use; it comes from the connection string (`wtimeoutMS`, `w`). */
  get writeConcern(): { w?: unknown; wtimeoutMS?: number } | undefined {
    return (this.model.collection as unknown as { collection?: { writeConcern?: { w?: unknown; wtimeoutMS?: number } } }).collection?.writeConcern;
  }

  async ensureIndexes(): Promise<void> {
    await this.model.init();
  }

  keyFilter(key: Partial<ContextKey>): QueryFilter<PersistDoc> {
    const filter: Record<string, unknown> = {};
    for (const part of this.def.keyParts) if (key[part] !== undefined) filter[part] = key[part];
    return filter as QueryFilter<PersistDoc>;
  }

  pickKey(doc: Record<string, unknown>): ContextKey {
    return Object.fromEntries(this.def.keyParts.map((p) => [p, doc[p] as string | boolean]));
  }

  async findOneDoc(key: ContextKey): Promise<PersistDoc | null> {
    return this.model.findOne(this.keyFilter(key)).lean<PersistDoc>();
  }

  async findDocs(filter: QueryFilter<PersistDoc>, sort: Record<string, SortOrder>, offset: number, limit: number): Promise<PersistDoc[]> {
    return this.model.find(filter).sort(sort).skip(offset).limit(limit).lean<PersistDoc[]>();
  }

  async findKeys(filter: QueryFilter<PersistDoc>): Promise<ContextKey[]> {
    const projection = Object.fromEntries([...this.def.keyParts.map((p) => [p, 1]), ['_id', 0]]);
    const docs = await this.model.find(filter, projection).sort({ insertedAt: 1, _id: 1 }).lean<Record<string, unknown>[]>();
    return docs.map((d) => this.pickKey(d));
  }
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
    const doc = await (await this.service()).findOneDoc(key);
    return doc ? (fromStoredFieldNames(doc.data) as V) : null;
  }

  async write(key: K, value: V): Promise<void> {
    const service = await this.service();
    await service.upsert(service.keyFilter(key), { data: toStoredFieldNames(value), updatedAt: Date.now() });
  }

  async has(key: K): Promise<boolean> {
    const service = await this.service();
    return (await service.count(service.keyFilter(key))) > 0;
  }

  async remove(key: K): Promise<void> {
    const service = await this.service();
    await service.deleteByFilter(service.keyFilter(key));
  }

  async keys(filter: Partial<K> = {}): Promise<K[]> {
    const service = await this.service();
    return (await service.findKeys(service.keyFilter(filter))) as K[];
  }

  async list(query: ListQuery<K> = {}): Promise<ListPage<K, V>> {
    const { offset, limit } = resolvePaging(query);
    const service = await this.service();
    const filter: Record<string, unknown> = { ...service.keyFilter(query.key ?? {}) };
    for (const [field, wanted] of Object.entries(query.where ?? {})) {
      filter[`data.${field}`] = Array.isArray(wanted) ? { $in: wanted } : wanted;
    }
    const direction: SortOrder = query.order === 'desc' ? -1 : 1;
    // Insertion order breaks ties, matching the in-process adapters' stable sort.
    const natural: Record<string, SortOrder> = { insertedAt: direction, _id: direction };
    const sort: Record<string, SortOrder> = query.sortBy !== undefined ? { [`data.${query.sortBy}`]: direction, ...natural } : natural;
    const typed = filter as QueryFilter<PersistDoc>;
    const [docs, total] = await Promise.all([service.findDocs(typed, sort, offset, limit), service.count(typed)]);
    return { items: docs.map((d) => ({ key: service.pickKey(d) as K, value: fromStoredFieldNames(d.data) as V })), total, offset, limit };
  }

  async close(): Promise<void> {
    // The connection belongs to the ConnectionManager; nothing of ours to release.
  }
}
