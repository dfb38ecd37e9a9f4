import { execFileSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialSummary } from '../../../shared/domain/optimize';
import { createPersistence, type Persistence } from '../persist';
import { RunManager } from '../engine/run-manager';
import { BUILTIN_STRATEGIES } from '../strategies';
import { CandleCache } from '../engine/candle-cache';
import { SweepDefinitionError } from './param-space';
import { TRIALS_COLLECTION } from './sweep-store';
import { TrialEngine } from './trial-engine';
import type { TrialSpec } from './trial-spec';
import { ensureCandleFiles } from './trial-summary';
import { EXCHANGE, fixtureTrial, gridSweep, openSweepFixture, SYMBOLS, type SweepFixture } from './test-support/sweep-fixture';

let fx: SweepFixture;
let reference: TrialSummary[];

beforeAll(async () => {
  fx = await openSweepFixture('optimize');
});

afterAll(async () => {
  await fx?.dispose();
});

/** 66 trials (fast 5..15 by 1): long enough to stop midway; fast 5, 10, 15 are the reference grid's. */
const longSweep = () =>
  gridSweep(fx.range, {
    strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: 15, step: 1 }, slow: { min: 20, max: 40, step: 10 }, takeProfitPercent: { choices: [0.5, 1] }, allowShort: { fixed: true } } }],
  });

const byParams = (trials: TrialSummary[]): Map<string, TrialSummary> => new Map(trials.map((t) => [JSON.stringify(t.params), t]));

async function refused(input: Parameters<typeof gridSweep>[1], path: string, text: RegExp): Promise<void> {
  const service = fx.localService(1);
  const error = await service.start(gridSweep(fx.range, input)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SweepDefinitionError);
  const issues = (error as SweepDefinitionError).issues;
  expect(issues.map((i) => i.path)).toContain(path);
  expect(issues.find((i) => i.path === path)!.message).toMatch(text);
  expect(await fx.store.listSweeps()).toEqual([]);
}

