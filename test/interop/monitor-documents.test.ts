import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/domain/logs';
import type { Notification } from '../../shared/domain/notifications';
import type { SignalRow } from '../../shared/domain/signals';
import { ConnectionManager } from '../../electron/core/db/connection-manager';
import { createPersistence, type Persistence } from '../../electron/core/persist';
import { startRedis, type RunningRedis } from '../support/redis';
import { freshDatabaseUri } from '../support/test-db';
import { assertBotInstalled, runBot, type BotEnv } from './bot-process';

type Row = Record<string, unknown>;

interface ReadResult {
  notificationsLive: Row[];
  storageLive: Row[];
  signal: Row | null;
  session: unknown;
  state: unknown;
  memory: unknown;
  memoryList: Array<{ memoryId: string; content: unknown }>;
  recent: Row | null;
  log: Row[];
  errors: string[];
}

const CONTEXT = { symbol: 'BTCUSDT', strategyName: 'paper-ema', exchangeName: 'binance' };
const T0 = Date.UTC(2026, 0, 5, 10, 0);

/**
 * What the monitor writes (a paper run's notifications, signal rows, latest signal, session, state,
 * memory) is read back by a real backtest-kit 19.5.0 + @backtest-kit/mongo 19.5.0 process through
 * backtest-kit's own API with the same values; and the bot's own later upserts leave the monitor's
 * fields (read flag, run id, title) in place.
 */
