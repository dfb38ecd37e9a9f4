import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import type { RunEvent } from '../../../shared/domain/runs';
import { CandleDbService } from '../db/candle-db-service';
import { createPersistence, type Persistence } from '../persist';
import { RunManager } from './run-manager';
import { BUILTIN_STRATEGIES } from '../strategies';
import { StrategyCatalog } from './strategy-catalog';
import { readSharedCandles } from './test-support/real-candles';

const STRATEGIES: Record<string, string> = {
  // A TypeScript user strategy using the factory form (no imports needed).
  'every-tenth.ts': `
    import type { StrategyKit } from '${join(process.cwd(), 'electron/core/engine/strategy')}';
    export default ({ z, defineStrategy }: StrategyKit) => defineStrategy({
      name: 'every-tenth', interval: '1m',
      params: z.object({ every: z.number().int().min(1).default(10) }),
      getSignal(ctx) {
        if (ctx.index % ctx.params.every !== 0) return null;
        return { position: 'long', priceTakeProfit: ctx.price * 1.01, priceStopLoss: ctx.price * 0.99, minuteEstimatedTime: 5 };
      },
    });`,
  'throws.mjs': `
    import { z } from 'zod';
    export default { name: 'throws', interval: '1m', params: z.object({}),
      getSignal(ctx) { if (ctx.index === 500) throw new Error('boom at candle 500'); return null; } };`,
  'loops.mjs': `
    import { z } from 'zod';
    export default { name: 'loops', interval: '1m', params: z.object({}),
      getSignal(ctx) { if (ctx.index === 500) for (;;) {} return null; } };`,
  'syntax-error.ts': `export default { name: 'oops', interval: '1m', params: ;`,
  'not-a-strategy.mjs': `export default { name: 'bad name!', interval: '7m', getSignal: 3 };`,
};

let db: TestDb;
let dir: string;
let manager: RunManager;
let persistence: Persistence;
let range: { from: number; to: number };

beforeAll(async () => {
  db = await openTestDb('engine_failures');
  const candles = new CandleDbService(db.manager.connection);
  await candles.ensureIndexes();
  const rows = readSharedCandles('ETH_BTC-1m.json').slice(0, 3000);
  await candles.bulkUpsert({ exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' }, rows);
  range = { from: rows[0]!.timestamp, to: rows.at(-1)!.timestamp + 60_000 };
  // Inside the repo's node_modules reach, so the .mjs modules' `import 'zod'` resolves (a folder
  // elsewhere uses the factory form, which needs no imports).
  mkdirSync(join(process.cwd(), 'node_modules', '.tmp'), { recursive: true });
  dir = mkdtempSync(join(process.cwd(), 'node_modules', '.tmp', 'bm-strategies-'));
  for (const [file, source] of Object.entries(STRATEGIES)) writeFileSync(join(dir, file), source);
  persistence = await createPersistence({ mode: 'backtest', dataDir: join(dir, '.data') });
  manager = new RunManager({
    candles,
    cacheDir: join(dir, '.cache'),
    builtins: BUILTIN_STRATEGIES,
    strategiesDir: dir,
    persistence: { live: persistence, backtest: persistence },
    watchdogMs: 3000,
    maxConcurrentRuns: 3,
  });
});

afterAll(async () => {
  await manager?.close();
  await persistence?.close();
  await db?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('user strategies folder', () => {
  it('lists usable modules with their form fields and broken ones with their error', async () => {
    const list = await new StrategyCatalog({ userDir: dir, builtins: BUILTIN_STRATEGIES }).list();
    const byName = new Map(list.map((s) => [s.name, s]));
    expect(byName.get('sma-crossover')?.source).toBe('builtin');
    expect(byName.get('every-tenth')).toMatchObject({ source: 'user', params: [{ name: 'every', type: 'integer', default: 10, min: 1 }] });
    expect(byName.get('every-tenth')?.error).toBeUndefined();
    expect(byName.get('syntax-error')?.error).toBeTruthy();
    expect(byName.get('not-a-strategy')?.error).toMatch(/name: .*interval: .*params: must be a zod object schema.*getSignal: must be a function/s);
    expect(byName.get('sma-crossover')?.params.map((p) => p.name)).toEqual(['fast', 'slow', 'allowShort', 'takeProfitPercent', 'stopLossPercent', 'lifetimeMinutes']);
  });
});

describe('a failing strategy fails its own run only', () => {
  it('throwing → failed with error.critical (message and stack); looping → stopped by the watchdog; a good run completes', async () => {
    const frame = { kind: 'backtest' as const, exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m' as const, ...range };
    const events: RunEvent[] = [];
    manager.on('event', (e) => events.push(e));
    const [throwing, looping, good] = await Promise.all([
      manager.start({ ...frame, strategyName: 'throws' }),
      manager.start({ ...frame, strategyName: 'loops' }),
      manager.start({ ...frame, strategyName: 'every-tenth' }),
    ]);
    const [t, l, g] = await Promise.all([manager.waitFor(throwing.runId), manager.waitFor(looping.runId), manager.waitFor(good.runId)]);

    expect(t.status).toBe('failed');
    expect(t.error).toMatch(/boom at candle 500/);
    const critical = events.find((e) => e.type === 'notification' && e.runId === throwing.runId && e.notification.type === 'error.critical');
    expect(critical?.type === 'notification' && critical.notification.data?.stack).toMatch(/boom at candle 500[\s\S]*throws\.mjs/);
    const stored = await persistence.notifications.list({ runId: throwing.runId, type: 'error.critical' });
    expect(stored.total).toBe(1);

    expect(l.status).toBe('failed');
    expect(l.error).toMatch(/watchdog: the strategy "loops" did not return/);

    expect(g.status).toBe('completed');
    expect(g.stats!.trades).toBeGreaterThan(10);
  }, 120_000);

  it('stop() ends a running run as stopped', async () => {
    const { runId } = await manager.start({ kind: 'backtest', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', ...range, strategyName: 'loops' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await manager.stop(runId)).toEqual({ stopped: true, status: 'stopped' });
    expect(manager.list({ status: 'stopped' }).map((r) => r.runId)).toContain(runId);
  });
});
