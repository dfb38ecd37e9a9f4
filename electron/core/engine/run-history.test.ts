import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EquityPoint, RunDetail } from '../../../shared/domain/runs';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { CandleDbService } from '../db/candle-db-service';
import { createPersistence } from '../persist';
import { thinEquity } from './run-history';
import { RunManager, RunNotFoundError } from './run-manager';
import { BUILTIN_STRATEGIES } from '../strategies';
import { RunDbService, type RunStore, type StoredRun } from './run-store';
import { readSharedCandles } from './test-support/real-candles';

const CANDLES = 3_000;
let db: TestDb;
let dir: string;
let candles: CandleDbService;
let range: { from: number; to: number };
const opened: Array<{ close(): Promise<void> }> = [];

/** One "app start": fresh persistence (backtest Storage in memory, as by default) and a run manager on the same database. */
async function openApp(runStore: RunStore = new RunDbService(db.manager.connection), log?: (level: string, message: string) => void): Promise<RunManager> {
  const live = await createPersistence({ mode: 'live', connection: db.manager, dataDir: join(dir, 'data') });
  const backtest = await createPersistence({ mode: 'backtest', dataDir: join(dir, 'data') });
  const manager = new RunManager({ candles, cacheDir: join(dir, 'cache'), builtins: BUILTIN_STRATEGIES, persistence: { live, backtest }, runStore, ...(log ? { log } : {}) });
  opened.push(manager, live, backtest);
  return manager;
}

