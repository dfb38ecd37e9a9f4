import type { Connection } from 'mongoose';
import { SUBSYSTEMS, type Subsystem } from '../../../shared/domain/persist-matrix';
import { CANDLE_ITEMS, documentCodec, MONITOR_WRITER, type MonitorFields } from '../backtest-kit/documents';
import { fromStoredFieldNames } from '../backtest-kit/documents/field-names';
import { persistModel } from './adapters/mongo-adapter';
import { subsystemDef } from './subsystems';

/**
 * Migration of databases the monitor wrote before it stored @backtest-kit/mongo's layout: the
 * value under `data`, `updatedAt` / `insertedAt` as numbers, no `payload`, no Dates. Each such
 * document is rewritten in place (same `_id`, same key) in the new layout:
 *
 * - `payload` (and `when`, `removed`) from the value, as the document layer maps it;
 * - `createDate` / `updatedDate` from `insertedAt` / `updatedAt`;
 * - `monitor.writer`, `monitor.seq` (the old `insertedAt`), the monitor-only fields;
 * - the old document's fields, including the original `data`, kept under `monitor.legacy`.
 *
 * Nothing is deleted. A document is migrated by one atomic update that only matches while it is
 * still in the old layout, so a run can be stopped at any point and started again (resumable), and
 * a second run finds nothing to do (idempotent). Candle documents written without Dates get them
 * from their ObjectId's time.
 */

/** A previous-layout document: still has the old index field and no payload. */
const LEGACY = { insertedAt: { $exists: true }, payload: { $exists: false } } as const;
const CANDLE_WITHOUT_DATES = { createDate: { $exists: false } } as const;
const BATCH = 500;

export interface CollectionMigration {
  collection: string;
  /** Documents in the previous layout when the run started. */
  found: number;
  /** Rewritten by this run (0 on a dry run). */
  migrated: number;
  /** Could not be mapped: left exactly as they were, with the reason. */
  failed: number;
  failures: string[];
}

export interface MigrationReport {
  dryRun: boolean;
  collections: CollectionMigration[];
}

export interface MigrationOptions {
  dryRun: boolean;
  /** Progress lines (collection, done / total). */
  progress?: (line: string) => void;
}

type LegacyDoc = Record<string, unknown> & { _id: unknown; data?: unknown; updatedAt?: unknown; insertedAt?: unknown };

function stampToDate(stamp: unknown, fallback: Date): Date {
  // insertedAt was Date.now() * 1000 + a per-process counter; updatedAt was Date.now().
  if (typeof stamp !== 'number' || !Number.isFinite(stamp)) return fallback;
  return new Date(stamp > 1e14 ? Math.floor(stamp / 1000) : stamp);
}

/** The update that rewrites one legacy document of `subsystem` in the new layout. */
export function migrationUpdate(subsystem: Subsystem, doc: LegacyDoc, now = new Date()): { $set: Record<string, unknown>; $unset: Record<string, ''> } {
  const def = subsystemDef(subsystem);
  const codec = documentCodec(subsystem);
  const key = Object.fromEntries(def.keyParts.map((p) => [p, doc[p] as string | boolean]));
  for (const [part, value] of Object.entries(key)) {
    if (typeof value !== 'string' && typeof value !== 'boolean') throw new Error(`key field ${part} is missing`);
  }
  if (!('data' in doc)) throw new Error('no data field');
  const value = fromStoredFieldNames(doc.data);
  const updatedDate = stampToDate(doc.updatedAt, now);
  const { set, monitor } = codec.toDocument(key, value, updatedDate.getTime());
  const legacy = Object.fromEntries(Object.entries(doc).filter(([field]) => field !== '_id' && !def.keyParts.includes(field)));
  const monitorFields: MonitorFields = {
    ...monitor,
    writer: MONITOR_WRITER,
    ...(typeof doc.insertedAt === 'number' ? { seq: doc.insertedAt } : {}),
    legacy,
    migratedAt: now,
  };
  return {
    $set: { ...set, monitor: monitorFields, createDate: stampToDate(doc.insertedAt, updatedDate), updatedDate },
    $unset: { data: '', updatedAt: '', insertedAt: '' },
  };
}

