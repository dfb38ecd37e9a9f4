import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { CandleDbService } from '../db/candle-db-service';
import { createPersistence, type Persistence } from '../persist';
import { RunManager } from './run-manager';
import { BUILTIN_STRATEGIES } from '../strategies';
import { RunDbService } from './run-store';
import { readSharedCandles } from './test-support/real-candles';
import { PAPER_DEMO_STRATEGY as STRATEGY } from './test-support/paper-demo-strategy';

const CANDLES = 400;
let db: TestDb;
let dir: string;
let candles: CandleDbService;
let range: { from: number; to: number };
const opened: Persistence[] = [];

async function openApp(): Promise<{ manager: RunManager; live: Persistence }> {
  const live = await createPersistence({ mode: 'live', connection: db.manager, dataDir: join(dir, 'data') });
  const backtest = await createPersistence({ mode: 'backtest', dataDir: join(dir, 'data') });
  opened.push(live, backtest);
  const manager = new RunManager({
    candles,
    cacheDir: join(dir, 'cache'),
    builtins: BUILTIN_STRATEGIES,
    strategiesDir: join(dir, 'strategies'),
    persistence: { live, backtest },
    runStore: new RunDbService(db.manager.connection),
  });
  return { manager, live };
}

beforeAll(async () => {
  db = await openTestDb('engine_paper');
  candles = new CandleDbService(db.manager.connection);
  await candles.ensureIndexes();
  const rows = readSharedCandles('ETH_BTC-1m.json').slice(0, CANDLES);
  await candles.bulkUpsert({ exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' }, rows);
  range = { from: rows[0]!.timestamp, to: rows.at(-1)!.timestamp + 60_000 };
  dir = mkdtempSync(join(tmpdir(), 'bm-paper-'));
  const strategies = join(dir, 'strategies');
  mkdirSync(strategies);
  writeFileSync(join(strategies, 'paper-demo.mjs'), STRATEGY);
});

afterAll(async () => {
  for (const p of opened) await p.close().catch(() => undefined);
  await db?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('paper replay', () => {
  it('writes signals, notifications and state to MongoDB, and resumes after a restart with nothing duplicated', async () => {
    const request = { kind: 'paper' as const, strategyName: 'paper-demo', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m' as const, ...range };
    // 6000× real time: 10 ms per 1m candle, so the run is still going when the "app" stops.
    const first = await openApp();
    const { runId } = await first.manager.start({ ...request, replaySpeed: 6000 });
    await new Promise<void>((resolve) => {
      const off = first.manager.subscribe(runId, (e) => {
        if (e.type === 'progress' && e.processed >= 120) {
          off();
          resolve();
        }
      });
    });
    await first.manager.close(); // the app stops; the run is not finished
    const before = await first.live.storage.listSignals({ runId }, { limit: 10_000 });
    expect(before.total).toBeGreaterThan(5);
    const stored = await new RunDbService(db.manager.connection).listUnfinished();
    expect(stored.map((r) => r.runId)).toEqual([runId]);
    expect(stored[0]!.cursors['ETH/BTC']).toBeGreaterThan(range.from);

    const second = await openApp();
    expect(await second.manager.resumeUnfinished()).toEqual([runId]);
    let firstProcessed: number | undefined;
    second.manager.subscribe(runId, (e) => {
      if (e.type === 'progress') firstProcessed ??= e.processed;
    });
    const done = await second.manager.waitFor(runId, 60_000);
    expect(done.status).toBe('completed');
    // It went on from its checkpoint rather than starting over.
    expect(firstProcessed).toBeGreaterThan(120);

    // The same strategy as a backtest over the same candles is the reference.
    const { runId: refId } = await second.manager.start({ ...request, kind: 'backtest' });
    expect((await second.manager.waitFor(refId)).status).toBe('completed');
    // MongoDB keeps backtest-kit's storage document, which adds fields derived from ours (currentPrice
    // = priceClose, pnl = {pnlPercentage, priceOpen, priceClose}, scheduledAt = openedAt): left out here.
    const strip = (rows: Array<{ value: Record<string, unknown> }>) =>
      rows
        .map(({ value: { runId: r, signalId, backtest: _b, currentPrice: _c, pnl: _p, scheduledAt: _s, ...rest } }) => ({ ...rest, signalId: String(signalId).slice(String(r).length) }))
        .sort((a, b) => a.signalId.localeCompare(b.signalId));
    const paperSignals = await second.live.storage.listSignals({ runId }, { limit: 10_000 });
    const reference = second.manager.get(refId).signals.map((value) => ({ value }));
    expect(paperSignals.total).toBeGreaterThan(before.total);
    expect(strip(paperSignals.items)).toEqual(strip(reference));

    // Stored in MongoDB, one document per key: as many signal notifications as transitions, no more.
    const conn = db.manager.connection;
    const mongoSignals = await conn.collection('storage-items').countDocuments({});
    expect(mongoSignals).toBe(paperSignals.total);
    const notes = await second.live.notifications.list({ runId }, { limit: 10_000 });
    const byType = (t: string) => notes.items.filter((n) => n.type === t).length;
    const opened = paperSignals.items.length;
    const closed = paperSignals.items.filter((s) => s.value.status === 'closed').length;
    expect(byType('signal.opened')).toBe(opened);
    expect(byType('signal.closed')).toBe(closed);
    expect(byType('run.started')).toBe(1);
    expect(byType('run.completed')).toBe(1);
    expect(new Set(notes.items.map((n) => n.notificationId)).size).toBe(notes.items.length);
    expect(await conn.collection('notification-items').countDocuments({})).toBeGreaterThanOrEqual(notes.total);

    // State per signal and the session, in MongoDB.
    expect(await conn.collection('state-items').countDocuments({})).toBe(opened);
    const session = await second.live.session.get({ strategyName: 'paper-demo', exchangeName: 'binance', frameName: done.frameName, symbol: 'ETH/BTC', backtest: false });
    expect(session).toMatchObject({ lastSignalAt: expect.any(Number) });
    await second.manager.close();
  }, 150_000);
});
