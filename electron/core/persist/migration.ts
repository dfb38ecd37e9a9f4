import type { Connection } from 'mongoose';
import { SUBSYSTEMS, type Subsystem } from '../../../shared/domain/persist-matrix';
import { CANDLE_ITEMS } from '../backtest-kit/documents';
import { persistModel } from './adapters/mongo-adapter';
import { LEGACY, migrationUpdate, type LegacyDoc } from './legacy-layout';
import { subsystemDef } from './subsystems';

export { migrationUpdate } from './legacy-layout';

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

/** What the app reports about a database's layout: whether to migrate, and how many documents per collection. */
export interface LegacyLayoutCounts {
  needed: boolean;
  /** Previous-layout documents per collection (only collections that hold some). */
  collections: Record<string, number>;
}

/**
 * Like legacyLayoutStatus, with counts: the cheap look-up first, and a count only where it found
 * a document, so a database already in the new layout costs one `findOne` per collection.
 */
export async function legacyLayoutCounts(conn: Connection): Promise<LegacyLayoutCounts> {
  const { collections: names } = await legacyLayoutStatus(conn);
  const collections: Record<string, number> = {};
  for (const name of names) {
    const count = await conn.collection(name).countDocuments(LEGACY);
    if (count > 0) collections[name] = count;
  }
  return { needed: Object.keys(collections).length > 0, collections };
}
