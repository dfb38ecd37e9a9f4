import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { botIdOf, type BotsChanged } from '../../../shared/contract/bots';
import type { LogSubject } from '../../../shared/domain/logs';
import type { Notification } from '../../../shared/domain/notifications';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { BotMonitor } from './bot-monitor';
import { BotReader } from './bot-reader';
import { livePnl } from './live-pnl';
import type { Db } from './raw';
import {
  removeMemory,
  signalNotification,
  writeBreakeven,
  writeSchedule,
  signalRow,
  strategyStatus,
  writeCandle,
  writeMemory,
  writeNotification,
  writePartial,
  writeRisk,
  writeSession,
  writeSignal,
  writeState,
  writeStorage,
  writeStrategyStatus,
  type BotIdentity,
} from './test-support/bot-documents';

const BOT: BotIdentity = { strategyName: 'probe-strategy', exchangeName: 'probe-exchange', symbol: 'PROBEUSDT', frameName: '' };
const LIVE_KEY = { ...BOT, mode: 'live' as const };
const T = Date.UTC(2026, 11, 1, 14, 3);

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Until `probe` answers (the list follows the watcher, which polls every 250 ms here). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 2_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('bots: reading and watching what backtest-kit bots wrote', () => {
  let app: TestDb;
  /** A second connection: the bot, as another process would write. */
  let botConn: mongoose.Connection;
  let bot: Db;
  let monitor: BotMonitor;
  const notifications: Notification[] = [];
  const changes: BotsChanged[] = [];
  const logged: Array<{ level: string; message: string; subject?: LogSubject }> = [];

  beforeAll(async () => {
    app = await openTestDb('bots');
    botConn = await mongoose.createConnection(app.uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
    bot = botConn.db!;
    monitor = new BotMonitor({
      onNotifications: (ns) => notifications.push(...ns),
      onBotsChanged: (e) => changes.push(e),
      intervalMs: 250,
      log: (level, message, subject) => logged.push({ level, message, ...(subject ? { subject } : {}) }),
    });
    await monitor.attach(app.manager.connection.db!);
  });

  afterAll(async () => {
    await monitor?.close();
    await botConn?.close();
    await app?.dispose();
  });

  it('says it polls on a server without change streams', () => {
    expect(monitor.watch).toMatchObject({ mode: 'poll', intervalMs: 250 });
    expect(monitor.watch.detail).toMatch(/standalone|change stream/);
  });

  it('lists nothing in an empty database', async () => {
    expect((await monitor.list()).bots).toEqual([]);
  });

  it('finds a live bot with its open position, status and live PnL against the newest candle', async () => {
    const signal = signalRow(BOT, { priceOpen: 100, priceTakeProfit: 101, priceStopLoss: 99, at: T });
    await writeSignal(bot, BOT, signal);
    await writeStrategyStatus(bot, BOT, strategyStatus({ pendingSignalId: String(signal.id), isPaused: true, retryOpenCount: 2 }));
    await writeSession(bot, BOT, false, { lastPrice: 100.5 }, T);
    await writeCandle(bot, { exchangeName: BOT.exchangeName, symbol: BOT.symbol, interval: '1m', timestamp: T - 60_000, open: 100, high: 100.2, low: 99.9, close: 100.1, volume: 10 });
    await writeCandle(bot, { exchangeName: BOT.exchangeName, symbol: BOT.symbol, interval: '1m', timestamp: T, open: 100.1, high: 101, low: 100, close: 100.5, volume: 10 });

    const bots = await eventually('the bot in three collections', async () => {
      const { bots } = await monitor.list();
      return bots[0]?.collections.length === 3 ? bots : undefined;
    });
    expect(bots).toHaveLength(1);
    const b = bots[0]!;
    expect(b).toMatchObject({ ...LIVE_KEY, state: 'open', paused: true, position: { signalId: signal.id, position: 'long', priceOpen: 100 } });
    expect(b.collections).toEqual(['session-items', 'signal-items', 'strategy-items']);
    expect(b.livePnl).toMatchObject({ priceClose: 100.5, candleTimestamp: T, interval: '1m' });
    // backtest-kit's formula: 0.1% slippage each side, 0.1% fee on open and on close.
    const open = 100 * 1.001;
    const close = 100.5 * 0.999;
    const expected = ((close - open) / open) * 100 - 0.1 * (1 + close / open);
    expect(b.livePnl!.pnlPercentage).toBeCloseTo(expected, 10);
    expect(b.livePnl!.pnlCost).toBeCloseTo(expected, 10);
  });

  it('matches backtest-kit on the sample document (entry = close gives -0.3996%)', () => {
    const sample = signalRow(BOT, { priceOpen: 97.22462075758648, priceTakeProfit: 98.2, priceStopLoss: 96.3, at: T });
    expect(livePnl(sample, 97.22462075758648)!.pnlPercentage).toBeCloseTo(-0.3996003996003995, 12);
    const short = { ...sample, position: 'short' };
    expect(livePnl(short, 90)!.pnlPercentage).toBeGreaterThan(7);
  });

  it('shows one bot in full: status, session, state, memory, partial levels, risk, closed signals with statistics, notifications', async () => {
    const open = signalRow(BOT, { priceOpen: 100, priceTakeProfit: 101, priceStopLoss: 99, at: T });
    await writeSignal(bot, BOT, open);
    const closedRows = [
      { pnl: 1.5, reason: 'take_profit' },
      { pnl: -0.8, reason: 'stop_loss' },
      { pnl: 0.5, reason: 'time_expired' },
    ].map((r, i) => ({
      ...signalRow(BOT, { priceOpen: 100, priceTakeProfit: 101, priceStopLoss: 99, at: T - (i + 1) * 3_600_000 }),
      status: 'closed',
      closeReason: r.reason,
      pnl: { pnlPercentage: r.pnl, priceOpen: 100, priceClose: 100 + r.pnl, pnlCost: r.pnl, pnlEntries: 100 },
      updatedAt: T - i,
    }));
    for (const row of closedRows) await writeStorage(bot, false, row);
    await writeStorage(bot, false, { ...open, status: 'opened', updatedAt: T });
    await writeState(bot, String(open.id), 'probe-bucket', { pings: 7 }, T);
    await writeMemory(bot, String(open.id), 'probe-mem', 'm1', { seen: 100.2 }, T);
    await writePartial(bot, BOT, String(open.id), { [String(open.id)]: { profitLevels: [10, 20], lossLevels: [] } }, T);
    await writeRisk(bot, 'probe-risk', BOT.exchangeName, [[`${BOT.strategyName}:${BOT.symbol}`, { strategyName: BOT.strategyName, exchangeName: BOT.exchangeName, frameName: '', symbol: BOT.symbol, position: 'long', priceOpen: 100, priceStopLoss: 99, priceTakeProfit: 101, minuteEstimatedTime: 60, openTimestamp: T }]], T);
    await writeNotification(bot, signalNotification(BOT, 'signal.opened', open, { at: T, currentPrice: 100 }));

    const found = await monitor.get(LIVE_KEY);
    expect(found).toBeDefined();
    const d = found!.bot;
    expect(d.signal).toMatchObject({ id: open.id, priceOpen: 100 });
    expect(d.status).toMatchObject({ isPaused: true, retryOpenCount: 2 });
    expect(d.session).toMatchObject({ value: { lastPrice: 100.5 }, when: T });
    expect(d.state).toEqual([expect.objectContaining({ signalId: open.id, bucketName: 'probe-bucket', value: { pings: 7 }, when: T })]);
    expect(d.memory).toEqual([expect.objectContaining({ memoryId: 'm1', value: { seen: 100.2 }, removed: false, index: 'probe memory' })]);
    expect(d.partials).toEqual([expect.objectContaining({ signalId: open.id })]);
    expect(d.risk).toEqual([expect.objectContaining({ riskName: 'probe-risk', positions: [expect.objectContaining({ symbol: BOT.symbol, openTimestamp: T })] })]);
    expect(d.signalsTotal).toBe(4);
    expect(d.stats).toMatchObject({ closed: 3, wins: 2, losses: 1, byCloseReason: { take_profit: 1, stop_loss: 1, time_expired: 1 } });
    expect(d.stats.totalPnlPercent).toBeCloseTo(1.2, 10);
    expect(d.stats.winRate).toBeCloseTo((2 / 3) * 100, 10);
    expect(d.stats.profitFactor).toBeCloseTo(2 / 0.8, 10);
    expect(d.notifications).toHaveLength(1);
    expect(d.notifications[0]).toMatchObject({ type: 'signal.opened', symbol: BOT.symbol, read: false, title: 'PROBEUSDT: long position opened' });
    expect(d.notifications[0]!.data).toMatchObject({ priceOpen: 100, position: 'long' });
    expect(d.notifications[0]!.signalId).toBe(open.id);
  });

  it('keeps a backtest bot (frame, backtest flag) apart from the live one', async () => {
    const bt = { ...BOT, frameName: 'probe-frame' };
    await writeSession(bot, bt, true, { pass: 1 }, T);
    const bots = await eventually('the backtest bot', async () => {
      const { bots } = await monitor.list();
      return bots.length === 2 ? bots : undefined;
    });
    expect(bots.map((b) => `${b.mode}:${b.frameName}`).sort()).toEqual(['backtest:probe-frame', 'live:']);
    const detail = await monitor.get({ ...bt, mode: 'backtest' });
    expect(detail!.bot.summary.state).toBe('idle');
    expect(detail!.bot.session).toMatchObject({ value: { pass: 1 } });
    expect(await monitor.get({ ...BOT, symbol: 'NOPEUSDT', mode: 'live' })).toBeUndefined();
  });

  it('shows a scheduled signal, breakeven state and a soft-deleted memory entry of another bot', async () => {
    const other = { ...BOT, symbol: 'SCHEDUSDT' };
    const waiting: Record<string, unknown> = { ...signalRow(other, { priceOpen: 95, priceTakeProfit: 97, priceStopLoss: 94, at: T }), _isScheduled: true };
    await writeSchedule(bot, other, waiting);
    await writeBreakeven(bot, other, String(waiting.id), { [String(waiting.id)]: { reached: true } }, T);
    await writeMemory(bot, String(waiting.id), 'notes', 'old', { why: 'superseded' }, T);
    await removeMemory(bot, String(waiting.id), 'notes', 'old');
    const listed = await eventually('the scheduled bot', async () => (await monitor.list()).bots.find((b) => b.symbol === 'SCHEDUSDT'));
    expect(listed).toMatchObject({ state: 'scheduled', paused: false, mode: 'live' });
    expect(listed!.position).toBeUndefined();
    const d = (await monitor.get({ ...other, mode: 'live' }))!.bot;
    expect(d.signal).toBeNull();
    expect(d.scheduled).toMatchObject({ id: waiting.id, priceOpen: 95, _isScheduled: true });
    expect(d.breakevens).toEqual([expect.objectContaining({ signalId: waiting.id, value: { [String(waiting.id)]: { reached: true } } })]);
    expect(d.memory).toEqual([expect.objectContaining({ memoryId: 'old', removed: true, value: { why: 'superseded' } })]);
  });

  it('lists from the index the watcher keeps current, without scanning every collection again', async () => {
    await monitor.list();
    const scans = vi.spyOn(BotReader.prototype, 'discover');
    try {
      const newcomer = { ...BOT, symbol: 'NEWUSDT' };
      await writeSession(bot, newcomer, false, { hello: 1 }, T);
      const found = await eventually('the newcomer', async () => (await monitor.list()).bots.find((b) => b.symbol === 'NEWUSDT'));
      expect(found.collections).toEqual(['session-items']);
      await monitor.list();
      expect(scans).not.toHaveBeenCalled();
    } finally {
      scans.mockRestore();
    }
  });

  it('delivers a notification, a signal and a state written by another connection within 1 s', async () => {
    notifications.length = 0;
    changes.length = 0;
    const next = signalRow(BOT, { priceOpen: 101, priceTakeProfit: 102, priceStopLoss: 100, at: T + 60_000 });
    const note = signalNotification(BOT, 'signal.closed', next, { at: T + 60_000, currentPrice: 102, extra: { closeReason: 'take_profit', priceClose: 102 } });
    await writeNotification(bot, note);
    await writeSignal(bot, BOT, next);
    await writeState(bot, String(next.id), 'probe-bucket', { pings: 1 }, T + 60_000);
    // 1 s from the moment the bot's last write is acknowledged, for everything.
    const written = Date.now();
    const left = (): number => Math.max(0, 1_000 - (Date.now() - written));

    const n = await until('notification', () => notifications.find((x) => x.notificationId === note.id), left());
    expect(n).toMatchObject({ type: 'signal.closed', backtest: false, read: false, symbol: BOT.symbol, signalId: next.id });
    expect(n.title).toBe('PROBEUSDT: long position closed (take profit)');
    expect(n.data).toMatchObject({ closeReason: 'take_profit' });
    const seen = await until('signal and state changes', () => {
      const collections = new Set(changes.flatMap((c) => c.collections));
      return collections.has('signal-items') && collections.has('state-items') ? collections : undefined;
    }, left());
    expect(seen.has('notification-items')).toBe(true);
    expect(changes.flatMap((c) => c.bots)).toContainEqual(LIVE_KEY);
    // A second poll does not announce the same notification again.
    await monitor.pollNow();
    expect(notifications.filter((x) => x.notificationId === note.id)).toHaveLength(1);
  });

  it('does not announce a notification the app already announced itself', async () => {
    notifications.length = 0;
    const note = signalNotification(BOT, 'signal.info', { id: 's1', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1, extra: { note: 'mine' } });
    monitor.noteAnnounced(String(note.id));
    await writeNotification(bot, note);
    const marker = signalNotification(BOT, 'signal.info', { id: 's2', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1, extra: { note: 'theirs' } });
    await writeNotification(bot, marker);
    await until('the marker', () => notifications.find((x) => x.notificationId === marker.id), 5_000);
    expect(notifications.map((x) => x.notificationId)).not.toContain(note.id);
  });

  it('logs a notification it cannot show with the bot it came from, so the Logs view links to the bot', async () => {
    logged.length = 0;
    const odd = signalNotification(BOT, 'signal.teleported', { id: 's3', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1 });
    await writeNotification(bot, odd);
    const marker = signalNotification(BOT, 'signal.info', { id: 's4', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1, extra: { note: 'after' } });
    await writeNotification(bot, marker);
    await until('the marker', () => notifications.find((x) => x.notificationId === marker.id), 5_000);
    const line = logged.find((l) => l.message.includes('not shown'));
    expect(line).toMatchObject({ level: 'warn', subject: { kind: 'bot', botId: botIdOf(LIVE_KEY) } });
    expect(line!.message).toContain('probe-strategy PROBEUSDT (probe-exchange)');
    expect(line!.message).toContain('unknown type "signal.teleported"');
  });

  it('never writes: the bot documents are byte-for-byte what the bot left', async () => {
    const names = ['signal-items', 'strategy-items', 'notification-items', 'session-items', 'state-items', 'memory-items', 'storage-items', 'candle-items'];
    const snapshot = async () => Promise.all(names.map((c) => bot.collection(c).find({}).sort({ _id: 1 }).toArray().then((docs) => JSON.stringify(docs))));
    const before = await snapshot();
    await monitor.list();
    await monitor.get(LIVE_KEY);
    await monitor.pollNow();
    expect(await snapshot()).toEqual(before);
  });

  it('falls back to polling, and still delivers, when the server refuses a change stream', async () => {
    const got: Notification[] = [];
    const logs: string[] = [];
    const forced = new BotMonitor({ onNotifications: (ns) => got.push(...ns), onBotsChanged: () => undefined, intervalMs: 250, mode: 'change-stream', log: (_l, m) => logs.push(m) });
    try {
      await forced.attach(app.manager.connection.db!);
      // Written while the refused stream may still look open: the fallback must not lose it.
      const early = signalNotification(BOT, 'error.critical', { id: 's3', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1 });
      await writeNotification(bot, early);
      await until('the fallback to polling', () => (forced.watch.mode === 'poll' ? true : undefined), 5_000);
      expect(forced.watch.detail).toMatch(/change stream/);
      const late = signalNotification(BOT, 'error.info', { id: 's4', position: 'long', priceOpen: 1 }, { at: T, currentPrice: 1 });
      await writeNotification(bot, late);
      await until('a notification after the fallback', () => got.find((x) => x.notificationId === late.id), 5_000);
      await until('the one written before it', () => got.find((x) => x.notificationId === early.id), 5_000);
      expect(logs.join('\n')).toMatch(/change stream (refused|failed)/);
    } finally {
      await forced.close();
    }
  });

  it('keeps up with a writer that puts more than a poll batch into the look-back window', async () => {
    notifications.length = 0;
    const now = Date.now();
    const docs = Array.from({ length: 1_200 }, (_, i) => {
      const payload = signalNotification(BOT, 'signal.info', { id: `burst-${i}`, position: 'long', priceOpen: 1 }, { at: now, currentPrice: 1, extra: { note: `burst ${i}` } });
      // Two a millisecond, newer than anything seen so far, as a fast writer leaves them.
      const at = new Date(now + 1_000 + Math.floor(i / 2));
      return { backtest: false, notificationId: payload.id, payload, createDate: at, updatedDate: at, __v: 0 };
    });
    await bot.collection('notification-items').insertMany(docs);
    const ids = new Set(docs.map((d) => String(d.notificationId)));
    // Three polls' worth of batches at most; stuck on the first window it would stop at 500.
    const all = () => (notifications.filter((n) => ids.has(n.notificationId)).length === ids.size ? true : undefined);
    await until('all 1,200 notifications', all, 3_000).catch(() => undefined);
    expect(notifications.filter((n) => ids.has(n.notificationId))).toHaveLength(1_200);
  });
});
