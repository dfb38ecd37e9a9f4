import type { Connection } from 'mongoose';
import type { CollectionDef } from './collections';
import { fromStoredFieldNames } from './field-names';
import { documentModel, type MonitorFields, type StoredDocument } from './schema';
import { millis } from './values';

/** One document of any @backtest-kit/mongo collection, read as the package stores it. */
export interface KitDocument {
  collection: string;
  /** The unique key's fields, in index order. */
  key: Record<string, unknown>;
  /** `payload` (or, for risk-items, `positions`; for candle-items, the OHLCV fields). */
  value: unknown;
  when?: number;
  removed?: boolean;
  createDate?: number;
  updatedDate?: number;
  monitor?: MonitorFields;
}

const OHLCV = ['open', 'high', 'low', 'close', 'volume'] as const;

export function kitDocument(def: CollectionDef, doc: StoredDocument): KitDocument {
  const key = Object.fromEntries(def.key.map((k) => [k, doc[k]]));
  const value =
    def.name === 'risk-items' ? doc.positions : def.name === 'candle-items' ? Object.fromEntries(OHLCV.map((f) => [f, doc[f]])) : fromStoredFieldNames(doc.payload);
  const out: KitDocument = { collection: def.name, key, value };
  if (typeof doc.when === 'number') out.when = doc.when;
  if (typeof doc.removed === 'boolean') out.removed = doc.removed;
  const created = millis(doc.createDate);
  const updated = millis(doc.updatedDate);
  if (created !== undefined) out.createDate = created;
  if (updated !== undefined) out.updatedDate = updated;
  if (doc.monitor) out.monitor = doc.monitor;
  return out;
}

/**
 * Reads documents of a collection (oldest `createDate` first), read-only: the monitor never
 * changes a document a bot wrote. `limit` bounds what a caller holds in memory.
 */
export async function readKitDocuments(conn: Connection, def: CollectionDef, filter: Record<string, unknown> = {}, limit = 1_000): Promise<KitDocument[]> {
  const model = documentModel<StoredDocument>(conn, def, { withMonitor: true, modelName: `read:${def.name}` });
  const docs = await model.find(filter).sort({ createDate: 1, _id: 1 }).limit(limit).lean<StoredDocument[]>();
  return docs.map((d) => kitDocument(def, d));
}
