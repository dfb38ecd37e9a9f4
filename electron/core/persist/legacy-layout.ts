import type { Subsystem } from '../../../shared/domain/persist-matrix';
import { documentCodec, MONITOR_WRITER, type MonitorFields } from '../backtest-kit/documents';
import { fromStoredFieldNames } from '../backtest-kit/documents/field-names';
import { subsystemDef } from './subsystems';

/**
 * The previous layout (value under `data`, numeric `updatedAt` / `insertedAt`) and the update that
 * rewrites one such document in @backtest-kit/mongo's layout. Used by the migration command and by
 * the MongoDB adapter when it writes a key still stored the old way.
 */

/** A previous-layout document: still has the old index field and no payload. */
export const LEGACY = { insertedAt: { $exists: true }, payload: { $exists: false } } as const;

export type LegacyDoc = Record<string, unknown> & { _id: unknown; data?: unknown; updatedAt?: unknown; insertedAt?: unknown };

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