async function migrateSubsystem(conn: Connection, subsystem: Subsystem, options: MigrationOptions): Promise<CollectionMigration> {
  const def = subsystemDef(subsystem);
  const model = persistModel(conn, def);
  const collection = conn.collection(def.collection);
  const found = await collection.countDocuments(LEGACY);
  const result: CollectionMigration = { collection: def.collection, found, migrated: 0, failed: 0, failures: [] };
  if (found === 0) return result;
  if (!options.dryRun) await model.init();
  let seen = 0;
  let lastId: unknown;
  for (;;) {
    // Keyset over _id: a failed document stays legacy and must not be fetched again.
    const filter: Record<string, unknown> = lastId === undefined ? { ...LEGACY } : { ...LEGACY, _id: { $gt: lastId } };
    const batch = (await collection.find(filter).sort({ _id: 1 }).limit(BATCH).toArray()) as LegacyDoc[];
    if (batch.length === 0) break;
    for (const doc of batch) {
      lastId = doc._id;
      seen++;
      let update: ReturnType<typeof migrationUpdate>;
      try {
        update = migrationUpdate(subsystem, doc);
      } catch (error) {
        result.failed++;
        if (result.failures.length < 20) result.failures.push(`${String(doc._id)}: ${(error as Error).message}`);
        continue;
      }
      if (options.dryRun) continue;
      const written = await collection.updateOne({ _id: doc._id as never, ...LEGACY }, update);
      if (written.modifiedCount > 0) result.migrated++;
    }
    options.progress?.(`${def.collection}: ${seen}/${found}`);
  }
  return result;
}

async function migrateCandleDates(conn: Connection, options: MigrationOptions): Promise<CollectionMigration> {
  const collection = conn.collection(CANDLE_ITEMS.name);
  const found = await collection.countDocuments(CANDLE_WITHOUT_DATES);
  const result: CollectionMigration = { collection: CANDLE_ITEMS.name, found, migrated: 0, failed: 0, failures: [] };
  if (found === 0 || options.dryRun) return result;
  for (;;) {
    const batch = await collection.find(CANDLE_WITHOUT_DATES, { projection: { _id: 1 } }).limit(BATCH).toArray();
    if (batch.length === 0) break;
    const ops = batch.map((doc) => {
      const id = doc._id as { getTimestamp?: () => Date };
      const at = typeof id.getTimestamp === 'function' ? id.getTimestamp() : new Date();
      return { updateOne: { filter: { _id: doc._id, ...CANDLE_WITHOUT_DATES }, update: { $set: { createDate: at, updatedDate: at } } } };
    });
    const written = await collection.bulkWrite(ops, { ordered: false });
    result.migrated += written.modifiedCount;
    options.progress?.(`${CANDLE_ITEMS.name}: ${result.migrated}/${found}`);
  }
  return result;
}

/** Migrates (or, dry, counts) every collection the monitor writes, one after the other. */
export async function migrateDatabase(conn: Connection, options: MigrationOptions): Promise<MigrationReport> {
  const collections: CollectionMigration[] = [];
  for (const subsystem of SUBSYSTEMS) collections.push(await migrateSubsystem(conn, subsystem, options));
  collections.push(await migrateCandleDates(conn, options));
  return { dryRun: options.dryRun, collections };
}

/**
 * Whether the database still holds documents in the previous layout (what the app tells the user
 * to migrate). One indexed look-up per collection: the old layout's `insertedAt` index.
 */
export async function legacyLayoutStatus(conn: Connection): Promise<{ needsMigration: boolean; collections: string[] }> {
  const collections: string[] = [];
  for (const subsystem of SUBSYSTEMS) {
    const name = subsystemDef(subsystem).collection;
    if (await conn.collection(name).findOne(LEGACY, { projection: { _id: 1 } })) collections.push(name);
  }
  return { needsMigration: collections.length > 0, collections };
}
