import {
  BOT_NOTIFICATION_LIMIT,
  BOT_SIGNAL_LIMIT,
  botIdOf,
  type BotDetail,
  type BotKey,
  type BotLivePnl,
  type BotMode,
  type BotPosition,
  type BotStats,
  type BotSummary,
} from '../../../shared/contract/bots';
import type { Notification } from '../../../shared/domain/notifications';
import { lifetimeFromPayload } from '../backtest-kit/documents/signal-row';
import { notificationFromDocument } from './bot-notifications';
import { livePnl } from './live-pnl';
import { BOT_COLLECTIONS as C, millis, num, plain, plainRecord, record, str, type Db, type RawDocument } from './raw';

/** Most bots a list returns (newest activity first). */
export const MAX_BOTS = 1000;
/** Most distinct keys read from one collection while discovering bots. */
const MAX_KEYS_PER_COLLECTION = 5000;
const MAX_STATE_ROWS = 500;
const MAX_LEVEL_ROWS = 200;
/** A read the user waits for must not hang on a huge collection. */
const MAX_TIME_MS = 10_000;

interface Triple {
  strategyName: string;
  exchangeName: string;
  symbol: string;
}

interface Found {
  key: BotKey;
  collections: Set<string>;
  lastActivity?: number;
}

const tripleId = (t: Triple): string => JSON.stringify([t.strategyName, t.exchangeName, t.symbol]);
const modeOf = (backtest: unknown): BotMode => (backtest === true ? 'backtest' : 'live');

function tripleOf(fields: RawDocument | undefined): Triple | undefined {
  const strategyName = str(fields?.strategyName);
  const exchangeName = str(fields?.exchangeName);
  const symbol = str(fields?.symbol);
  if (!strategyName || !exchangeName || !symbol) return undefined;
  return { strategyName, exchangeName, symbol };
}

/**
 * A signal payload with its lifetime as backtest-kit means it: null (a trip through JSON) or the
 * monitor's older 0 is Infinity, as the document reader reads it (plain() then shows "Infinity").
 */
function withLifetime(payload: unknown): unknown {
  const p = record(payload);
  return p && 'minuteEstimatedTime' in p ? { ...p, minuteEstimatedTime: lifetimeFromPayload(p.minuteEstimatedTime) } : payload;
}

/** Live positions carry frameName "": that, not a flag, tells a live signal-items row from a persisted backtest's. */
function keyOfSignalRow(doc: RawDocument): BotKey | undefined {
  const triple = tripleOf(doc);
  if (!triple) return undefined;
  const frameName = str(record(doc.payload)?.frameName) ?? '';
  return { ...triple, frameName, mode: frameName === '' ? 'live' : 'backtest' };
}

function positionOf(payload: RawDocument | null): BotPosition | undefined {
  if (!payload) return undefined;
  const side = payload.position;
  const signalId = str(payload.id);
  const priceOpen = num(payload.priceOpen);
  const priceTakeProfit = num(payload.priceTakeProfit);
  const priceStopLoss = num(payload.priceStopLoss);
  if ((side !== 'long' && side !== 'short') || !signalId || priceOpen === undefined || priceTakeProfit === undefined || priceStopLoss === undefined) return undefined;
  const out: BotPosition = { signalId, position: side, priceOpen, priceTakeProfit, priceStopLoss };
  const pendingAt = num(payload.pendingAt);
  const cost = num(payload.cost);
  if (pendingAt !== undefined && pendingAt >= 0) out.pendingAt = Math.trunc(pendingAt);
  if (cost !== undefined) out.cost = cost;
  return out;
}

