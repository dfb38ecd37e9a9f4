import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { CandleDbService } from '../db/candle-db-service';
import type { RunDetail, RunEvent, SignalRow } from '../../../shared/domain/runs';
import { createPersistence, type Persistence } from '../persist';
import { RunManager } from './run-manager';
import { InMemoryRunStore } from './run-store';
import { computeStats } from './statistics';
import { BUILTIN_STRATEGIES } from '../strategies';
import { readSharedCandles } from './test-support/real-candles';

const EXCHANGE = 'binance';
const SYMBOLS = { 'ETH/BTC': 'ETH_BTC-1m.json', 'DASH/BTC': 'DASH_BTC-1m.json' } as const;

let db: TestDb;
let manager: RunManager;
let cacheDir: string;
let range: { from: number; to: number };
let persistence: Persistence;
const runStore = new InMemoryRunStore();

beforeAll(async () => {
  db = await openTestDb('engine_backtest');
  const candles = new CandleDbService(db.manager.connection);
  await candles.ensureIndexes();
  let from = Infinity;
  let to = 0;
  for (const [symbol, file] of Object.entries(SYMBOLS)) {
    const rows = readSharedCandles(file);
    await candles.bulkUpsert({ exchangeName: EXCHANGE, symbol, interval: '1m' }, rows);
    from = Math.min(from, rows[0]!.timestamp);
    to = Math.max(to, rows.at(-1)!.timestamp + 60_000);
  }
  range = { from, to };
  cacheDir = mkdtempSync(join(tmpdir(), 'bm-cache-'));
  persistence = await createPersistence({ mode: 'backtest', dataDir: cacheDir });
  manager = new RunManager({ candles, cacheDir: join(cacheDir, 'candles'), builtins: BUILTIN_STRATEGIES, persistence: { live: persistence, backtest: persistence }, runStore });
});

