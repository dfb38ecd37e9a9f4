import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notifications';
import type { SignalRow } from '../../shared/domain/signals';
import {
  BACKTEST_KIT_COLLECTIONS,
  BREAKEVEN_ITEMS,
  INTERVAL_ITEMS,
  MEASURE_ITEMS,
  PARTIAL_ITEMS,
  readKitDocuments,
  signalRowFromPayload,
  signalRowToPayload,
} from '../../electron/core/backtest-kit/documents';
import { BotReader } from '../../electron/core/bots';
import { CandleDbService } from '../../electron/core/db/candle-db-service';
import { createPersistence, parsePersistConfig, type Persistence } from '../../electron/core/persist';
import { closedSignal } from '../../electron/core/persist/test-support/fixtures';
import { startRedis, type RunningRedis } from '../support/redis';
import { freshDatabaseUri } from '../support/test-db';
import { assertBotInstalled, runBot, SHARED_CANDLES, type BotEnv } from './bot-process';
import { openMonitorSide, type MonitorSide } from './monitor-side';

type Doc = Record<string, unknown> & { payload?: Record<string, unknown> };

interface WriteResult {
  symbol: string;
  strategyName: string;
  exchangeName: string;
  frameName: string;
  backtestClosed: number;
  opened: number;
  liveSignalId?: string;
  scheduledSignalId?: string;
  scheduledSymbol: string;
  riskName: string;
  /** The live position whose price rallies: it reaches partial-profit levels and breakeven. */
  rallySymbol: string;
  rallySignalId?: string;
  partialLevel: number | 'timeout';
  breakevenReached: boolean;
  rallyPersisted: { partial: boolean; breakeven: boolean };
  /** Every value backtest-kit's Cache.file (measure-items) and Interval.file (interval-items) computed. */
  measured: { symbol: string; price: number; note: string }[];
  fired: { symbol: string; price: number; note: string }[];
  errors: string[];
}

const HOUR = 3_600_000;
const byJson = <T>(items: T[]): T[] => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * A real backtest-kit 19.5.0 bot with @backtest-kit/mongo 19.5.0 (bench/backtest-kit) runs a
 * backtest and a short live run against the test database and a throwaway redis-server; then every
 * document it wrote must read back through the monitor's persist services (and, for the
 * collections the monitor has no service for, its document reader) with the same values, field by
 * field.
 */