/** Closed-signal statistics over storage rows (IStorageSignalRow: status, pnl.pnlPercentage, closeReason). */
export function statsOf(rows: readonly RawDocument[]): BotStats {
  const pnls: number[] = [];
  let cancelled = 0;
  let totalPnlCost = 0;
  const byCloseReason: Record<string, number> = {};
  for (const row of rows) {
    if (row.status === 'cancelled') cancelled++;
    if (row.status !== 'closed') continue;
    const pnl = record(row.pnl);
    const pct = num(pnl?.pnlPercentage) ?? num(row.pnlPercentage);
    if (pct === undefined) continue;
    pnls.push(pct);
    totalPnlCost += num(pnl?.pnlCost) ?? 0;
    const reason = str(row.closeReason) ?? 'unknown';
    byCloseReason[reason] = (byCloseReason[reason] ?? 0) + 1;
  }
  const wins = pnls.filter((p) => p > 0).length;
  const grossWin = pnls.filter((p) => p > 0).reduce((a, b) => a + b, 0);
  const grossLoss = -pnls.filter((p) => p < 0).reduce((a, b) => a + b, 0);
  const total = pnls.reduce((a, b) => a + b, 0);
  const stats: BotStats = {
    closed: pnls.length,
    cancelled,
    wins,
    losses: pnls.filter((p) => p < 0).length,
    totalPnlPercent: total,
    totalPnlCost,
    byCloseReason,
  };
  if (pnls.length > 0) {
    stats.winRate = (wins / pnls.length) * 100;
    stats.avgPnlPercent = total / pnls.length;
    stats.bestPnlPercent = Math.max(...pnls);
    stats.worstPnlPercent = Math.min(...pnls);
  }
  if (grossLoss > 0) stats.profitFactor = grossWin / grossLoss;
  return stats;
}

/** Bots found so far, by botIdOf. */
export type BotIndex = Map<string, Found>;

function addFound(found: BotIndex, key: BotKey, collection: string, last?: number): void {
  const id = botIdOf(key);
  let f = found.get(id);
  if (!f) found.set(id, (f = { key, collections: new Set() }));
  f.collections.add(collection);
  if (last !== undefined && (f.lastActivity === undefined || last > f.lastActivity)) f.lastActivity = last;
}

function addPositions(found: BotIndex, positions: { signals: RawDocument[]; schedules: RawDocument[] }): void {
  for (const [c, docs] of [
    [C.signal, positions.signals],
    [C.schedule, positions.schedules],
  ] as const) {
    for (const doc of docs) {
      const key = keyOfSignalRow(doc);
      if (key) addFound(found, key, c, millis(doc.updatedDate));
    }
  }
}

/**
 * The bots a (strategy, exchange, symbol) document belongs to: the live bot of that triple if
 * there is one, else its backtest bots, else a new live bot (frame "").
 */
function attachTriple(found: BotIndex, triple: Triple, mode: BotMode | undefined): BotKey[] {
  const same = [...found.values()].map((f) => f.key).filter((k) => tripleId(k) === tripleId(triple) && (mode === undefined || k.mode === mode));
  const live = same.filter((k) => k.mode === 'live');
  if (live.length > 0) return live;
  if (same.length > 0) return same;
  return [{ ...triple, frameName: '', mode: mode ?? 'live' }];
}

const FULL_KEYED = new Set<string>([C.session, C.recent]);
const TRIPLE_KEYED = new Set<string>([C.strategy, C.partial, C.breakeven, C.notification]);

/**
 * Keeps a discovered index current with one document the watcher saw change, read the way
 * `discover` reads it: the whole key where the collection has it, else the (strategy, exchange,
 * symbol) tied to the bots known. State, memory and risk documents name no bot: nothing to note.
 */
export function noteDocument(found: BotIndex, collection: string, doc: RawDocument): void {
  const last = millis(doc.updatedDate);
  const payload = record(doc.payload);
  if (FULL_KEYED.has(collection)) {
    const t = tripleOf(doc);
    if (t) addFound(found, { ...t, frameName: str(doc.frameName) ?? '', mode: modeOf(doc.backtest) }, collection, last);
  } else if (collection === C.storage) {
    const t = tripleOf(payload);
    if (t) addFound(found, { ...t, frameName: str(payload?.frameName) ?? '', mode: modeOf(doc.backtest) }, collection, last);
  } else if (collection === C.signal || collection === C.schedule) {
    const key = keyOfSignalRow(doc);
    if (key) addFound(found, key, collection, last);
  } else if (TRIPLE_KEYED.has(collection)) {
    const notification = collection === C.notification;
    const t = tripleOf(notification ? payload : doc);
    if (!t) return;
    for (const key of attachTriple(found, t, notification ? modeOf(doc.backtest) : undefined)) addFound(found, key, collection, last);
  }
}

