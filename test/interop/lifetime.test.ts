import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalRow } from '../../shared/domain/signals';
import type { TickResult } from '../../electron/core/backtest-kit/strategy-api/backtest-run';
import { signalRowOf } from '../../electron/core/backtest-kit/strategy-api/symbol-job';
import { BotReader } from '../../electron/core/bots';
import type { Persistence } from '../../electron/core/persist';
import { startRedis, type RunningRedis } from '../support/redis';
import { freshDatabaseUri } from '../support/test-db';
import { assertBotInstalled, REPO_ROOT, runBotScript, type BotEnv } from './bot-process';
import { openMonitorSide, type MonitorSide } from './monitor-side';

const SCRIPT = join(REPO_ROOT, 'test', 'interop', 'lifetime-bot.mjs');

type Row = Record<string, unknown>;

interface WriteResult {
  strategyName: string;
  exchangeName: string;
  frameName: string;
  backtestSymbol: string;
  liveSymbol: string;
  backtestClosed?: { signalId: string; closeReason: string; minuteEstimatedTime: number };
  liveOpen: { signalId: string; minuteEstimatedTime: number } | 'timeout';
  stored: { backtest: boolean; live: boolean; recent: boolean };
  errors: string[];
}

interface ReadResult {
  signals: Record<string, Row>;
  storageLive: Row[];
  recent?: Row | null;
  errors: string[];
}

const T0 = Date.UTC(2026, 0, 5, 10, 0);
const CONTEXT = { symbol: 'NOLIFE-MON', strategyName: 'paper-no-lifetime', exchangeName: 'binance' };

/**
 * A position without a lifetime (`minuteEstimatedTime: Infinity`) between a real backtest-kit
 * 19.5.0 + @backtest-kit/mongo 19.5.0 bot (test/interop/lifetime-bot.mjs) and the monitor, in both
 * directions: the bot stores Infinity (a BSON double) and the monitor reads Infinity; the monitor
 * stores exactly that too, and backtest-kit's own API reads Infinity back (not 0, which a bot would
 * take as "no time left" and close the position at once).
 */
