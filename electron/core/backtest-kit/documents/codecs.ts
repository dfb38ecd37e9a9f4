import type { LogLine } from '../../../../shared/domain/logs';
import type { Notification } from '../../../../shared/domain/notifications';
import type { Subsystem } from '../../../../shared/domain/persist-matrix';
import type { SignalRow } from '../../../../shared/domain/signals';
import {
  DUMP_ITEMS,
  LOG_ITEMS,
  MARKDOWN_ITEMS,
  MEMORY_ITEMS,
  NOTIFICATION_ITEMS,
  RECENT_ITEMS,
  SESSION_ITEMS,
  STATE_ITEMS,
  STORAGE_ITEMS,
  type CollectionDef,
} from './collections';
import { escapeName, fromStoredFieldNames, toStoredFieldNames } from './field-names';
import { LOG_PATHS, logLineFromDocument, logLineToDocument } from './log-entry';
import { NOTIFICATION_PATHS, notificationFromDocument, notificationToDocument } from './notification';
import { MONITOR_WRITER, type MonitorFields, type StoredDocument } from './schema';
import { SIGNAL_ROW_PATHS, signalRowFromPayload, signalRowProblems, signalRowToPayload } from './signal-row';
import { asRecord, defined, type Fields } from './values';

type Key = Record<string, string | boolean>;
type Where = string | number | boolean | ReadonlyArray<string | number | boolean>;

/** What one write puts in a document besides its key: the value fields ($set) and the monitor's fields. */
export interface DocumentWrite {
  set: Fields;
  monitor: MonitorFields;
}

/**
 * How one of our persist subsystems is stored as @backtest-kit/mongo documents: the collection,
 * the value -> document mapping and back, and where a value's fields live for queries.
 */
export interface DocumentCodec<V = unknown> {
  subsystem: Subsystem;
  collection: CollectionDef;
  /** Indexes the monitor's own list queries need, beyond backtest-kit's. */
  monitorIndexes: ReadonlyArray<Record<string, 1 | -1>>;
  toDocument(key: Key, value: V, now: number): DocumentWrite;
  fromDocument(doc: StoredDocument): V;
  /** The document path of a top-level field of the value (for `where` and `sortBy`). */
  path(field: string): string;
  /** The filter for `field == wanted`; the default is equality (or `$in`) on `path(field)`. */
  where(field: string, wanted: Where): Fields;
  /** Documents that count as present (Memory's soft delete hides `removed` ones). */
  live: Fields;
  /** `$set` that removes an entry in place instead of deleting the document (Memory). */
  softRemove?: Fields;
  /** What is wrong with a value read from `doc` (empty when nothing), for codecs whose reads are checked. */
  readProblems?(value: V, doc: StoredDocument): string[];
}

function equality(path: string, wanted: Where): Fields {
  return { [path]: Array.isArray(wanted) ? { $in: wanted } : wanted };
}


function payloadOf(doc: StoredDocument): Fields {
  return asRecord(fromStoredFieldNames(doc.payload));
}

/**
 * backtest-kit's `{id, data, when}` wrapper (session-items, state-items): the value is `data`,
 * `when` is the write time (its look-ahead guard hides a value from reads at earlier times).
 */
function wrapped<V>(subsystem: Subsystem, collection: CollectionDef, idOf: (key: Key) => string): DocumentCodec<V> {
  return {
    subsystem,
    collection,
    monitorIndexes: [],
    toDocument: (key, value, now) => ({ set: { payload: toStoredFieldNames({ id: idOf(key), data: value, when: now }), when: now }, monitor: {} }),
    fromDocument: (doc) => payloadOf(doc).data as V,
    path: (field) => `payload.data.${escapeName(field)}`,
    where(field, wanted) {
      return equality(this.path(field), wanted);
    },
    live: {},
  };
}

/** backtest-kit's session id: symbol:strategy:exchange[:frame]:backtest|live. */
export function sessionPayloadId(key: Key): string {
  const parts = [key.symbol, key.strategyName, key.exchangeName];
  if (key.frameName) parts.push(key.frameName);
  parts.push(key.backtest ? 'backtest' : 'live');
  return parts.join(':');
}

/** backtest-kit's state id: signalId_bucketName. */
export function statePayloadId(key: Key): string {
  return `${String(key.signalId)}_${String(key.bucketName)}`;
}

export const SESSION_CODEC = wrapped('session', SESSION_ITEMS, sessionPayloadId);
export const STATE_CODEC = wrapped('state', STATE_ITEMS, statePayloadId);

/** memory-items: payload {data, priority, removed, index, when}; top-level `removed` and `when`. */
export const MEMORY_CODEC: DocumentCodec = {
  subsystem: 'memory',
  collection: MEMORY_ITEMS,
  monitorIndexes: [],
  toDocument: (_key, value, now) => ({
    // `index` is the BM25 text backtest-kit searches; it defaults to the JSON of the value, as in its writeMemory.
    set: { payload: toStoredFieldNames({ data: value, priority: now, removed: false, index: JSON.stringify(value), when: now }), removed: false, when: now },
    monitor: {},
  }),
  fromDocument: (doc) => payloadOf(doc).data,
  path: (field) => `payload.data.${escapeName(field)}`,
  where(field, wanted) {
    return equality(this.path(field), wanted);
  },
  live: { removed: { $ne: true } },
  softRemove: { removed: true, 'payload.removed': true },
};