describe('documents a real backtest-kit bot wrote, read by the monitor', () => {
  let redis: RunningRedis;
  let monitor: MonitorSide;
  let conn: Connection;
  let persistence: Persistence;
  let bot: WriteResult;
  const raw = async (collection: string): Promise<Doc[]> => (await conn.collection(collection).find({}).toArray()) as unknown as Doc[];

  beforeAll(async () => {
    assertBotInstalled();
    redis = await startRedis();
    const uri = freshDatabaseUri('interop_bot');
    const env: BotEnv = { mongoUri: uri, redisHost: redis.host, redisPort: redis.port };
    bot = await runBot<WriteResult>(['write', join(SHARED_CANDLES, 'ADA_BTC-1m.json')], env, { INTEROP_BACKTEST_MINUTES: '240' });
    monitor = await openMonitorSide(uri, 'interop-bot-', { overrides: { log: 'mongodb' } });
    ({ conn, persistence } = monitor);
  }, 480_000);

  afterAll(async () => {
    await monitor?.dispose();
    await redis?.stop();
  });

  it('the bot ran a backtest and a live tick without errors and wrote every kind of document', async () => {
    expect(bot.errors).toEqual([]);
    expect(bot.backtestClosed).toBeGreaterThan(3);
    expect(bot.liveSignalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bot.scheduledSignalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bot.rallySignalId).toMatch(/^[0-9a-f-]{36}$/);
    expect({ partialLevel: bot.partialLevel, breakevenReached: bot.breakevenReached, persisted: bot.rallyPersisted }).toEqual({
      partialLevel: 10,
      breakevenReached: true,
      persisted: { partial: true, breakeven: true },
    });
    for (const collection of ['candle-items', 'signal-items', 'schedule-items', 'risk-items', 'strategy-items', 'storage-items', 'notification-items', 'log-items', 'recent-items', 'state-items', 'session-items', 'memory-items', 'partial-items', 'breakeven-items', 'measure-items', 'interval-items']) {
      expect(await conn.collection(collection).countDocuments(), collection).toBeGreaterThan(0);
    }
  });

  /** Every IStorageSignalRow field, compared with the SignalRow field it maps to. */
  function expectRowMatches(row: SignalRow, payload: Record<string, unknown>, backtest: boolean): void {
    const closed = payload.status === 'closed';
    const expected: Partial<Record<keyof SignalRow, unknown>> = {
      signalId: payload.id,
      symbol: payload.symbol,
      strategyName: payload.strategyName,
      exchangeName: payload.exchangeName,
      frameName: payload.frameName,
      backtest,
      position: payload.position,
      priceOpen: payload.priceOpen,
      priceTakeProfit: payload.priceTakeProfit,
      priceStopLoss: payload.priceStopLoss,
      minuteEstimatedTime: payload.minuteEstimatedTime,
      note: payload.note,
      scheduledAt: payload.scheduledAt,
      closedAt: payload.closeTimestamp,
      closeReason: payload.closeReason,
      priceClose: closed ? payload.currentPrice : undefined,
      pnlPercent: closed ? (payload.pnl as { pnlPercentage: number }).pnlPercentage : undefined,
      cost: payload.cost,
      multiplier: payload.multiplier,
      isolated: payload.isolated,
      currentPrice: payload.currentPrice,
      pnl: payload.pnl,
      peakProfit: payload.peakProfit,
      maxDrawdown: payload.maxDrawdown,
      entries: payload._entry,
      partials: payload._partial,
      partialExecuted: payload.partialExecuted,
      totalEntries: payload.totalEntries,
      totalPartials: payload.totalPartials,
      originalPriceOpen: payload.originalPriceOpen,
      originalPriceTakeProfit: payload.originalPriceTakeProfit,
      originalPriceStopLoss: payload.originalPriceStopLoss,
      createdAt: payload.createdAt,
      updatedAt: payload.updatedAt,
    };
    if (payload.status !== undefined) expected.status = payload.status;
    for (const [field, value] of Object.entries(expected)) expect(row[field as keyof SignalRow], `${String(payload.id)}.${field}`).toEqual(value);
    if (payload.status === 'opened' || closed) expect(row.openedAt).toBe(payload.pendingAt);
    // Nothing is lost: the row maps back to exactly the payload the bot wrote (a recent-items
    // payload has no status; the row's is derived from _isScheduled and written only by the monitor).
    const back = signalRowToPayload(row);
    if (payload.status === undefined) delete back.status;
    expect(back).toEqual(payload);
  }

  it('storage-items: every signal row, both modes, field by field', async () => {
    const docs = await raw('storage-items');
    expect(docs.length).toBeGreaterThanOrEqual(bot.backtestClosed);
    for (const doc of docs) {
      const row = await persistence.storage.getSignal(String(doc.signalId), doc.backtest === true);
      expect(row, String(doc.signalId)).not.toBeNull();
      expectRowMatches(row!, doc.payload!, doc.backtest === true);
    }
    const closed = docs.filter((d) => d.payload!.status === 'closed');
    expect(closed.length).toBeGreaterThan(0);
    // The live list the Sessions view pages through holds the bot's live rows.
    const liveRows = await persistence.storage.listSignals({}, { limit: 1000 });
    expect(liveRows.items.map((e) => e.value.signalId).sort()).toEqual(docs.filter((d) => d.backtest === false).map((d) => String(d.signalId)).sort());
  });

  it('recent-items: the latest signal per context', async () => {
    const docs = await raw('recent-items');
    for (const doc of docs) {
      const key = { symbol: String(doc.symbol), strategyName: String(doc.strategyName), exchangeName: String(doc.exchangeName), frameName: String(doc.frameName), backtest: doc.backtest === true };
      const row = await persistence.recent.latest(key);
      expect(row).not.toBeNull();
      expectRowMatches(row!, doc.payload!, key.backtest);
    }
  });

  it('notification-items: every notification of both modes, with a title and message, and all its fields', async () => {
    const docs = await raw('notification-items');
    for (const backtest of [true, false]) {
      const mine = docs.filter((d) => d.backtest === backtest);
      const page = await persistence.notifications.list({ backtest }, { limit: 10_000 });
      expect(page.total).toBe(mine.length);
      const byId = new Map(page.items.map((n) => [n.notificationId, n]));
      for (const doc of mine) {
        const p = doc.payload!;
        const n = byId.get(String(doc.notificationId)) as Notification;
        expect(n, String(doc.notificationId)).toBeDefined();
        expect({ id: n.notificationId, type: n.type, backtest: n.backtest, symbol: n.symbol, strategyName: n.strategyName, signalId: n.signalId, createdAt: n.createdAt }).toEqual({
          id: p.id,
          type: p.type,
          backtest: p.backtest,
          symbol: p.symbol,
          strategyName: p.strategyName,
          signalId: p.signalId,
          createdAt: p.createdAt,
        });
        for (const [field, value] of Object.entries(p)) {
          if (!['id', 'type', 'backtest', 'symbol', 'strategyName', 'signalId', 'createdAt'].includes(field)) expect(n.data?.[field], `${n.type}.${field}`).toEqual(value);
        }
        expect(n.read).toBe(false);
        expect(n.title).not.toMatch(/undefined/);
        expect(n.title.length).toBeGreaterThan(3);
      }
    }
    expect(new Set(docs.map((d) => d.payload!.type))).toContain('signal.closed');
  });

  it('state-items, session-items and memory-items: the value under payload.data', async () => {
    for (const doc of await raw('state-items')) {
      expect(await persistence.state.get({ signalId: String(doc.signalId), bucketName: String(doc.bucketName) })).toEqual((doc.payload as { data: unknown }).data);
    }
    for (const doc of await raw('session-items')) {
      const key = { strategyName: String(doc.strategyName), exchangeName: String(doc.exchangeName), frameName: String(doc.frameName), symbol: String(doc.symbol), backtest: doc.backtest === true };
      expect(await persistence.session.get(key)).toEqual((doc.payload as { data: unknown }).data);
    }
    const memories = await raw('memory-items');
    expect(memories.length).toBe(bot.opened);
    for (const doc of memories) {
      expect(await persistence.memory.get({ signalId: String(doc.signalId), bucketName: String(doc.bucketName), memoryId: String(doc.memoryId) })).toEqual((doc.payload as { data: unknown }).data);
    }
  });

  it('partial-items and breakeven-items: the levels a live position reached, through the bots reader and the document layer', async () => {
    const reader = new BotReader(conn.db!);
    for (const [def, detailField] of [[PARTIAL_ITEMS, 'partials'], [BREAKEVEN_ITEMS, 'breakevens']] as const) {
      const docs = await raw(def.name);
      expect(docs.map((d) => d.signalId), def.name).toContain(bot.rallySignalId);
      for (const doc of docs) {
        const key = { symbol: String(doc.symbol), strategyName: String(doc.strategyName), exchangeName: String(doc.exchangeName), signalId: String(doc.signalId) };
        // The Bots view: the live bot of that (strategy, exchange, symbol) lists the document's levels.
        const detail = await reader.get({ strategyName: key.strategyName, exchangeName: key.exchangeName, symbol: key.symbol, frameName: '', mode: 'live' });
        expect(detail, `${def.name} ${key.symbol}`).toBeDefined();
        const shown = detail![detailField].filter((l) => l.signalId === key.signalId);
        expect(shown, `${def.name} ${key.signalId}`).toEqual([{ signalId: key.signalId, value: doc.payload, when: doc.when, updatedAt: (doc.updatedDate as Date).getTime() }]);
        // The document layer: key, payload, when and both dates as stored.
        const read = await readKitDocuments(conn, def, key);
        expect(read).toEqual([
          { collection: def.name, key, value: doc.payload, when: doc.when, createDate: (doc.createDate as Date).getTime(), updatedDate: (doc.updatedDate as Date).getTime() },
        ]);
      }
    }
    // What backtest-kit stored for the rally: IPartialData / IBreakevenData keyed by signal id.
    const [partial] = await readKitDocuments(conn, PARTIAL_ITEMS, { signalId: bot.rallySignalId });
    expect(partial!.key).toEqual({ symbol: bot.rallySymbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName, signalId: bot.rallySignalId });
    const levels = (partial!.value as Record<string, { profitLevels: number[]; lossLevels: number[] }>)[bot.rallySignalId!];
    expect(levels?.profitLevels).toContain(10);
    expect(levels?.lossLevels).toEqual([]);
    const [breakeven] = await readKitDocuments(conn, BREAKEVEN_ITEMS, { signalId: bot.rallySignalId });
    expect(breakeven!.value).toEqual({ [bot.rallySignalId!]: { reached: true } });
  });

  it('measure-items and interval-items: every value Cache.file and Interval.file persisted, through the document layer', async () => {
    for (const [def, computed, name] of [[MEASURE_ITEMS, bot.measured, 'interop-measure'], [INTERVAL_ITEMS, bot.fired, 'interop-interval']] as const) {
      const docs = await raw(def.name);
      const read = await readKitDocuments(conn, def, {}, 10_000);
      expect(computed.length, def.name).toBeGreaterThan(0);
      expect(read.length, def.name).toBe(docs.length);
      // One document per value computed (a cache hit computes nothing and writes nothing).
      expect(byJson(read.map((d) => (d.value as { data: unknown }).data)), def.name).toEqual(byJson(computed));
      const byKey = new Map(read.map((d) => [JSON.stringify(d.key), d]));
      for (const doc of docs) {
        const got = byKey.get(JSON.stringify({ bucket: doc.bucket, entryKey: doc.entryKey }))!;
        expect(got, `${def.name} ${String(doc.entryKey)}`).toBeDefined();
        expect(got.key.bucket).toMatch(new RegExp(`^${name}_1h_\\d+$`));
        expect(got.removed).toBe(false);
        expect(got.createDate).toBe((doc.createDate as Date).getTime());
        expect(got.updatedDate).toBe((doc.updatedDate as Date).getTime());
        const value = got.value as { id: string; data: { symbol: string }; removed: boolean; when?: Date };
        expect(value).toEqual(doc.payload);
        expect({ id: value.id, removed: value.removed }).toEqual({ id: doc.entryKey, removed: false });
        if (def.name === 'interval-items') {
          // Interval.file stores the tick's time in the payload (a Date) and as the top-level `when`; the key is its hour.
          expect(value.when).toBeInstanceOf(Date);
          expect(got.when).toBe(value.when!.getTime());
          expect(got.key.entryKey).toBe(`${value.data.symbol}_${Math.floor(got.when! / HOUR) * HOUR}`);
        } else {
          expect(got.key.entryKey).toMatch(new RegExp(`^${value.data.symbol}_\\d+$`));
          expect(Number(String(got.key.entryKey).split('_').at(-1)) % HOUR).toBe(0);
        }
      }
    }
  });

  it('log-items: every entry of the bot\'s log, as a log line', async () => {
    const docs = await raw('log-items');
    expect(docs.length).toBeGreaterThan(bot.opened);
    const lines = await persistence.log.tail(docs.length);
    const byId = new Map(lines.map((l) => [l.entryId, l]));
    for (const doc of docs) {
      const p = doc.payload!;
      const line = byId.get(String(p.id));
      expect(line, String(p.id)).toBeDefined();
      expect({ level: line!.level, at: line!.at, message: line!.message }).toEqual({ level: p.type, at: p.timestamp, message: p.topic });
      const args = p.args as unknown[];
      const single = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]);
      expect(line!.data).toMatchObject(single ? (args[0] as object) : { args });
      for (const context of ['methodContext', 'executionContext']) if (p[context]) expect(line!.data?.[context]).toEqual(p[context]);
    }
    expect(lines.some((l) => l.level === 'warn' && l.message === 'interop first open')).toBe(true);
  });

  it('candle-items: every candle the bot cached, OHLCV equal', async () => {
    const docs = await raw('candle-items');
    const candles = new CandleDbService(conn);
    const stored = [];
    for (const symbol of new Set(docs.map((d) => String(d.symbol)))) stored.push(...(await candles.findRange({ exchangeName: bot.exchangeName, symbol, interval: '1m' })));
    expect(stored.length).toBe(docs.length);
    const byKey = new Map(stored.map((c) => [`${c.symbol}@${c.timestamp}`, c]));
    for (const doc of docs) {
      expect(byKey.get(`${String(doc.symbol)}@${String(doc.timestamp)}`)).toEqual({ exchangeName: doc.exchangeName, symbol: doc.symbol, interval: doc.interval, timestamp: doc.timestamp, open: doc.open, high: doc.high, low: doc.low, close: doc.close, volume: doc.volume });
    }
  });

  it('the monitor\'s Storage cap counts and trims only its own rows: the bot\'s stay, unchanged', async () => {
    const before = await raw('storage-items');
    const capped = await createPersistence({ mode: 'live', dataDir: monitor.dataDir, connection: monitor.manager, config: parsePersistConfig({ storageCap: { live: 3, backtest: 3 } }) });
    try {
      for (let i = 0; i < 8; i++) await capped.storage.upsert(closedSignal(900 + i, { backtest: false, frameName: '' }));
      const after = await raw('storage-items');
      const mine = after.filter((d) => (d.monitor as { writer?: string } | undefined)?.writer === 'backtest-monitor');
      expect(mine.length).toBeLessThanOrEqual(3);
      expect(mine.length).toBeGreaterThan(0);
      const theirs = after.filter((d) => d.monitor === undefined);
      expect(theirs).toEqual(before);
      for (const doc of mine) await capped.storage.remove({ backtest: false, signalId: String(doc.signalId) });
    } finally {
      await capped.close();
    }
    expect(await raw('storage-items')).toEqual(before);
  });

  it('every collection, including those the monitor has no service for (signal, schedule, strategy, risk, …), reads back through the document layer', async () => {
    for (const def of BACKTEST_KIT_COLLECTIONS) {
      const docs = await raw(def.name);
      const read = await readKitDocuments(conn, def, {}, 10_000);
      expect(read.length, def.name).toBe(docs.length);
      const byKey = new Map(read.map((d) => [JSON.stringify(d.key), d]));
      for (const doc of docs) {
        const key = Object.fromEntries(def.key.map((k) => [k, doc[k]]));
        const got = byKey.get(JSON.stringify(key))!;
        expect(got, `${def.name} ${JSON.stringify(key)}`).toBeDefined();
        const value = def.name === 'risk-items' ? doc.positions : def.name === 'candle-items' ? { open: doc.open, high: doc.high, low: doc.low, close: doc.close, volume: doc.volume } : doc.payload;
        expect(got.value).toEqual(value);
        if ('when' in doc) expect(got.when).toBe(doc.when);
        expect(got.createDate).toBe((doc.createDate as Date).getTime());
        expect(got.updatedDate).toBe((doc.updatedDate as Date).getTime());
      }
    }
    // The open position (signal-items) is the live signal, read as a signal row.
    const [position] = await readKitDocuments(conn, BACKTEST_KIT_COLLECTIONS.find((c) => c.name === 'signal-items')!, { symbol: bot.symbol });
    const row = signalRowFromPayload(position!.value as Record<string, unknown>, { backtest: false });
    expect(row.signalId).toBe(bot.liveSignalId);
    expect(row.status).toBe('opened');
    // The scheduled one (schedule-items) waits for its entry price.
    const [waiting] = await readKitDocuments(conn, BACKTEST_KIT_COLLECTIONS.find((c) => c.name === 'schedule-items')!, { symbol: bot.scheduledSymbol });
    expect(waiting!.key).toMatchObject({ symbol: bot.scheduledSymbol });
    if (waiting!.value !== null) {
      expect(signalRowFromPayload(waiting!.value as Record<string, unknown>, { backtest: false })).toMatchObject({ signalId: bot.scheduledSignalId, status: 'scheduled', position: 'long' });
    }
    // Stopping the live run clears the slot (payload null); the signal's row stays in storage-items.
    const waitingRow = await persistence.storage.getSignal(bot.scheduledSignalId!, false);
    expect(['scheduled', 'cancelled']).toContain(waitingRow?.status);
    expect(waitingRow).toMatchObject({ symbol: bot.scheduledSymbol, position: 'long' });
    // The risk profile's positions (risk-items: `positions`, not `payload`).
    const [risk] = await readKitDocuments(conn, BACKTEST_KIT_COLLECTIONS.find((c) => c.name === 'risk-items')!);
    expect(risk!.key).toEqual({ riskName: bot.riskName, exchangeName: bot.exchangeName });
    expect(Array.isArray(risk!.value)).toBe(true);
  });
});
