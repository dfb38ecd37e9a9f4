import { Schema, type Connection, type Model, type SchemaDefinition } from 'mongoose';
import type { CollectionDef } from './collections';

/**
 * Where the monitor keeps what only it needs (a notification's read flag, run ids, titles, who
 * wrote the document). backtest-kit never reads or writes this field: its upserts `$set` only
 * `payload` (and `when`, `removed`, `positions`), so a bot's later write leaves it in place.
 */
export const MONITOR_FIELD = 'monitor';

/** `monitor.writer` of every document the monitor wrote; a document without it is a bot's (or legacy). */
export const MONITOR_WRITER = 'backtest-monitor';

/** The `monitor` sub-document. All optional: a bot's documents have none of it. */
export interface MonitorFields {
  writer?: string;
  /** Insertion order within one millisecond (createDate ties): set once, on insert. */
  seq?: number;
  read?: boolean;
  runId?: string;
  title?: string;
  message?: string;
  level?: string;
  source?: string;
  /** A log line's subject (what it concerns); the monitor's own, backtest-kit has none. */
  subject?: Record<string, unknown>;
  /** Payload fields the monitor filled in for backtest-kit that its own value did not hold. */
  derived?: string[];
  /** What the migration found in a previous-layout document and could not map: kept, never dropped. */
  legacy?: Record<string, unknown>;
  migratedAt?: Date;
}

/** A stored document as read with `lean()`: key fields, value fields, Dates, `monitor`. */
export type StoredDocument = Record<string, unknown> & {
  _id?: unknown;
  payload?: unknown;
  monitor?: MonitorFields;
  createDate?: Date;
  updatedDate?: Date;
};

/** Same options as @backtest-kit/mongo: mongoose timestamps renamed, empty objects kept, `__v`. */
const TIMESTAMPS = { createdAt: 'createDate', updatedAt: 'updatedDate' } as const;

/**
 * The mongoose schema of a collection exactly as @backtest-kit/mongo declares it, plus (when
 * `withMonitor`) the `monitor` sub-document and the monitor's own query indexes.
 */
export function documentSchema(def: CollectionDef, options: { withMonitor?: boolean; monitorIndexes?: ReadonlyArray<Record<string, 1 | -1>> } = {}): Schema {
  const fields: SchemaDefinition = { ...def.fields };
  if (def.key.length === 1) {
    // A one-field key: the single-field index IS the unique one (as log-items' `unique: true, index: true`).
    const only = def.key[0]!;
    fields[only] = { ...(fields[only] as object), unique: true, index: true };
  }
  if (options.withMonitor) fields[MONITOR_FIELD] = { type: Schema.Types.Mixed };
  const schema = new Schema(fields, { collection: def.name, timestamps: TIMESTAMPS, minimize: false, strict: true });
  if (def.key.length > 1) schema.index(Object.fromEntries(def.key.map((k) => [k, 1])), { unique: true });
  for (const index of def.extraIndexes ?? []) schema.index(index);
  for (const index of options.monitorIndexes ?? []) schema.index(index);
  return schema;
}

/** One model per (connection, collection); `name` keeps models of different shapes apart. */
export function documentModel<T = StoredDocument>(conn: Connection, def: CollectionDef, options: Parameters<typeof documentSchema>[1] & { modelName?: string } = {}): Model<T> {
  const name = options.modelName ?? `bk:${def.name}`;
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, documentSchema(def, options) as unknown as Schema<T>);
}