/**
 * Reads what backtest-kit bots wrote through @backtest-kit/mongo, straight from the collections
 * (not through the monitor's own persistence), so it shows any bot's documents as they are.
 * Read-only: only find / aggregate, each with a limit or on a unique key.
 */
export class BotReader {
  constructor(private readonly db: Db) {}

  private col(name: string) {
    return this.db.collection<RawDocument>(name);
  }

  /** Distinct values of `fields` in a collection, with the newest updatedDate of each group. */
  private async groups(collection: string, fields: Record<string, string>): Promise<Array<{ id: RawDocument; last?: number }>> {
    const rows = await this.col(collection)
      .aggregate<RawDocument>(
        [
          { $group: { _id: Object.fromEntries(Object.entries(fields).map(([k, path]) => [k, `$${path}`])), last: { $max: '$updatedDate' } } },
          { $limit: MAX_KEYS_PER_COLLECTION },
        ],
        { maxTimeMS: MAX_TIME_MS },
      )
      .toArray();
    return rows.flatMap((r) => {
      const id = record(r._id);
      if (!id) return [];
      const last = millis(r.last);
      return [last === undefined ? { id } : { id, last }];
    });
  }

  /** Every (strategy, exchange, symbol, frame, mode) that left a document, whoever wrote it. */
  async list(): Promise<BotSummary[]> {
    return this.summaries(await this.discover());
  }

  /**
   * Finds the bots by grouping every bot collection on its key fields: a scan of each collection
   * on the server, so the monitor does it once and then keeps the result current from the
   * watcher's changes (`noteDocument`), not on every list.
   */
  async discover(): Promise<BotIndex> {
    const found: BotIndex = new Map();
    // Collections whose key (or payload) names the whole bot.
    const fullKeyed: Array<[string, Record<string, string>]> = [
      [C.session, { strategyName: 'strategyName', exchangeName: 'exchangeName', symbol: 'symbol', frameName: 'frameName', backtest: 'backtest' }],
      [C.recent, { strategyName: 'strategyName', exchangeName: 'exchangeName', symbol: 'symbol', frameName: 'frameName', backtest: 'backtest' }],
      [C.storage, { strategyName: 'payload.strategyName', exchangeName: 'payload.exchangeName', symbol: 'payload.symbol', frameName: 'payload.frameName', backtest: 'backtest' }],
    ];
    // Collections keyed by (strategy, exchange, symbol) only, tied to the bots above where they can be.
    const tripleKeyed: Array<[string, Record<string, string>]> = [
      [C.strategy, { strategyName: 'strategyName', exchangeName: 'exchangeName', symbol: 'symbol' }],
      [C.partial, { strategyName: 'strategyName', exchangeName: 'exchangeName', symbol: 'symbol' }],
      [C.breakeven, { strategyName: 'strategyName', exchangeName: 'exchangeName', symbol: 'symbol' }],
      [C.notification, { strategyName: 'payload.strategyName', exchangeName: 'payload.exchangeName', symbol: 'payload.symbol', backtest: 'backtest' }],
    ];
    const [full, partial, positions] = await Promise.all([
      Promise.all(fullKeyed.map(async ([c, f]) => ({ c, rows: await this.groups(c, f) }))),
      Promise.all(tripleKeyed.map(async ([c, f]) => ({ c, rows: await this.groups(c, f) }))),
      this.positions(),
    ]);
    for (const { c, rows } of full) {
      for (const { id, last } of rows) {
        const triple = tripleOf(id);
        if (triple) addFound(found, { ...triple, frameName: str(id.frameName) ?? '', mode: modeOf(id.backtest) }, c, last);
      }
    }
    addPositions(found, positions);
    for (const { c, rows } of partial) {
      for (const { id, last } of rows) {
        const triple = tripleOf(id);
        if (!triple) continue;
        const mode = id.backtest === undefined || id.backtest === null ? undefined : modeOf(id.backtest);
        for (const key of attachTriple(found, triple, mode)) addFound(found, key, c, last);
      }
    }
    return found;
  }