describe('a position without a lifetime, between a real backtest-kit bot and the monitor', () => {
  let redis: RunningRedis;
  let monitor: MonitorSide;
  let conn: Connection;
  let persistence: Persistence;
  let dataDir: string;
  let env: BotEnv;
  let bot: WriteResult;
  let liveId: string;

  beforeAll(async () => {
    assertBotInstalled();
    redis = await startRedis();
    const uri = freshDatabaseUri('interop_lifetime');
    env = { mongoUri: uri, redisHost: redis.host, redisPort: redis.port };
    bot = await runBotScript<WriteResult>(SCRIPT, ['write'], env);
    liveId = bot.liveOpen === 'timeout' ? '' : bot.liveOpen.signalId;
    monitor = await openMonitorSide(uri, 'interop-lifetime-', { runId: 'run-no-lifetime' });
    ({ conn, persistence, dataDir } = monitor);
  }, 480_000);

  afterAll(async () => {
    await monitor?.dispose();
    await redis?.stop();
  });

  it('the bot ran a backtest position and a live position without a lifetime, and stored them', () => {
    expect(bot.errors).toEqual([]);
    expect(bot.backtestClosed).toMatchObject({ closeReason: 'take_profit', minuteEstimatedTime: Infinity });
    expect(bot.liveOpen).not.toBe('timeout');
    expect(bot.liveOpen).toMatchObject({ minuteEstimatedTime: Infinity });
    expect(bot.stored).toEqual({ backtest: true, live: true, recent: true });
  });

  it('backtest-kit stores the lifetime as Infinity (a BSON double, no JSON step), in every signal collection', async () => {
    const storage = conn.collection('storage-items');
    expect((await storage.findOne({ signalId: bot.backtestClosed!.signalId, backtest: true }))?.payload.minuteEstimatedTime).toBe(Infinity);
    expect((await storage.findOne({ signalId: liveId, backtest: false }))?.payload.minuteEstimatedTime).toBe(Infinity);
    expect((await conn.collection('signal-items').findOne({ symbol: bot.liveSymbol }))?.payload.minuteEstimatedTime).toBe(Infinity);
    expect((await conn.collection('recent-items').findOne({ symbol: bot.backtestSymbol, backtest: true }))?.payload.minuteEstimatedTime).toBe(Infinity);
  });

  it('the monitor reads the bot\'s rows with an Infinity lifetime: Storage, Recent and the Bots view', async () => {
    // backtest-kit 19.5.0's backtest Storage keeps the row at the status of its last active ping (the
    // close comes with the earlier tick time of the fast-forward and is dropped as stale): read as stored.
    const stored = await conn.collection('storage-items').findOne({ signalId: bot.backtestClosed!.signalId, backtest: true });
    const backtestRow = await persistence.storage.getSignal(bot.backtestClosed!.signalId, true);
    expect(backtestRow).toMatchObject({ signalId: bot.backtestClosed!.signalId, status: stored?.payload.status, minuteEstimatedTime: Infinity });
    expect(await persistence.storage.getSignal(liveId, false)).toMatchObject({ signalId: liveId, status: 'opened', minuteEstimatedTime: Infinity });
    const key = { symbol: bot.backtestSymbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName, frameName: bot.frameName, backtest: true };
    expect(await persistence.recent.latest(key)).toMatchObject({ signalId: bot.backtestClosed!.signalId, minuteEstimatedTime: Infinity });

    // The Bots view hands on plain values that survive JSON: Infinity as "Infinity", never 0 or null.
    const reader = new BotReader(conn.db!);
    const live = await reader.get({ strategyName: bot.strategyName, exchangeName: bot.exchangeName, symbol: bot.liveSymbol, frameName: '', mode: 'live' });
    expect(live?.signal).toMatchObject({ id: liveId, minuteEstimatedTime: 'Infinity' });
    expect(live?.signals.find((s) => s.id === liveId)).toMatchObject({ minuteEstimatedTime: 'Infinity' });
    const backtest = await reader.get({ strategyName: bot.strategyName, exchangeName: bot.exchangeName, symbol: bot.backtestSymbol, frameName: bot.frameName, mode: 'backtest' });
    expect(backtest?.recent).toMatchObject({ id: bot.backtestClosed!.signalId, minuteEstimatedTime: 'Infinity' });
  });

  it('the monitor stores its own positions without a lifetime as backtest-kit does, and the bot reads Infinity back through its own API', async () => {
    // The strategy API's row for a closed backtest-kit result (it holds its stand-in 0 for Infinity) ...
    const result: TickResult = {
      action: 'closed', ...CONTEXT, frameName: '', currentPrice: 101, closeReason: 'take_profit', closeTimestamp: T0 + 600_000, createdAt: T0 + 600_000,
      pnl: { pnlPercentage: 0.6, priceOpen: 100, priceClose: 101, pnlCost: 0.6, pnlEntries: 100 },
      signal: {
        id: 'mon-no-life-closed', position: 'long', priceOpen: 100, priceTakeProfit: 101, priceStopLoss: 99, originalPriceOpen: 100, originalPriceTakeProfit: 101,
        originalPriceStopLoss: 99, minuteEstimatedTime: Infinity, cost: 100, multiplier: 1, isolated: false, scheduledAt: T0, pendingAt: T0,
        partialExecuted: 0, totalEntries: 1, totalPartials: 0, pnl: { pnlPercentage: 0.6, priceOpen: 100, priceClose: 101, pnlCost: 0.6, pnlEntries: 100 },
        peakProfit: { pnlPercentage: 0.7 }, maxDrawdown: { pnlPercentage: -0.1 },
      },
    };
    const closed = signalRowOf(result, { runId: 'run-no-lifetime', backtest: false });
    // ... and an open paper position holding Infinity itself.
    const opened: SignalRow = {
      signalId: 'mon-no-life-open', runId: 'run-no-lifetime', ...CONTEXT, frameName: '', backtest: false, position: 'short', status: 'opened',
      priceOpen: 100, priceTakeProfit: 98, priceStopLoss: 102, minuteEstimatedTime: Infinity, scheduledAt: T0 + 60_000, openedAt: T0 + 60_000, cost: 100,
    };
    await persistence.storage.upsert(closed);
    await persistence.storage.upsert(opened);
    await persistence.recent.remember(opened);

    // Stored exactly as the bot stored its own above: the BSON double Infinity.
    const storage = conn.collection('storage-items');
    for (const signalId of [closed.signalId, opened.signalId]) {
      expect((await storage.findOne({ signalId, backtest: false }))?.payload.minuteEstimatedTime, signalId).toBe(Infinity);
    }
    expect((await conn.collection('recent-items').findOne({ symbol: CONTEXT.symbol }))?.payload.minuteEstimatedTime).toBe(Infinity);
    // And the monitor reads its own rows back as Infinity.
    expect((await persistence.storage.getSignal(closed.signalId, false))?.minuteEstimatedTime).toBe(Infinity);

    const request = join(dataDir, 'request.json');
    await fsp.writeFile(request, JSON.stringify({ signalIds: [closed.signalId, opened.signalId, liveId], recent: { ...CONTEXT, frameName: '' } }));
    const read = await runBotScript<ReadResult>(SCRIPT, ['read', request], env);
    expect(read.errors).toEqual([]);
    expect(read.signals[closed.signalId]).toMatchObject({ id: closed.signalId, status: 'closed', closeReason: 'take_profit', minuteEstimatedTime: Infinity });
    expect(read.signals[opened.signalId]).toMatchObject({ id: opened.signalId, status: 'opened', minuteEstimatedTime: Infinity });
    expect(read.recent).toMatchObject({ id: opened.signalId, minuteEstimatedTime: Infinity });
    // backtest-kit hands the monitor's row back with the same lifetime value as its own bot's row.
    const own = read.signals[liveId]!;
    expect(typeof own.minuteEstimatedTime).toBe('number');
    expect(read.signals[opened.signalId]!.minuteEstimatedTime).toBe(own.minuteEstimatedTime);
    expect(read.storageLive.filter((r) => r.minuteEstimatedTime !== Infinity).map((r) => r.id)).toEqual([]);
  }, 300_000);
});
