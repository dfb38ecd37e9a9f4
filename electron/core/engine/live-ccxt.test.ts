import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { runRequestSchema } from '../../../shared/domain/runs';
import { CandleDbService } from '../db/candle-db-service';
import { startFakeBinanceServer, type FakeBinanceServer } from '../market/fake-binance-server';
import { createPersistence, type Persistence } from '../persist';
import { RunManager } from './run-manager';
import { BUILTIN_STRATEGIES } from '../strategies';
import { RunDbService } from './run-store';
import { readSharedCandles } from './test-support/real-candles';

const M = 60_000;
const eth = readSharedCandles('ETH_BTC-1m.json').slice(0, 900);
let db: TestDb;
let fake: FakeBinanceServer;
let dir: string;
const opened: Persistence[] = [];

beforeAll(async () => {
  db = await openTestDb('engine_live');
  fake = await startFakeBinanceServer({ markets: [{ symbol: 'ETH/BTC', candles: { '1m': eth } }] });
  dir = mkdtempSync(join(tmpdir(), 'bm-live-'));
});

afterAll(async () => {
  for (const p of opened) await p.close().catch(() => undefined);
  await fake?.stop();
  await db?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('live run through ccxt (fake Binance)', () => {
  it('resumes from its checkpoint (retrying while the exchange is down), catches up on the candles that closed meanwhile, and writes to MongoDB', async () => {
    const live = await createPersistence({ mode: 'live', connection: db.manager, dataDir: join(dir, 'data') });
    const backtest = await createPersistence({ mode: 'backtest', dataDir: join(dir, 'data') });
    opened.push(live, backtest);
    const runStore = new RunDbService(db.manager.connection);
    // A live run that was running when the app stopped, its checkpoint at the 300th candle.
    const request = runRequestSchema.parse({
      kind: 'live',
      strategyName: 'sma-crossover',
      params: { fast: 5, slow: 20, takeProfitPercent: 0.6, stopLossPercent: 0.6, lifetimeMinutes: 30 },
      exchangeName: 'binance',
      symbols: ['ETH/BTC'],
      interval: '1m',
    });
    const cursor = eth[299]!.timestamp;
    const summary = { runId: 'live-1', kind: 'live' as const, status: 'running' as const, strategyName: request.strategyName, exchangeName: 'binance', frameName: 'live', symbols: ['ETH/BTC'], interval: '1m' as const, params: request.params, progress: 0, processed: 0, total: 0, createdAt: Date.now() };
    await runStore.save({ runId: 'live-1', request, summary, cursors: { 'ETH/BTC': cursor } });

    const manager = new RunManager({
      candles: new CandleDbService(db.manager.connection),
      cacheDir: join(dir, 'cache'),
      builtins: BUILTIN_STRATEGIES,
      persistence: { live, backtest },
      runStore,
      exchangeApiUrl: fake.url,
      livePollMs: 200,
    });
    // The exchange drops connections when the run comes back: it waits and retries instead of failing.
    fake.failNextKlines(3, 'reset');
    expect(await manager.resumeUnfinished()).toEqual(['live-1']);
    // Wait until the run has caught up to the exchange's last candle.
    await expect.poll(async () => (await runStore.listUnfinished())[0]?.cursors['ETH/BTC'], { timeout: 60_000, interval: 250 }).toBe(eth.at(-1)!.timestamp);
    const stopped = await manager.stop('live-1');
    expect(stopped.status).toBe('stopped');

    const signals = (await live.storage.listSignals({ runId: 'live-1' }, { limit: 10_000 })).items.map((e) => e.value);
    expect(signals.length).toBeGreaterThan(3);
    for (const s of signals) {
      expect(s.backtest).toBe(false);
      // Nothing before the checkpoint is traded again; history there only warmed the indicators up.
      expect(s.openedAt ?? s.scheduledAt!).toBeGreaterThan(cursor + M);
    }
    expect(await db.manager.connection.collection('storage-items').countDocuments({})).toBe(signals.length);
    const notes = await live.notifications.list({ runId: 'live-1' }, { limit: 10_000 });
    expect(notes.items.filter((n) => n.type === 'signal.opened')).toHaveLength(signals.length);
    // The first requests (refused, then retried) asked for a warm-up window before the checkpoint.
    expect(fake.klinesRequests.slice(0, 4).map((r) => [r.startTime, r.failed])).toEqual([
      [cursor - 500 * M, true],
      [cursor - 500 * M, true],
      [cursor - 500 * M, true],
      [cursor - 500 * M, false],
    ]);
    expect(await runStore.listUnfinished()).toEqual([]);
    await manager.close();
  }, 150_000);
});