  /** signal-items and schedule-items: one small document per (strategy, exchange, symbol), read whole on every list. */
  private async positions(): Promise<{ signals: RawDocument[]; schedules: RawDocument[] }> {
    const [signals, schedules] = await Promise.all([
      this.col(C.signal).find({}, { limit: MAX_KEYS_PER_COLLECTION, maxTimeMS: MAX_TIME_MS }).toArray(),
      this.col(C.schedule).find({}, { limit: MAX_KEYS_PER_COLLECTION, maxTimeMS: MAX_TIME_MS }).toArray(),
    ]);
    return { signals, schedules };
  }

  /** The list rows of the bots in `found` (which gains any bot new in signal-items or schedule-items). */
  async summaries(found: BotIndex): Promise<BotSummary[]> {
    const [positions, statuses] = await Promise.all([
      this.positions(),
      this.col(C.strategy).find({}, { limit: MAX_KEYS_PER_COLLECTION, maxTimeMS: MAX_TIME_MS }).toArray(),
    ]);
    addPositions(found, positions);
    const statusByTriple = new Map<string, RawDocument>();
    for (const doc of statuses) {
      const t = tripleOf(doc);
      if (t) statusByTriple.set(tripleId(t), doc);
    }
    const byId = (docs: RawDocument[]): Map<string, RawDocument> => {
      const out = new Map<string, RawDocument>();
      for (const doc of docs) {
        const k = keyOfSignalRow(doc);
        if (k) out.set(botIdOf(k), doc);
      }
      return out;
    };
    const signalById = byId(positions.signals);
    const scheduleById = byId(positions.schedules);
    const bots = [...found.values()].sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0)).slice(0, MAX_BOTS);
    const prices = new PriceCache(this);
    return Promise.all(
      bots.map((f) => {
        const id = botIdOf(f.key);
        return this.summarize(f, signalById.get(id), scheduleById.get(id), statusByTriple.get(tripleId(f.key)), prices);
      }),
    );
  }

  private async summarize(
    f: Found,
    signalDoc: RawDocument | undefined,
    scheduleDoc: RawDocument | undefined,
    statusDoc: RawDocument | undefined,
    prices: PriceCache,
  ): Promise<BotSummary> {
    const signal = plainRecord(signalDoc?.payload);
    const position = positionOf(signal);
    const status = record(statusDoc?.payload);
    const summary: BotSummary = {
      ...f.key,
      state: position ? 'open' : scheduleDoc?.payload ? 'scheduled' : 'idle',
      paused: status?.isPaused === true,
      collections: [...f.collections].sort(),
    };
    if (position) summary.position = position;
    if (f.lastActivity !== undefined) summary.lastActivity = f.lastActivity;
    if (signal && position) {
      const pnl = await prices.livePnl(f.key, signal);
      if (pnl) summary.livePnl = pnl;
    }
    return summary;
  }

  /** The newest stored candle of a series: 1m if there is one, else whichever interval is newest. */
  async newestCandle(exchangeName: string, symbol: string): Promise<{ close: number; timestamp: number; interval: string } | undefined> {
    const candles = this.col(C.candle);
    let doc = await candles.findOne({ exchangeName, symbol, interval: '1m' }, { sort: { timestamp: -1 }, maxTimeMS: MAX_TIME_MS });
    doc ??= await candles.findOne({ exchangeName, symbol }, { sort: { timestamp: -1 }, maxTimeMS: MAX_TIME_MS });
    const close = num(doc?.close);
    const timestamp = num(doc?.timestamp);
    if (!doc || close === undefined || timestamp === undefined) return undefined;
    return { close, timestamp, interval: str(doc.interval) ?? '?' };
  }

  /** Everything one bot has in the database. */
  async get(key: BotKey): Promise<BotDetail | undefined> {
    const triple = { symbol: key.symbol, strategyName: key.strategyName, exchangeName: key.exchangeName };
    const backtest = key.mode === 'backtest';
    const fullKey = { ...triple, frameName: key.frameName, backtest };
    const payloadMatch = {
      'payload.symbol': key.symbol,
      'payload.strategyName': key.strategyName,
      'payload.exchangeName': key.exchangeName,
    };
    const opts = { maxTimeMS: MAX_TIME_MS };
    const [signalDoc, scheduleDoc, statusDoc, sessionDoc, recentDoc, riskDocs, partialDocs, breakevenDocs, storageDocs, storageTotal, notificationDocs] = await Promise.all([
      this.col(C.signal).findOne(triple, opts),
      this.col(C.schedule).findOne(triple, opts),
      this.col(C.strategy).findOne(triple, opts),
      this.col(C.session).findOne(fullKey, opts),
      this.col(C.recent).findOne(fullKey, opts),
      this.col(C.risk).find({ exchangeName: key.exchangeName }, { limit: 100, ...opts }).toArray(),
      this.col(C.partial).find(triple, { limit: MAX_LEVEL_ROWS, sort: { updatedDate: -1 }, ...opts }).toArray(),
      this.col(C.breakeven).find(triple, { limit: MAX_LEVEL_ROWS, sort: { updatedDate: -1 }, ...opts }).toArray(),
      this.col(C.storage)
        .find({ backtest, ...payloadMatch, 'payload.frameName': key.frameName }, { limit: BOT_SIGNAL_LIMIT, sort: { 'payload.updatedAt': -1, updatedDate: -1 }, ...opts })
        .toArray(),
      this.col(C.storage).countDocuments({ backtest, ...payloadMatch, 'payload.frameName': key.frameName }, opts),
      this.col(C.notification).find({ backtest, ...payloadMatch }, { limit: BOT_NOTIFICATION_LIMIT, sort: { createDate: -1 }, ...opts }).toArray(),
    ]);

    // signal-items and schedule-items hold one row per triple; it belongs to this bot only if its frame matches.
    const own = (doc: RawDocument | null): RawDocument | null => {
      if (!doc) return null;
      const k = keyOfSignalRow(doc);
      return k && botIdOf(k) === botIdOf(key) ? doc : null;
    };
    const signal = own(signalDoc);
    const scheduled = own(scheduleDoc);
    const storage = storageDocs.map((d) => plainRecord(withLifetime(d.payload))).filter((p): p is RawDocument => p !== null);

    const signalIds = new Set<string>();
    for (const p of [record(signal?.payload), record(scheduled?.payload), record(recentDoc?.payload), ...storage]) {
      const id = str(p?.id);
      if (id) signalIds.add(id);
    }
    for (const d of [...partialDocs, ...breakevenDocs]) {
      const id = str(d.signalId);
      if (id) signalIds.add(id);
    }
    const ids = [...signalIds];
    const [stateDocs, memoryDocs] = ids.length
      ? await Promise.all([
          this.col(C.state).find({ signalId: { $in: ids } }, { limit: MAX_STATE_ROWS, sort: { updatedDate: -1 }, ...opts }).toArray(),
          this.col(C.memory).find({ signalId: { $in: ids } }, { limit: MAX_STATE_ROWS, sort: { updatedDate: -1 }, ...opts }).toArray(),
        ])
      : [[], []];

    const lastActivity = [signal, scheduled, statusDoc, sessionDoc, recentDoc, storageDocs[0], notificationDocs[0], ...partialDocs.slice(0, 1), ...breakevenDocs.slice(0, 1)]
      .map((d) => millis(d?.updatedDate))
      .reduce<number | undefined>((a, b) => (b === undefined ? a : a === undefined ? b : Math.max(a, b)), undefined);
    const collections = new Set<string>();
    const mark = (c: string, present: unknown): void => {
      if (present) collections.add(c);
    };
    mark(C.signal, signal);
    mark(C.schedule, scheduled);
    mark(C.strategy, statusDoc);
    mark(C.session, sessionDoc);
    mark(C.recent, recentDoc);
    mark(C.storage, storageDocs.length);
    mark(C.notification, notificationDocs.length);
    mark(C.partial, partialDocs.length);
    mark(C.breakeven, breakevenDocs.length);
    if (collections.size === 0) return undefined;

    const found: Found = { key, collections };
    if (lastActivity !== undefined) found.lastActivity = lastActivity;
    const summary = await this.summarize(found, signal ?? undefined, scheduled ?? undefined, statusDoc ?? undefined, new PriceCache(this));

    const stamp = (d: RawDocument): { when?: number; updatedAt?: number } => {
      const out: { when?: number; updatedAt?: number } = {};
      const when = num(d.when);
      const updatedAt = millis(d.updatedDate);
      if (when !== undefined) out.when = when;
      if (updatedAt !== undefined) out.updatedAt = updatedAt;
      return out;
    };
    const notifications: Notification[] = [];
    for (const d of notificationDocs) {
      const n = notificationFromDocument(d);
      if ('notificationId' in n) notifications.push(n);
    }

    return {
      summary,
      signal: plainRecord(withLifetime(signal?.payload)),
      scheduled: plainRecord(withLifetime(scheduled?.payload)),
      status: plainRecord(statusDoc?.payload),
      risk: riskDocs.map((d) => ({
        riskName: str(d.riskName) ?? '',
        exchangeName: str(d.exchangeName) ?? '',
        positions: riskPositionsOf(d.positions).filter((p) => p.strategyName === key.strategyName && p.symbol === key.symbol),
        ...stamp(d),
      })).filter((r) => r.positions.length > 0),
      partials: partialDocs.map((d) => ({ signalId: str(d.signalId) ?? '', value: plain(d.payload), ...stamp(d) })),
      breakevens: breakevenDocs.map((d) => ({ signalId: str(d.signalId) ?? '', value: plain(d.payload), ...stamp(d) })),
      session: sessionDoc ? { value: plain(record(sessionDoc.payload)?.data ?? sessionDoc.payload), ...stamp(sessionDoc) } : null,
      recent: plainRecord(withLifetime(recentDoc?.payload)),
      state: stateDocs.map((d) => ({
        signalId: str(d.signalId) ?? '',
        bucketName: str(d.bucketName) ?? '',
        value: plain(record(d.payload)?.data ?? d.payload),
        ...stamp(d),
      })),
      memory: memoryDocs.map((d) => {
        const payload = record(d.payload);
        const index = str(payload?.index);
        return {
          signalId: str(d.signalId) ?? '',
          bucketName: str(d.bucketName) ?? '',
          memoryId: str(d.memoryId) ?? '',
          value: plain(payload?.data ?? d.payload),
          removed: d.removed === true || payload?.removed === true,
          ...(index !== undefined ? { index } : {}),
          ...stamp(d),
        };
      }),
      signals: storage,
      signalsTotal: storageTotal,
      stats: statsOf(storage),
      notifications,
    };
  }
}

