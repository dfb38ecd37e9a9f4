import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandleCache } from '../engine/candle-cache';
import { BUILTIN_STRATEGIES } from '../strategies';
import { EXCHANGE, fixtureTrial, openSweepFixture, SYMBOLS, type SweepFixture } from './test-support/sweep-fixture';
import { TrialEngine } from './trial-engine';
import { TrialPool } from './trial-pool';
import type { TrialSpec } from './trial-spec';
import { ensureCandleFiles } from './trial-summary';

/** The trial pool hands each thread its next trial ahead (two at a time): same results, nothing lost when a thread dies. */
let fx: SweepFixture;
let files: Record<string, string>;
let strategiesDir: string;

beforeAll(async () => {
  fx = await openSweepFixture('optimize_pool');
  files = await ensureCandleFiles(new CandleCache(join(fx.dir, 'cache'), fx.candles), { exchangeName: EXCHANGE, symbols: Object.keys(SYMBOLS), interval: '1m', cacheFrom: fx.range.from, cacheTo: fx.range.to });
  // Inside the repo's node_modules reach, so the module's `import 'zod'` resolves.
  mkdirSync(join(process.cwd(), 'node_modules', '.tmp'), { recursive: true });
  strategiesDir = mkdtempSync(join(process.cwd(), 'node_modules', '.tmp', 'bm-pool-strategies-'));
  // Ends its worker thread mid-trial when asked to (as a strategy that runs the thread out of memory would).
  writeFileSync(
    join(strategiesDir, 'ends-thread.mjs'),
    `import { z } from 'zod';
     export default { name: 'ends-thread', interval: '1m', params: z.object({ end: z.boolean().default(false) }),
       getSignal(ctx) { if (ctx.params.end && ctx.index === 100) process.exit(3); return null; } };`,
  );
});

afterAll(async () => {
  await fx?.dispose();
  if (strategiesDir) rmSync(strategiesDir, { recursive: true, force: true });
});

const spec = (index: number, strategyName: string, params: TrialSpec['params']): TrialSpec =>
  fixtureTrial(fx.range, { sweepId: 'pool', index, strategyName, params, objective: { metric: 'totalPnlPercent', minTrades: 1 } });

describe('trial pool', () => {
  it('runs trials handed to one thread ahead of time one after another, each with the result it has alone', { timeout: 120_000 }, async () => {
    const specs = [5, 8, 11, 14].map((fast, i) => spec(i, 'sma-crossover', { fast, slow: 30 }));
    const pool = new TrialPool(undefined, 1);
    try {
      const together = await Promise.all(specs.map((s) => pool.run(s, files)));
      const engine = new TrialEngine({ builtins: BUILTIN_STRATEGIES });
      const alone = [];
      for (const s of specs) alone.push(await engine.run(s, files));
      expect(together).toEqual(alone);
      expect(together.every((o) => o.stats !== null && o.stats.trades > 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('a thread that dies fails only the trial it was running; the trial waiting in it runs on a new thread', { timeout: 120_000 }, async () => {
    const pool = new TrialPool(undefined, 1);
    try {
      const outcomes = await Promise.all([
        pool.run(spec(0, 'ends-thread', { end: true }), files, strategiesDir),
        pool.run(spec(1, 'sma-crossover', { fast: 5, slow: 30 }), files, strategiesDir),
        pool.run(spec(2, 'sma-crossover', { fast: 8, slow: 30 }), files, strategiesDir),
      ]);
      expect(outcomes[0]).toEqual({ stats: null, error: 'the trial worker thread exited (code 3)' });
      expect(outcomes[1]!.stats?.trades).toBeGreaterThan(0);
      expect(outcomes[2]!.stats?.trades).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });
});