describe('sweep definitions', () => {
  const sma = (params: Record<string, unknown>) => ({ strategies: [{ strategyName: 'sma-crossover', params }] }) as never;
  it('refuses min greater than max, naming the field', () => refused(sma({ fast: { min: 20, max: 5, step: 1 } }), 'strategies.0.params.fast.min', /greater than max/));
  it('refuses a step of 0, naming the field', () => refused(sma({ fast: { min: 5, max: 20, step: 0 } }), 'strategies.0.params.fast.step', /greater than 0/));
  it('refuses a parameter the schema does not have', () => refused(sma({ nope: { min: 1, max: 2, step: 1 } }), 'strategies.0.params.nope', /has no parameter "nope"/));
  it('refuses a grid of 10^9 points', () =>
    refused(
      sma({
        fast: { min: 1, max: 1000, step: 1 },
        slow: { min: 2, max: 1001, step: 1 },
        takeProfitPercent: { min: 0.1, max: 100, step: 0.1 },
      }),
      'strategies.0.params',
      /1\.00e\+9 points/,
    ));
  it('refuses a value outside the parameter schema', () => refused(sma({ lifetimeMinutes: { min: -5, max: 10, step: 1 } }), 'strategies.0.params.lifetimeMinutes.min', /below the parameter's minimum/));
  it('refuses an unknown strategy', () => refused({ strategies: [{ strategyName: 'no-such', params: {} }] } as never, 'strategies.0.strategyName', /unknown strategy/));
});

describe('grid sweep in process', () => {
  it('runs every grid point once, scores it, and the best equals a normal backtest with its parameters', async () => {
    const service = fx.localService(2);
    const started = await service.start(gridSweep(fx.range));
    const done = await service.waitFor(started.sweepId);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(18);
    expect(done.total).toBe(18);
    const trials = (await service.trials(started.sweepId)).items;
    reference = trials;
    expect(trials.map((t) => t.index)).toEqual([...Array(18).keys()]);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(18);
    expect(trials.every((t) => t.stats !== null && t.error === undefined)).toBe(true);
    const best = [...trials].sort((a, b) => b.score! - a.score!)[0]!;
    expect(done.best!.trialId).toBe(best.trialId);
    expect(best.score).toBe(best.stats!.totalPnlPercent);
    // Statistics only: 10,000 trials stay far under 200 MB of database (2 KB a trial would be 20 MB).
    const docs = await fx.db.manager.connection.collection(TRIALS_COLLECTION).find({ sweepId: started.sweepId }).toArray();
    const largest = Math.max(...docs.map((d) => mongo.BSON.calculateObjectSize(d)));
    expect(largest).toBeLessThan(2_048);

    // The same parameters through the run engine (stored signals, the run page's statistics).
    const persistence: Persistence = await createPersistence({ mode: 'backtest', dataDir: fx.dir });
    const manager = new RunManager({ candles: fx.candles, cacheDir: join(fx.dir, 'runs-cache'), builtins: BUILTIN_STRATEGIES, persistence: { live: persistence, backtest: persistence } });
    try {
      const { runId } = await manager.start({ kind: 'backtest', strategyName: 'sma-crossover', params: best.params, exchangeName: EXCHANGE, symbols: Object.keys(SYMBOLS), interval: '1m', ...fx.range });
      const run = await manager.waitFor(runId);
      expect(run.status).toBe('completed');
      expect(best.stats).toEqual(run.stats);
    } finally {
      await manager.close();
      await persistence.close();
    }
  });

  it('continues after a restart with only the trials it had not stored, ending with the same results', async () => {
    const first = fx.localService(1);
    const { sweepId } = await first.start(longSweep());
    await new Promise<void>((resolve) => first.on('progress', (e) => e.done >= 4 && resolve()));
    await first.close(); // the app stops: the sweep stays `running` in MongoDB
    const interrupted = await fx.store.getSweep(sweepId);
    expect(interrupted!.status).toBe('running');
    const before = (await fx.store.trialsOf(sweepId)).total;
    expect(before).toBeGreaterThanOrEqual(4);
    expect(before).toBeLessThan(66);

    const second = fx.localService(2);
    expect(await second.resumeUnfinished()).toEqual([sweepId]);
    const done = await second.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(66);
    const trials = (await second.trials(sweepId)).items;
    expect(trials.map((t) => t.index)).toEqual([...Array(66).keys()]);
    const deliveries = await fx.store.deliveries(sweepId);
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    const ref = byParams(reference);
    const shared = trials.filter((t) => ref.has(JSON.stringify(t.params)));
    expect(shared).toHaveLength(18);
    for (const t of shared) expect(t.stats).toEqual(ref.get(JSON.stringify(t.params))!.stats);
  });

  it('stops, keeps what it stored, and resumes to completion', async () => {
    const service = fx.localService(1);
    const { sweepId } = await service.start(longSweep());
    await new Promise<void>((resolve) => service.on('progress', (e) => e.done >= 2 && resolve()));
    const stopped = await service.stop(sweepId);
    expect(stopped.status).toBe('stopped');
    expect((await fx.store.getSweep(sweepId))!.status).toBe('stopped');
    const kept = (await service.trials(sweepId)).total;
    expect(kept).toBeLessThan(66);
    expect(stopped.done).toBe(kept);
    await service.resume(sweepId);
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect((await service.trials(sweepId)).total).toBe(66);
  });
});

describe('searches, walk-forward and walker', () => {
  it('random and TPE searches run their trial budget, random reproducibly from its seed', async () => {
    const service = fx.localService(2);
    const def = (method: 'random' | 'tpe') =>
      gridSweep(fx.range, {
        strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 3, max: 15 }, slow: { min: 20, max: 60 }, stopLossPercent: { min: 0.3, max: 2 } } }],
        search: { method, seed: 7, startupTrials: 4 },
        budget: { trials: 10 },
      });
    const a = await service.start(def('random'));
    const b = await service.start(def('random'));
    const t = await service.start(def('tpe'));
    for (const s of [a, b, t]) expect((await service.waitFor(s.sweepId)).done).toBe(10);
    const params = async (id: string) => (await service.trials(id)).items.map((x) => x.params);
    expect(await params(a.sweepId)).toEqual(await params(b.sweepId));
    for (const p of await params(t.sweepId)) {
      expect(Number.isInteger(p.fast)).toBe(true);
      expect(p.stopLossPercent as number).toBeGreaterThanOrEqual(0.3);
      expect(p.stopLossPercent as number).toBeLessThanOrEqual(2);
    }
  });

  it('walk-forward reports each window\'s best parameters and their out-of-sample result', async () => {
    const service = fx.localService(2);
    const { sweepId } = await service.start(gridSweep(fx.range, { walkForward: { windows: 2, mode: 'anchored', outOfSamplePercent: 30 } }));
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect(done.walkForward).toHaveLength(2);
    for (const w of done.walkForward!) {
      expect(w.inSample.from).toBe(fx.range.from); // anchored
      expect(w.inSample.to).toBe(w.outOfSample.from);
      const inSample = (await service.trials(sweepId, { phase: `w${w.window}` })).items;
      expect(inSample).toHaveLength(18);
      const best = [...inSample].filter((x) => x.score !== null).sort((x, y) => y.score! - x.score!)[0]!;
      expect(w.best!.params).toEqual(best.params);
      const oos = await fx.store.getTrial(w.outOfSampleTrialId!);
      expect(oos!.params).toEqual(best.params);
      expect(oos!.from).toBe(w.outOfSample.from);
      expect(w.outOfSampleStats).toEqual(oos!.stats);
    }
    expect(done.done).toBe(2 * 18 + 2);
  });

  it('walker compares whole strategies on one frame', async () => {
    const service = fx.localService(2);
    const { sweepId } = await service.start(
      gridSweep(fx.range, {
        mode: 'walker',
        strategies: [{ strategyName: 'sma-crossover' }, { strategyName: 'rsi-mean-reversion' }, { strategyName: 'donchian-breakout' }],
        objective: { weights: { totalPnlPercent: 1, maxDrawdown: 0.5 }, minTrades: 0 },
      }),
    );
    const done = await service.waitFor(sweepId);
    const trials = (await service.trials(sweepId)).items;
    expect(trials.map((t) => t.strategyName)).toEqual(['sma-crossover', 'rsi-mean-reversion', 'donchian-breakout']);
    for (const t of trials) expect(t.score).toBeCloseTo(t.stats!.totalPnlPercent - 0.5 * t.stats!.maxDrawdownPercent, 9);
    expect(done.best!.score).toBe(Math.max(...trials.map((t) => t.score!)));
  });
});

