import { z } from 'zod';
import { logLineSchema, type LogLine } from '../../../shared/domain/logs';
import { notificationSchema, type Notification } from '../../../shared/domain/notifications';
import type { AdapterName, Subsystem } from '../../../shared/domain/persist-matrix';
import { signalRowSchema, type SignalRow } from '../../../shared/domain/signals';
import type { ContextKey } from './contract';

const keyText = z.string().min(1, 'must not be empty').max(500, 'must be at most 500 characters');
/** A live run has no backtest frame, so its frameName may be empty. */
const frameText = z.string().max(500, 'must be at most 500 characters');

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where a value stops being plain JSON, so the error can name the field (z.json() only says "Invalid input"). */
function jsonProblem(value: unknown, path: (string | number)[], seen: Set<object>): { path: (string | number)[]; message: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, message: `${value} is not a JSON number` };
  if (typeof value !== 'object') return { path, message: `a ${typeof value} is not a JSON value` };
  if (seen.has(value)) return { path, message: 'a circular reference is not JSON' };
  if (value instanceof Date) return { path, message: 'a Date is not JSON; store a timestamp in ms' };
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return { path, message: 'only plain objects and arrays are JSON' };
  seen.add(value);
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [field, child] of entries) {
    const problem = jsonProblem(child, [...path, field], seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

export const jsonValueSchema = z.custom<JsonValue>().superRefine((value, ctx) => {
  const problem = jsonProblem(value, [], new Set());
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

/**
 * Everything that makes a subsystem: its context key (the parts, in the order of the MongoDB
 * compound unique index), its payload schema, its collection, and which adapters can hold it.
 */
export interface SubsystemDef<K extends ContextKey, V> {
  name: Subsystem;
  holds: string;
  keyParts: readonly (keyof K & string)[];
  keySchema: z.ZodType<K>;
  valueSchema: z.ZodType<V>;
  /** Collection name shared with @backtest-kit/mongo (its document layout: electron/core/backtest-kit/documents). */
  collection: string;
  allowed: readonly AdapterName[];
  /** Adapters that store the value itself (markdown text, JSONL lines) need the key from the value. */
  keyFromValue?: (value: V) => K;
}

const KEY_VALUE_STORES: readonly AdapterName[] = ['mongodb', 'local-file', 'in-memory', 'dummy'];

export type SessionKey = { strategyName: string; exchangeName: string; frameName: string; symbol: string; backtest: boolean };
export type StorageKey = { backtest: boolean; signalId: string };
export type RecentKey = { symbol: string; strategyName: string; exchangeName: string; frameName: string; backtest: boolean };
export type NotificationKey = { backtest: boolean; notificationId: string };
export type MemoryKey = { signalId: string; bucketName: string; memoryId: string };
export type StateKey = { signalId: string; bucketName: string };
export type DumpKey = { dumpId: string };
export type ReportKey = { reportName: string };
export type LogKey = { entryId: string };

export const SESSION = {
  name: 'session',
  holds: "per (strategy, exchange, frame, symbol, backtest): a strategy's session data",
  keyParts: ['strategyName', 'exchangeName', 'frameName', 'symbol', 'backtest'],
  keySchema: z.strictObject({ strategyName: keyText, exchangeName: keyText, frameName: frameText, symbol: keyText, backtest: z.boolean() }),
  valueSchema: jsonValueSchema,
  collection: 'session-items',
  allowed: KEY_VALUE_STORES,
} satisfies SubsystemDef<SessionKey, JsonValue>;

export const STORAGE = {
  name: 'storage',
  holds: 'signal rows: status (scheduled/opened/closed/cancelled), prices, pnl, close reason',
  keyParts: ['backtest', 'signalId'],
  keySchema: z.strictObject({ backtest: z.boolean(), signalId: keyText }),
  valueSchema: signalRowSchema,
  collection: 'storage-items',
  allowed: KEY_VALUE_STORES,
} satisfies SubsystemDef<StorageKey, SignalRow>;

export const RECENT = {
  name: 'recent',
  holds: 'the latest signal per (symbol, strategy, exchange, frame, backtest)',
  keyParts: ['symbol', 'strategyName', 'exchangeName', 'frameName', 'backtest'],
  keySchema: z.strictObject({ symbol: keyText, strategyName: keyText, exchangeName: keyText, frameName: frameText, backtest: z.boolean() }),
  valueSchema: signalRowSchema,
  collection: 'recent-items',
  allowed: KEY_VALUE_STORES,
} satisfies SubsystemDef<RecentKey, SignalRow>;

export const NOTIFICATION = {
  name: 'notification',
  holds: 'the notification inbox',
  keyParts: ['backtest', 'notificationId'],
  keySchema: z.strictObject({ backtest: z.boolean(), notificationId: keyText }),
  valueSchema: notificationSchema,
  collection: 'notification-items',
  allowed: KEY_VALUE_STORES,
  keyFromValue: (n: Notification) => ({ backtest: n.backtest, notificationId: n.notificationId }),
} satisfies SubsystemDef<NotificationKey, Notification>;

export const MEMORY = {
  name: 'memory',
  holds: "per (signalId, bucket, memoryId): a strategy's notes about a signal",
  keyParts: ['signalId', 'bucketName', 'memoryId'],
  keySchema: z.strictObject({ signalId: keyText, bucketName: keyText, memoryId: keyText }),
  valueSchema: jsonValueSchema,
  collection: 'memory-items',
  allowed: KEY_VALUE_STORES,
} satisfies SubsystemDef<MemoryKey, JsonValue>;

export const STATE = {
  name: 'state',
  holds: "per (signalId, bucket): a strategy's state for a signal",
  keyParts: ['signalId', 'bucketName'],
  keySchema: z.strictObject({ signalId: keyText, bucketName: keyText }),
  valueSchema: jsonValueSchema,
  collection: 'state-items',
  allowed: KEY_VALUE_STORES,
} satisfies SubsystemDef<StateKey, JsonValue>;

const markdownText = z.string().max(50 * 1024 * 1024, 'must be at most 50 MiB');

export const DUMP = {
  name: 'dump',
  holds: 'human-readable artifacts written as .md files',
  keyParts: ['dumpId'],
  keySchema: z.strictObject({ dumpId: keyText }),
  valueSchema: markdownText,
  collection: 'dump-items',
  allowed: ['markdown', 'in-memory', 'mongodb', 'dummy'],
} satisfies SubsystemDef<DumpKey, string>;

export const MARKDOWN = {
  name: 'markdown',
  holds: 'reports (disabled by default)',
  keyParts: ['reportName'],
  keySchema: z.strictObject({ reportName: keyText }),
  valueSchema: markdownText,
  collection: 'markdown-items',
  allowed: ['dummy', 'markdown', 'in-memory', 'mongodb'],
} satisfies SubsystemDef<ReportKey, string>;

export const LOG = {
  name: 'log',
  holds: 'one JSON object per line',
  keyParts: ['entryId'],
  keySchema: z.strictObject({ entryId: keyText }),
  valueSchema: logLineSchema,
  collection: 'log-items',
  allowed: ['jsonl', 'mongodb', 'in-memory', 'dummy'],
  keyFromValue: (line: LogLine) => ({ entryId: line.entryId }),
} satisfies SubsystemDef<LogKey, LogLine>;

export const SUBSYSTEM_DEFS = {
  session: SESSION,
  storage: STORAGE,
  recent: RECENT,
  notification: NOTIFICATION,
  memory: MEMORY,
  state: STATE,
  dump: DUMP,
  markdown: MARKDOWN,
  log: LOG,
} as const;

export type AnySubsystemDef = SubsystemDef<ContextKey, unknown>;

export function subsystemDef(name: Subsystem): AnySubsystemDef {
  return SUBSYSTEM_DEFS[name] as unknown as AnySubsystemDef;
}

/** Canonical text of a key: its parts in index order, used for maps, locks and the spool. */
export function canonicalKey(def: { keyParts: readonly string[] }, key: ContextKey): string {
  return JSON.stringify(def.keyParts.map((part) => key[part]));
}