/** risk-items `positions`: backtest-kit's RiskData, an array of [key, IRiskActivePosition] pairs. */
function riskPositionsOf(value: unknown): RawDocument[] {
  if (!Array.isArray(value)) return [];
  const out: RawDocument[] = [];
  for (const entry of value) {
    const position = Array.isArray(entry) ? record(entry[1]) : record(entry);
    const p = plainRecord(position);
    if (p) out.push(Array.isArray(entry) && typeof entry[0] === 'string' ? { key: entry[0], ...p } : p);
  }
  return out;
}

/** One newest-candle read per (exchange, symbol) within a list. */
class PriceCache {
  private readonly cache = new Map<string, Promise<{ close: number; timestamp: number; interval: string } | undefined>>();

  constructor(private readonly reader: BotReader) {}

  async livePnl(key: BotKey, signal: RawDocument): Promise<BotLivePnl | undefined> {
    const id = JSON.stringify([key.exchangeName, key.symbol]);
    let candle = this.cache.get(id);
    if (!candle) this.cache.set(id, (candle = this.reader.newestCandle(key.exchangeName, key.symbol)));
    const c = await candle;
    if (!c) return undefined;
    const pnl = livePnl(signal, c.close);
    return pnl && { ...pnl, priceClose: c.close, candleTimestamp: Math.max(0, Math.trunc(c.timestamp)), interval: c.interval };
  }
}