describe('several strategies in one sweep', () => {
  it('sweeps each strategy over its own ranges, tags every trial with its strategy, and the best is the best of all', async () => {
    const service = fx.localService(2);
    const { sweepId } = await service.start(
      gridSweep(fx.range, {
        strategies: [
          { strategyName: 'sma-crossover', params: { fast: { min: 5, max: 10, step: 5 }, slow: { choices: [20, 30] } } },
          { strategyName: 'rsi-mean-reversion', params: { period: { min: 7, max: 21, step: 7 }, oversold: { fixed: 25 } } },
        ],
      }),
    );
    const done = await service.waitFor(sweepId);
    expect(done.status).toBe('completed');
    expect(done.total).toBe(4 + 3);
    const trials = (await service.trials(sweepId)).items;
    const sma = trials.filter((t) => t.strategyName === 'sma-crossover');
    const rsi = trials.filter((t) => t.strategyName === 'rsi-mean-reversion');
    expect(sma).toHaveLength(4);
    expect(new Set(sma.map((t) => `${t.params.fast}/${t.params.slow}`))).toEqual(new Set(['5/20', '10/20', '5/30', '10/30']));
    expect(rsi.map((t) => t.params.period).sort((a, b) => Number(a) - Number(b))).toEqual([7, 14, 21]);
    expect(rsi.every((t) => t.params.oversold === 25 && t.params.fast === undefined)).toBe(true);
    expect(sma.every((t) => t.params.period === undefined)).toBe(true);
    const best = trials.filter((t) => t.score !== null).sort((a, b) => b.score! - a.score!)[0]!;
    expect(done.best!.trialId).toBe(best.trialId);
  });
});