const backtestRequest = () => ({ kind: 'backtest' as const, strategyName: 'sma-crossover', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m' as const, ...range });

beforeAll(async () => {
  db = await openTestDb('engine_history');
  candles = new CandleDbService(db.manager.connection);
  await candles.ensureIndexes();
  const rows = readSharedCandles('ETH_BTC-1m.json').slice(0, CANDLES);
  await candles.bulkUpsert({ exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' }, rows);
  range = { from: rows[0]!.timestamp, to: rows.at(-1)!.timestamp + 60_000 };
  dir = mkdtempSync(join(tmpdir(), 'bm-history-'));
});

afterAll(async () => {
  for (const o of opened.reverse()) await o.close().catch(() => undefined);
  await db?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('run history after a restart', () => {
  it('lists finished backtest and paper runs with their statistics and trades, paged, and never resumes a finished run', async () => {
    const first = await openApp();
    // Each run's detail as this process had it (the manager keeps only the newest finished run's rows).
    const before = new Map<string, RunDetail>();
    const runStore = new RunDbService(db.manager.connection);
    const a = await first.start(backtestRequest());
    expect((await first.waitFor(a.runId, 60_000)).status).toBe('completed');
    // `stored` resolves once the finished backtest's history record is written (it follows the completion).
    expect((await first.stored(a.runId)).status).toBe('completed');
    expect((await runStore.get(a.runId))?.summary.status).toBe('completed');
    before.set(a.runId, first.get(a.runId));
    const b = await first.start({ ...backtestRequest(), params: { fast: 5, slow: 20 } });
    expect((await first.waitFor(b.runId, 60_000)).status).toBe('completed');
    before.set(b.runId, first.get(b.runId));
    const p = await first.start({ ...backtestRequest(), kind: 'paper', replaySpeed: 0 });
    expect((await first.waitFor(p.runId, 60_000)).status).toBe('completed');
    before.set(p.runId, first.get(p.runId));
    // A slow paper run stopped by the user is history too.
    const s = await first.start({ ...backtestRequest(), kind: 'paper', replaySpeed: 60 });
    await first.stop(s.runId);
    before.set(s.runId, first.get(s.runId));
    expect(before.get(a.runId)!.stats!.trades).toBeGreaterThan(5);
    await first.close();

    const second = await openApp();
    expect(second.list()).toEqual([]);
    expect(await second.resumeUnfinished()).toEqual([]);
    const all = await second.listAll();
    expect(all.total).toBe(4);
    expect(all.runs.map((r) => r.runId)).toEqual([s, p, b, a].map((r) => r.runId));
    expect(all.runs.map((r) => r.status)).toEqual(['stopped', 'completed', 'completed', 'completed']);
    for (const run of all.runs) expect(run.stats).toEqual(before.get(run.runId)!.stats);

    // Paged, newest first, without overlap; filters apply to the stored history.
    const page1 = await second.listAll({ limit: 3 });
    const page2 = await second.listAll({ limit: 3, offset: 3 });
    expect(page1.runs.map((r) => r.runId)).toEqual(all.runs.slice(0, 3).map((r) => r.runId));
    expect(page2.runs.map((r) => r.runId)).toEqual([a.runId]);
    expect((await second.listAll({ kind: 'backtest' })).runs.map((r) => r.runId)).toEqual([b.runId, a.runId]);
    expect((await second.listAll({ status: 'stopped' })).total).toBe(1);

    // The detail: the same trades and statistics as before the restart (the backtest Storage was in memory).
    for (const run of [a, p]) {
      const after = await second.detail(run.runId);
      const was = before.get(run.runId)!;
      expect(after.status).toBe('completed');
      expect(after.stats).toEqual(was.stats);
      expect(after.statsBySymbol).toEqual(was.statsBySymbol);
      expect(after.equity).toEqual(was.equity);
      expect(after.signals).toEqual(was.signals);
    }
    await expect(second.detail('nope')).rejects.toBeInstanceOf(RunNotFoundError);
    expect((await second.stored(a.runId)).stats).toEqual(before.get(a.runId)!.stats);
    await expect(second.stored('nope')).rejects.toBeInstanceOf(RunNotFoundError);

    // A run started now is listed first, beside the history.
    const c = await second.start(backtestRequest());
    await second.waitFor(c.runId, 60_000);
    const now = await second.listAll({ limit: 2 });
    expect(now.total).toBe(5);
    expect(now.runs.map((r) => r.runId)).toEqual([c.runId, s.runId]);
  }, 180_000);

  it('retries the final write of a run, and logs when it cannot be stored instead of dropping it', async () => {
    let failures = 2;
    const inner = new RunDbService(db.manager.connection);
    const flaky: RunStore = {
      save: async (run: StoredRun) => {
        if (run.summary.status === 'completed' && failures-- > 0) throw new Error('write refused (test)');
        await inner.save(run);
      },
      listUnfinished: () => inner.listUnfinished(),
      get: (id) => inner.get(id),
      list: (q) => inner.list(q),
    };
    const lines: string[] = [];
    const manager = await openApp(flaky, (_level, message) => lines.push(message));
    const run = await manager.start({ ...backtestRequest(), kind: 'paper', replaySpeed: 0 });
    expect((await manager.waitFor(run.runId, 60_000)).status).toBe('completed');
    expect((await inner.get(run.runId))!.summary.status).toBe('completed');

    failures = 10;
    const again = await manager.start({ ...backtestRequest(), kind: 'paper', replaySpeed: 0 });
    expect((await manager.waitFor(again.runId, 60_000)).status).toBe('completed');
    expect(lines.join('\n')).toMatch(new RegExp(`run ${again.runId} ended completed, but its final state could not be stored after 3 attempts \\(write refused \\(test\\)\\).*may be resumed`));
  }, 120_000);
});

describe('finished runs in memory', () => {
  it('keeps only the newest finished run with every row; older ones come back from the run store with their statistics', async () => {
    const manager = await openApp();
    const ids: string[] = [];
    const details = new Map<string, RunDetail>();
    for (let i = 0; i < 6; i++) {
      const { runId } = await manager.start({ ...backtestRequest(), params: { fast: 5 + i, slow: 30 } });
      await manager.waitFor(runId, 60_000);
      details.set(runId, manager.get(runId));
      ids.push(runId);
    }
    expect(manager.list().map((r) => r.runId)).toEqual(ids.slice(-1));
    expect(manager.has(ids[0]!)).toBe(false);
    const listed = await manager.listAll({ kind: 'backtest', limit: 100 });
    expect(listed.runs.map((r) => r.runId).filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    expect(await manager.stop(ids[0]!)).toEqual({ stopped: false, status: 'completed' });
    const old = await manager.detail(ids[0]!);
    expect(old.stats).toEqual(details.get(ids[0]!)!.stats);
    expect(old.signals).toEqual(details.get(ids[0]!)!.signals);
  }, 180_000);
});

describe('equity thinning', () => {
  it('keeps first, last, and each bucket’s low and high', () => {
    const points: EquityPoint[] = Array.from({ length: 10_000 }, (_, i) => ({ timestamp: i, equity: Math.sin(i / 50) * 10 + (i === 5_000 ? -100 : 0) }));
    const thin = thinEquity(points, 2_000);
    expect(thin.length).toBeLessThanOrEqual(2_000);
    expect(thin[0]).toEqual(points[0]);
    expect(thin.at(-1)).toEqual(points.at(-1));
    expect(thin.some((p) => p.equity === -100 + Math.sin(100) * 10)).toBe(true);
    expect(Math.max(...thin.map((p) => p.equity))).toBe(Math.max(...points.map((p) => p.equity)));
    for (let i = 1; i < thin.length; i++) expect(thin[i]!.timestamp).toBeGreaterThan(thin[i - 1]!.timestamp);
  });
});