describe('documents the monitor wrote, read by a real backtest-kit bot', () => {
  let redis: RunningRedis;
  let manager: ConnectionManager;
  let persistence: Persistence;
  let dataDir: string;
  let env: BotEnv;
  let read: ReadResult;
  const written: { notifications: Notification[]; opened: SignalRow; closed: SignalRow; log: LogLine } = {} as never;

  beforeAll(async () => {
    assertBotInstalled();
    redis = await startRedis();
    const uri = freshDatabaseUri('interop_monitor');
    env = { mongoUri: uri, redisHost: redis.host, redisPort: redis.port };
    manager = new ConnectionManager({ uri });
    await manager.connect();
    dataDir = await fsp.mkdtemp(join(tmpdir(), 'interop-monitor-'));
    persistence = await createPersistence({ mode: 'live', runId: 'run-interop', dataDir, connection: manager, overrides: { log: 'mongodb' } });

    // A paper run's output, as the engine hands it to the persist services.
    written.opened = {
      signalId: 'mon-open-1', runId: 'run-interop', ...CONTEXT, frameName: '', backtest: false, position: 'long', status: 'opened',
      priceOpen: 42_000, priceTakeProfit: 42_840, priceStopLoss: 41_580, minuteEstimatedTime: 120, note: 'ema cross up', scheduledAt: T0, openedAt: T0, cost: 100,
    };
    written.closed = {
      signalId: 'mon-closed-1', runId: 'run-interop', ...CONTEXT, frameName: '', backtest: false, position: 'short', status: 'closed',
      priceOpen: 43_000, priceTakeProfit: 42_140, priceStopLoss: 43_430, minuteEstimatedTime: 120, scheduledAt: T0 - 7_200_000, openedAt: T0 - 7_200_000,
      closedAt: T0 - 3_600_000, priceClose: 42_140, pnlPercent: 1.6, closeReason: 'take_profit',
    };
    await persistence.storage.upsert(written.opened);
    await persistence.storage.upsert(written.closed);
    await persistence.recent.remember(written.opened);
    written.notifications = [
      await persistence.notifications.append({ type: 'signal.opened', title: 'BTCUSDT: long opened', message: 'at 42000', ...CONTEXT, signalId: 'mon-open-1', createdAt: T0, data: { position: 'long', priceOpen: 42_000, priceTakeProfit: 42_840, priceStopLoss: 41_580 } }),
      await persistence.notifications.append({ type: 'signal.closed', title: 'BTCUSDT: short closed', message: 'take profit', ...CONTEXT, signalId: 'mon-closed-1', createdAt: T0 + 1, data: { closeReason: 'take_profit', pnlPercentage: 1.6 } }),
      await persistence.notifications.append({ type: 'run.completed', title: 'Run completed', message: '2 signals', createdAt: T0 + 2 }),
    ];
    await persistence.notifications.markRead([written.notifications[0]!.notificationId]);
    await persistence.session.set({ strategyName: CONTEXT.strategyName, exchangeName: CONTEXT.exchangeName, frameName: '', symbol: CONTEXT.symbol, backtest: false }, { lastCross: 'up', bars: 42 });
    await persistence.state.set({ signalId: 'mon-open-1', bucketName: 'trail' }, { peak: 42_500, steps: [1, 2] });
    await persistence.memory.set({ signalId: 'mon-open-1', bucketName: 'notes', memoryId: 'why' }, { reason: 'ema cross', strength: 0.7 });
    written.log = await persistence.log.info('paper run started', { symbol: 'BTCUSDT', bars: 3 });

    const request = join(dataDir, 'request.json');
    await fsp.writeFile(
      request,
      JSON.stringify({
        signalId: 'mon-closed-1',
        session: { ...CONTEXT, frameName: '', backtest: false },
        state: { signalId: 'mon-open-1', bucketName: 'trail', backtest: false },
        memory: { signalId: 'mon-open-1', bucketName: 'notes', memoryId: 'why', backtest: false },
        recent: { ...CONTEXT, frameName: '' },
        rewriteNotifications: { newId: 'bot-note-1' },
      }),
    );
    read = await runBot<ReadResult>(['read', request], env);
  }, 480_000);

  afterAll(async () => {
    await persistence?.close();
    if (manager?.isConnected) await manager.connection.dropDatabase().catch(() => undefined);
    await manager?.close();
    await redis?.stop();
    if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('the bot read everything without errors', () => {
    expect(read.errors).toEqual([]);
  });

  it('Notification.getData(false) lists the monitor\'s notifications with their type, id, time, context and details', () => {
    const byId = new Map(read.notificationsLive.map((n) => [n.id, n]));
    for (const n of written.notifications) {
      const got = byId.get(n.notificationId);
      expect(got, n.notificationId).toBeDefined();
      expect(got).toMatchObject({ id: n.notificationId, type: n.type, backtest: false, createdAt: n.createdAt, ...(n.symbol ? { symbol: n.symbol, strategyName: n.strategyName, signalId: n.signalId } : {}), ...(n.data ?? {}) });
      // The monitor's own fields are not part of backtest-kit's model.
      expect(got).not.toHaveProperty('read');
      expect(got).not.toHaveProperty('title');
    }
  });

  it('Storage lists the monitor\'s signal rows as IStorageSignalRow, and finds one by id', () => {
    const byId = new Map(read.storageLive.map((r) => [r.id, r]));
    const opened = byId.get('mon-open-1');
    expect(opened).toMatchObject({ id: 'mon-open-1', ...CONTEXT, frameName: '', position: 'long', status: 'opened', priceOpen: 42_000, priceTakeProfit: 42_840, priceStopLoss: 41_580, minuteEstimatedTime: 120, note: 'ema cross up', scheduledAt: T0, pendingAt: T0, cost: 100 });
    expect(read.signal).toMatchObject({ id: 'mon-closed-1', status: 'closed', position: 'short', closeReason: 'take_profit', closeTimestamp: T0 - 3_600_000, currentPrice: 42_140, pnl: { pnlPercentage: 1.6 } });
    expect(byId.get('mon-closed-1')).toEqual(read.signal);
  });

  it('Recent.getLatestSignal, Session.getData, State.getState and Memory.readMemory return the monitor\'s values', () => {
    expect(read.recent).toMatchObject({ id: 'mon-open-1', ...CONTEXT, position: 'long', priceOpen: 42_000 });
    expect(read.session).toEqual({ lastCross: 'up', bars: 42 });
    expect(read.state).toEqual({ peak: 42_500, steps: [1, 2] });
    expect(read.memory).toEqual({ reason: 'ema cross', strength: 0.7 });
    expect(read.memoryList).toEqual([{ memoryId: 'why', content: { reason: 'ema cross', strength: 0.7 } }]);
  });

  it('Log.getList includes the monitor\'s log line as an ILogEntry', () => {
    const entry = read.log.find((e) => e.id === written.log.entryId);
    expect(entry).toMatchObject({ id: written.log.entryId, type: 'info', topic: 'paper run started', args: [{ symbol: 'BTCUSDT', bars: 3 }], timestamp: written.log.at, priority: written.log.at });
  });

  it('a bot\'s later upsert of the same notifications keeps the monitor\'s read flag, run id and title', async () => {
    const first = await persistence.notifications.get(written.notifications[0]!.notificationId, false);
    expect(first).toMatchObject({ read: true, runId: 'run-interop', title: 'BTCUSDT: long opened', message: 'at 42000' });
    const second = await persistence.notifications.get(written.notifications[1]!.notificationId, false);
    expect(second).toMatchObject({ read: false, runId: 'run-interop', title: 'BTCUSDT: short closed' });
  });

  it('marking a bot\'s notification read sets only the monitor\'s field: payload and updatedDate stay as the bot wrote them', async () => {
    const collection = manager.connection.collection('notification-items');
    const before = await collection.findOne({ notificationId: 'bot-note-1' });
    expect(before?.payload).toMatchObject({ id: 'bot-note-1', type: 'signal.info', note: 'written by the bot' });
    expect(before?.monitor).toBeUndefined();
    const unread = await persistence.notifications.unreadCount({ backtest: false });
    expect(await persistence.notifications.markRead(['bot-note-1'], false)).toBe(1);
    expect(await persistence.notifications.unreadCount({ backtest: false })).toBe(unread - 1);
    const after = await collection.findOne({ notificationId: 'bot-note-1' });
    expect(after?.payload).toEqual(before?.payload);
    expect(after?.updatedDate).toEqual(before?.updatedDate);
    expect(after?.monitor).toEqual({ read: true, title: expect.any(String), message: expect.any(String) });
    // And the monitor never deletes it.
    await persistence.storage.remove({ backtest: false, signalId: 'never-mine' });
    expect(await collection.countDocuments({ notificationId: 'bot-note-1' })).toBe(1);
  });
});