afterAll(async () => {
  await manager?.close();
  await persistence?.close();
  await db?.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function backtest(strategyName: string, params: Record<string, number | boolean> = {}): Promise<RunDetail> {
  const { runId } = await manager.start({ kind: 'backtest', strategyName, params, exchangeName: EXCHANGE, symbols: Object.keys(SYMBOLS), interval: '1m', ...range, frameName: 'test' }, `${strategyName}-${Math.random()}`);
  const done = await manager.waitFor(runId);
  expect(done.error).toBeUndefined();
  expect(done.status).toBe('completed');
  return manager.get(runId);
}

/** Signals without the run id (which differs between the two runs by design). */
function comparable(signals: SignalRow[]): unknown[] {
  return signals.map(({ runId, signalId, ...rest }) => ({ ...rest, signalId: signalId.slice(runId!.length) }));
}

function recompute(signals: SignalRow[]) {
  const closed = signals.filter((s) => s.status === 'closed').sort((a, b) => a.closedAt! - b.closedAt! || a.signalId.localeCompare(b.signalId));
  const pnls = closed.map((s) => s.pnlPercent!);
  const total = pnls.reduce((a, b) => a + b, 0);
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p <= 0);
  let equity = 0;
  let peak = 0;
  let dd = 0;
  for (const p of pnls) {
    equity += p;
    peak = Math.max(peak, equity);
    dd = Math.max(dd, peak - equity);
  }
  const mean = total / pnls.length;
  const sd = Math.sqrt(pnls.reduce((a, p) => a + (p - mean) ** 2, 0) / (pnls.length - 1));
  return {
    trades: pnls.length,
    wins: wins.length,
    winRate: wins.length / pnls.length,
    totalPnlPercent: total,
    avgPnlPercent: mean,
    maxDrawdownPercent: dd,
    sharpe: mean / sd,
    profitFactor: wins.reduce((a, b) => a + b, 0) / -losses.reduce((a, b) => a + b, 0),
  };
}

describe.each(['sma-crossover', 'rsi-mean-reversion', 'donchian-breakout'])('backtest of %s on real candles', (strategyName) => {
  it('is deterministic and its statistics agree with a recomputation from its signals', async () => {
    const first = await backtest(strategyName);
    const second = await backtest(strategyName);
    expect(first.stats!.trades).toBeGreaterThan(10);
    expect(comparable(second.signals)).toEqual(comparable(first.signals));
    expect(second.stats).toEqual(first.stats);

    const expected = recompute(first.signals);
    const s = first.stats!;
    expect(s.trades).toBe(expected.trades);
    expect(s.wins).toBe(expected.wins);
    expect(s.winRate).toBeCloseTo(expected.winRate, 12);
    expect(s.totalPnlPercent).toBeCloseTo(expected.totalPnlPercent, 9);
    expect(s.avgPnlPercent!).toBeCloseTo(expected.avgPnlPercent, 9);
    expect(s.maxDrawdownPercent).toBeCloseTo(expected.maxDrawdownPercent, 9);
    expect(s.sharpe!).toBeCloseTo(expected.sharpe, 9);
    expect(s.profitFactor!).toBeCloseTo(expected.profitFactor, 9);
    expect(first.equity.at(-1)!.equity).toBeCloseTo(expected.totalPnlPercent, 9);
    expect(first.progress).toBe(1);
    // Recent (backtest column: in-memory) holds the latest signal of each symbol.
    for (const symbol of Object.keys(SYMBOLS)) {
      const latest = first.signals.filter((x) => x.symbol === symbol).at(-1)!;
      const recent = await persistence.recent.latest({ symbol, strategyName, exchangeName: EXCHANGE, frameName: 'test', backtest: true });
      expect(recent?.runId === first.runId || recent?.runId === second.runId).toBe(true);
      expect(recent?.openedAt ?? recent?.scheduledAt).toBe(latest.openedAt ?? latest.scheduledAt);
    }
    // Each symbol's statistics, computed by its worker and kept with the run's history, equal the
    // ones computed here from that symbol's rows.
    const stored = await runStore.get(first.runId);
    expect(Object.keys(stored!.result!.statsBySymbol).sort()).toEqual(Object.keys(SYMBOLS).sort());
    expect(stored!.result!.statsBySymbol).toEqual(first.statsBySymbol);
    for (const symbol of Object.keys(SYMBOLS)) expect(first.statsBySymbol[symbol]).toEqual(computeStats(first.signals.filter((x) => x.symbol === symbol)));
    // Both symbols ran (in their own workers) and every signal belongs to one of them.
    expect(new Set(first.signals.map((x) => x.symbol))).toEqual(new Set(Object.keys(SYMBOLS)));
    for (const x of first.signals) expect(['closed', 'cancelled', 'opened', 'scheduled']).toContain(x.status);
  }, 120_000);
});

describe('a running backtest', () => {
  it('reports its trades closed so far with its progress, ending at its statistics', async () => {
    const tallies: Array<{ trades: number; pnlPercent: number }> = [];
    let runId = '';
    const seen: RunEvent[] = [];
    const listener = (e: RunEvent): void => {
      seen.push(e);
    };
    manager.on('event', listener);
    try {
      ({ runId } = await manager.start({ kind: 'backtest', strategyName: 'sma-crossover', params: {}, exchangeName: EXCHANGE, symbols: Object.keys(SYMBOLS), interval: '1m', ...range, frameName: 'test' }));
      await manager.waitFor(runId);
    } finally {
      manager.off('event', listener);
    }
    for (const e of seen) if (e.runId === runId && e.type === 'progress' && e.tally) tallies.push(e.tally);
    const done = manager.get(runId);
    expect(tallies.length).toBeGreaterThan(0);
    for (let i = 1; i < tallies.length; i++) expect(tallies[i]!.trades).toBeGreaterThanOrEqual(tallies[i - 1]!.trades);
    // The last progress (every symbol at its end) counted every closed trade of the run.
    expect(tallies.at(-1)!.trades).toBe(done.stats!.trades);
    expect(tallies.at(-1)!.pnlPercent).toBeCloseTo(done.stats!.totalPnlPercent, 9);
    // Once finished, the statistics take over.
    expect(done.tally).toBeUndefined();
  }, 120_000);
});

describe('backtest requests', () => {
  it('rejects bad parameters with the parameter named, before queuing', async () => {
    await expect(
      manager.start({ kind: 'backtest', strategyName: 'sma-crossover', params: { fast: 50, slow: 20 }, exchangeName: EXCHANGE, symbols: ['ETH/BTC'], interval: '1m', ...range }),
    ).rejects.toThrow(/fast: fast must be shorter than slow/);
    await expect(
      manager.start({ kind: 'backtest', strategyName: 'nope', exchangeName: EXCHANGE, symbols: ['ETH/BTC'], interval: '1m', ...range }),
    ).rejects.toThrow(/unknown strategy "nope"/);
  });

  it('fails a run whose symbol has no stored candles, naming the symbol', async () => {
    const { runId } = await manager.start({ kind: 'backtest', strategyName: 'sma-crossover', exchangeName: EXCHANGE, symbols: ['NOPE/BTC'], interval: '1m', ...range });
    const done = await manager.waitFor(runId);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/no stored 1m candles for binance NOPE\/BTC/);
  });
});
