import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUri } from '../support/test-db';
import { differences, type RunOutput } from './compare';

/**
 * `npm run backtest` spawned for real, after `npm run candles -- import` stored the shared candles
 * in the test database: a backtest-kit strategy file gives backtest-kit 19.5.0's signals (through
 * the run manager, its worker threads and the candle store), and the exit codes say what happened.
 */

const ROOT = resolve(__dirname, '../..');
const CANDLES = resolve(ROOT, '../shared/data/candles');
const KIT = join(ROOT, 'bench/backtest-kit/node_modules/backtest-kit/build/index.mjs');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/**
 * Without the fixture install (cd bench/backtest-kit && npm ci) or the shared candles there is
 * nothing to compare against: skipped on a developer's machine, but in CI (CI=true, which installs
 * both) a missing one fails the suite instead of skipping it unseen.
 */
const FIXTURES = (existsSync(KIT) && existsSync(CANDLES)) || process.env.CI === 'true';
const STRATEGY = join(__dirname, 'strategies', 'scheduled-entries.mjs');
const FROM = '2018-01-22T00:00:00Z';
const TO = '2018-01-26T00:00:00Z';

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

let env: NodeJS.ProcessEnv;
let dataDir: string;

function spawnCli(script: string, args: string[]): Promise<Spawned> {
  return new Promise((done) => {
    execFile(TSX, [join(ROOT, 'electron/core/cli', script), ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The same file in real backtest-kit 19.5.0 on the shared ETH/BTC candles, frame of `interval`. */
function runReal(file: string, from: string, to: string, interval: string, params: Record<string, unknown> = {}): Promise<RunOutput> {
  return new Promise<RunOutput>((done, fail) => {
    execFile(process.execPath, [join(__dirname, 'run-real.mjs'), file, join(CANDLES, 'ETH_BTC-1m.json'), 'ETHBTC', from, to, '', JSON.stringify(params), interval], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      error ? fail(error) : done(JSON.parse(stdout) as RunOutput),
    );
  });
}

function spawnOutput(spawned: Spawned): string {
  expect(spawned.code, spawned.stderr).toBe(0);
  return spawned.stdout;
}

describe.skipIf(!FIXTURES)('npm run backtest', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-backtest-cli-'));
    env = { ...process.env, CC_MONGO_CONNECTION_STRING: freshDatabaseUri('backtest_cli'), BACKTEST_MONITOR_DATA_DIR: dataDir };
    const imported = await spawnCli('candles.ts', ['import', join(CANDLES, 'ETH_BTC-1m.json'), '--symbol', 'ETH/BTC', '--interval', '1m', '--exchange', 'binance']);
    expect(imported.code, imported.stderr).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a backtest-kit file with --param and prints backtest-kit\'s closed and cancelled results', { timeout: 600_000 }, async () => {
    const params = { offset: 0.3, lifetime: 200 };
    const cli = await spawnCli('backtest.ts', [
      '--strategy', STRATEGY, '--exchange', 'binance', '--symbol', 'ETH/BTC', '--interval', '1m', '--from', FROM, '--to', TO,
      '--param', `offset=${params.offset}`, '--param', `lifetime=${params.lifetime}`, '--json',
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const ours = JSON.parse(cli.stdout) as { results: Array<Record<string, unknown>>; statistics: { trades: number } };
    const real = await runReal(STRATEGY, FROM, TO, '1m', params);
    expect(real.results.some((r) => r.action === 'cancelled')).toBe(true);
    expect(real.results.some((r) => r.action === 'closed')).toBe(true);
    expect(differences(real, { ms: 0, results: ours.results })).toEqual([]);
    // backtest-kit's field names on every item, and statistics over the closed ones.
    for (const r of ours.results) {
      expect(r.symbol).toBe('ETH/BTC');
      expect(Object.keys(r.signal as object)).toEqual(expect.arrayContaining(['id', 'position', 'priceOpen', 'priceTakeProfit', 'priceStopLoss', 'scheduledAt', 'pendingAt']));
      if (r.action === 'closed') expect(Object.keys(r.pnl as object)).toEqual(expect.arrayContaining(['pnlPercentage', 'priceOpen', 'priceClose']));
      else expect(r.cancelReason).toBe(r.reason);
    }
    expect(ours.statistics.trades).toBe(real.results.filter((r) => r.action === 'closed').length);
  });

  it('runs a file on a 15m interval (its frame) over the stored 1m candles, as backtest-kit does with a 15m frame', { timeout: 600_000 }, async () => {
    const file = join(__dirname, 'strategies', 'higher-intervals.mjs');
    const cli = await spawnCli('backtest.ts', ['--strategy', file, '--exchange', 'binance', '--symbol', 'ETH/BTC', '--interval', '15m', '--from', FROM, '--to', TO, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const ours = JSON.parse(cli.stdout) as { results: Array<Record<string, unknown>> };
    const real = await runReal(file, FROM, TO, '15m');
    expect(real.results.length).toBeGreaterThan(5);
    // Every tick of a 15m frame is on a quarter hour: so is every scheduled signal.
    expect(real.results.every((r) => (r.signal as { scheduledAt: number }).scheduledAt % 900_000 === 0)).toBe(true);
    expect(differences(real, { ms: 0, results: ours.results })).toEqual([]);
  });

  it("prints an Infinity lifetime as backtest-kit's result reads in JSON (null), finite ones as numbers", { timeout: 600_000 }, async () => {
    const file = join(__dirname, 'strategies', 'infinite-active.mjs');
    const [from, to] = ['2018-01-20T10:00:00Z', '2018-01-26T00:00:00Z'];
    const cli = await spawnCli('backtest.ts', ['--strategy', file, '--exchange', 'binance', '--symbol', 'ETH/BTC', '--interval', '1m', '--from', from, '--to', to, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const ours = JSON.parse(cli.stdout) as { results: Array<{ signal: { minuteEstimatedTime: unknown } }> };
    const real = await runReal(file, from, to, '1m');
    expect(differences(real, { ms: 0, results: ours.results })).toEqual([]);
    expect(ours.results.length).toBeGreaterThan(0);
    // run-real.mjs writes Infinity as the string "Infinity" (so the probe keeps it); plain JSON.stringify gives null.
    const lifetimes = real.results.map((r) => (r.signal as { minuteEstimatedTime: unknown }).minuteEstimatedTime);
    expect(lifetimes.every((l) => l === 'Infinity')).toBe(true);
    expect(ours.results.map((r) => r.signal.minuteEstimatedTime)).toEqual(lifetimes.map(() => JSON.parse(JSON.stringify(Infinity)) as null));
    const scheduled = JSON.parse(spawnOutput(await spawnCli('backtest.ts', ['--strategy', STRATEGY, '--exchange', 'binance', '--symbol', 'ETH/BTC', '--interval', '1m', '--from', FROM, '--to', '2018-01-23T00:00:00Z', '--json']))) as typeof ours;
    expect(scheduled.results.every((r) => typeof r.signal.minuteEstimatedTime === 'number')).toBe(true);
  });

  it('lists backtest-kit files with their parameters beside the built-ins', { timeout: 120_000 }, async () => {
    const cli = await spawnCli('backtest.ts', ['--list', '--strategies-dir', join(__dirname, 'strategies'), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const { strategies } = JSON.parse(cli.stdout) as { strategies: Array<{ name: string; source: string; error?: string; params: Array<{ name: string; default: unknown }> }> };
    const scheduled = strategies.find((s) => s.name === 'scheduled-entries');
    expect(scheduled?.error).toBeUndefined();
    expect(scheduled?.params.map((p) => p.name)).toEqual(['fast', 'slow', 'offset', 'tp', 'sl', 'lifetime']);
    expect(strategies.find((s) => s.name === 'sma-crossover')?.source).toBe('builtin');
  });

  it('exits 2 on bad usage and 1 on a run that fails, with the reason on stderr', { timeout: 300_000 }, async () => {
    const usage = await spawnCli('backtest.ts', ['--strategy', STRATEGY, '--exchange', 'binance', '--interval', '1m', '--from', FROM, '--to', TO]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--symbol is required');
    const failed = await spawnCli('backtest.ts', ['--strategy', STRATEGY, '--exchange', 'binance', '--symbol', 'NOPE/BTC', '--interval', '1m', '--from', FROM, '--to', TO, '--json']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('NOPE/BTC');
    expect(failed.stdout).toBe('');
  });
});
