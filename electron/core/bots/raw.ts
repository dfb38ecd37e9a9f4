import type mongoose from 'mongoose';

export type Db = mongoose.mongo.Db;
export type RawDocument = Record<string, unknown>;

/**
 * The collections @backtest-kit/mongo defines (19.5.0 and 20.1.0). The monitor only ever reads
 * them here: a bot keeps a Redis cache of every document's id, so a document changed or deleted
 * behind its back would leave the bot with a stale view.
 */
export const BOT_COLLECTIONS = {
  candle: 'candle-items',
  signal: 'signal-items',
  schedule: 'schedule-items',
  strategy: 'strategy-items',
  risk: 'risk-items',
  partial: 'partial-items',
  breakeven: 'breakeven-items',
  storage: 'storage-items',
  notification: 'notification-items',
  memory: 'memory-items',
  recent: 'recent-items',
  state: 'state-items',
  session: 'session-items',
} as const;

export type BotCollection = (typeof BOT_COLLECTIONS)[keyof typeof BOT_COLLECTIONS];

export function isRecord(value: unknown): value is RawDocument {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown): RawDocument | undefined {
  return isRecord(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A Date (or what a driver or a JSON copy made of one) as epoch milliseconds. */
export function millis(value: unknown): number | undefined {
  if (value instanceof Date) {
    const t = value.getTime();
    return Number.isFinite(t) && t >= 0 ? t : undefined;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.trunc(value);
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isFinite(t) && t >= 0 ? t : undefined;
  }
  return undefined;
}

/**
 * Documents as plain JSON-safe values for the contract: ObjectIds and Dates become strings and
 * epoch ms, and the driver's internal fields go.
 */
export function plain(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]';
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'bigint') return value.toString();
    return value;
  }
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsonType === 'string') return String(value);
  const out: RawDocument = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '__v') continue;
    out[k] = plain(v, depth + 1);
  }
  return out;
}

export function plainRecord(value: unknown): RawDocument | null {
  const p = plain(value);
  return isRecord(p) ? p : null;
}