/** Payload fields signalRowToPayload can fill in from others when the row has none of its own. */
const DERIVED = ['pnl', 'currentPrice'] as const;

function signalRowCodec(subsystem: Subsystem, collection: CollectionDef, monitorIndexes: DocumentCodec['monitorIndexes']): DocumentCodec<SignalRow> {
  return {
    subsystem,
    collection,
    monitorIndexes,
    toDocument: (_key, row) => {
      const mapped = signalRowToPayload(row);
      const set: Fields = { payload: toStoredFieldNames(mapped) };
      // recent-items carries `when` (the row's tick time) beside the payload.
      if (collection === RECENT_ITEMS) set.when = row.updatedAt ?? row.closedAt ?? row.openedAt ?? row.scheduledAt ?? 0;
      // Fields filled in for backtest-kit (pnl from pnlPercent, currentPrice from priceClose) are not the row's own.
      const derived = DERIVED.filter((field) => row[field] === undefined && mapped[field] !== undefined);
      return { set, monitor: defined({ runId: row.runId, derived: derived.length > 0 ? derived : undefined }) };
    },
    fromDocument: (doc) => {
      const row = signalRowFromPayload(payloadOf(doc), { backtest: doc.backtest === true, runId: doc.monitor?.runId });
      for (const field of doc.monitor?.derived ?? []) delete (row as Record<string, unknown>)[field];
      return row;
    },
    // A bot's row is held to backtest-kit's rules, the monitor's own to ours.
    readProblems: (row, doc) => signalRowProblems(row, doc.monitor?.writer === MONITOR_WRITER),
    path: (field) => SIGNAL_ROW_PATHS[field] ?? `payload.${field}`,
    where(field, wanted) {
      return equality(this.path(field), wanted);
    },
    live: {},
  };
}

export const STORAGE_CODEC = signalRowCodec('storage', STORAGE_ITEMS, [{ backtest: 1, 'payload.status': 1, 'payload.closeTimestamp': 1 }]);
export const RECENT_CODEC = signalRowCodec('recent', RECENT_ITEMS, []);

export const NOTIFICATION_CODEC: DocumentCodec<Notification> = {
  subsystem: 'notification',
  collection: NOTIFICATION_ITEMS,
  monitorIndexes: [{ backtest: 1, 'payload.createdAt': -1 }],
  toDocument: (_key, n) => {
    const { payload, monitor } = notificationToDocument(n);
    return { set: { payload: toStoredFieldNames(payload) }, monitor };
  },
  fromDocument: (doc) => notificationFromDocument({ ...doc, payload: payloadOf(doc) }),
  path: (field) => NOTIFICATION_PATHS[field] ?? `payload.${field}`,
  where(field, wanted) {
    // A bot's notifications have no read flag: unread unless the monitor marked them.
    if (field === 'read' && wanted === false) return { 'monitor.read': { $ne: true } };
    return equality(this.path(field), wanted);
  },
  live: {},
};

export const LOG_CODEC: DocumentCodec<LogLine> = {
  subsystem: 'log',
  collection: LOG_ITEMS,
  monitorIndexes: [{ 'payload.timestamp': 1 }],
  toDocument: (_key, line) => {
    const { payload, monitor } = logLineToDocument(line);
    return { set: { payload: toStoredFieldNames(payload) }, monitor };
  },
  fromDocument: (doc) => logLineFromDocument({ ...doc, payload: payloadOf(doc) }),
  path: (field) => LOG_PATHS[field] ?? `payload.${field}`,
  where(field, wanted) {
    return equality(this.path(field), wanted);
  },
  live: {},
};

/** The monitor's text artifacts (not backtest-kit's): the text is the payload. */
function textCodec(subsystem: Subsystem, collection: CollectionDef): DocumentCodec<string> {
  return {
    subsystem,
    collection,
    monitorIndexes: [],
    toDocument: (_key, text) => ({ set: { payload: text }, monitor: {} }),
    fromDocument: (doc) => String(doc.payload),
    path: (field) => `payload.${field}`,
    where(field, wanted) {
      return equality(this.path(field), wanted);
    },
    live: {},
  };
}

export const DUMP_CODEC = textCodec('dump', DUMP_ITEMS);
export const MARKDOWN_CODEC = textCodec('markdown', MARKDOWN_ITEMS);

export const DOCUMENT_CODECS: Readonly<Record<Subsystem, DocumentCodec>> = {
  session: SESSION_CODEC as DocumentCodec,
  storage: STORAGE_CODEC as DocumentCodec,
  recent: RECENT_CODEC as DocumentCodec,
  notification: NOTIFICATION_CODEC as DocumentCodec,
  memory: MEMORY_CODEC,
  state: STATE_CODEC as DocumentCodec,
  dump: DUMP_CODEC as DocumentCodec,
  markdown: MARKDOWN_CODEC as DocumentCodec,
  log: LOG_CODEC as DocumentCodec,
};

export function documentCodec(subsystem: Subsystem): DocumentCodec {
  return DOCUMENT_CODECS[subsystem];
}