describe('candles shared between trials', () => {
  it('a trial engine reads each symbol\'s cache file once for all its trials, and again only when the file is rewritten', async () => {
    const files = await ensureCandleFiles(new CandleCache(join(fx.dir, 'cache'), fx.candles), { exchangeName: EXCHANGE, symbols: Object.keys(SYMBOLS), interval: '1m', cacheFrom: fx.range.from, cacheTo: fx.range.to });
    const engine = new TrialEngine({ builtins: BUILTIN_STRATEGIES });
    const spec = (index: number, fast: number): TrialSpec =>
      fixtureTrial(fx.range, { sweepId: 'shared', index, strategyName: 'sma-crossover', params: { fast, slow: 30 }, objective: { metric: 'sharpe', minTrades: 1 } });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await engine.run(spec(i, 5 + i), files));
    expect(outcomes.every((o) => o.stats !== null)).toBe(true);
    expect(engine.fileReads).toBe(Object.keys(SYMBOLS).length);
    // A cache file rewritten in place (candles imported since) is read again, not served stale.
    const [first] = Object.values(files);
    const later = new Date(Date.now() + 5_000);
    utimesSync(first!, later, later);
    await engine.run(spec(5, 10), files);
    expect(engine.fileReads).toBe(Object.keys(SYMBOLS).length + 1);
  });
});

describe('backtest-kit strategy files', () => {
  it('sweeps a backtest-kit file\'s exported params, the best trial equal to a normal backtest of the file', { timeout: 300_000 }, async () => {
    // The differential suite's strategy files; run in a plain Node process, where their `backtest-kit` import gets our API.
    const dir = join(process.cwd(), 'test/differential/strategies');
    // A day in, so the strategy's look-back has candles from the first tick on.
    const range = { from: fx.range.from + 86_400_000, to: fx.range.to };
    const definition = gridSweep(range, { strategies: [{ strategyName: 'sma-market', params: { fast: { choices: [5, 10] }, slow: { choices: [20, 30] } } }] });
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'electron/core/optimize/test-support/bk-sweep-child.ts'), fx.db.uri, fx.dir, dir, JSON.stringify(definition)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; error?: string; bestTrialId: string; trials: TrialSummary[]; run: { status: string; stats: TrialSummary['stats'] } };
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    expect(result.trials).toHaveLength(4);
    expect(result.trials.every((t) => t.error === undefined && t.stats!.trades > 0)).toBe(true);
    const best = result.trials.find((t) => t.trialId === result.bestTrialId)!;
    expect(result.run.status).toBe('completed');
    expect(best.stats!.trades).toBe(result.run.stats!.trades);
    expect(best.stats!.totalPnlPercent).toBeCloseTo(result.run.stats!.totalPnlPercent, 9);
  });

  it('sweeps a backtest-kit file at 15m (its frame ticks every 15 minutes over the stored 1m candles): each trial equal to a backtest of the file at 15m', { timeout: 400_000 }, async () => {
    const dir = join(process.cwd(), 'test/differential/strategies');
    const range = { from: fx.range.from + 86_400_000, to: fx.range.to };
    // Only 1m candles are stored: the sweep must read those, as a run of the file at 15m does.
    const definition = gridSweep(range, { interval: '15m', strategies: [{ strategyName: 'sma-market', params: { fast: { choices: [5, 10] }, slow: { choices: [20, 30] } } }] });
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'electron/core/optimize/test-support/bk-sweep-child.ts'), fx.db.uri, fx.dir, dir, JSON.stringify(definition), 'every'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    type Run = { status: string; stats: TrialSummary['stats'] };
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; error?: string; trials: TrialSummary[]; runs: Record<string, Run> };
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    expect(result.trials).toHaveLength(4);
    expect(result.trials.every((t) => t.error === undefined && t.stats !== null)).toBe(true);
    expect(result.trials.reduce((n, t) => n + t.stats!.trades, 0)).toBeGreaterThan(0);
    for (const t of result.trials) {
      const run = result.runs[t.trialId]!;
      expect(run.status).toBe('completed');
      expect(t.stats!.trades).toBe(run.stats!.trades);
      expect(t.stats!.totalPnlPercent).toBeCloseTo(run.stats!.totalPnlPercent, 9);
      expect(t.stats!.maxDrawdownPercent).toBeCloseTo(run.stats!.maxDrawdownPercent, 9);
    }
    // The frame's interval is honoured: a crossing is seen only at a 15-minute tick, so each trial
    // trades less than the same parameters on the 1m frame (not a 1m sweep under another name).
    const oneMinute = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'electron/core/optimize/test-support/bk-sweep-child.ts'), fx.db.uri, fx.dir, dir, JSON.stringify({ ...definition, interval: '1m' })], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim().split('\n').at(-1)!,
    ) as { trials: TrialSummary[] };
    for (const t of result.trials) expect(t.stats!.trades).toBeLessThan(oneMinute.trials.find((o) => o.index === t.index)!.stats!.trades);
  });
});
