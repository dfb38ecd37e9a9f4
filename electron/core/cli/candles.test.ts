import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../db/connection-manager';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { startFakeBinanceServer, type FakeBinanceServer } from '../market/fake-binance-server';
import { loadSharedCandles, sharedCandlePath } from '../market/test-data';

const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'electron', 'core', 'cli', 'candles.ts');

let uri: string;
let dir: string;
let fake: FakeBinanceServer;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function candles(...args: string[]): Promise<CliRun> {
  return candlesWith(uri, ...args);
}

function candlesWith(databaseUri: string, ...args: string[]): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CC_MONGO_CONNECTION_STRING: databaseUri } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  uri = freshDatabaseUri('market_cli');
  dir = mkdtempSync(join(tmpdir(), 'candles-cli-'));
  fake = await startFakeBinanceServer({ markets: [{ symbol: 'ADA/BTC', candles: { '1m': loadSharedCandles('ADA_BTC-1m.json') } }] });
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fake.stop();
  const manager = new ConnectionManager({ uri });
  await manager.connect();
  await manager.connection.dropDatabase();
  await manager.close();
});

describe('npm run candles (spawned)', () => {
  it('import: exit 0, symbol and interval from the file name, --json report; list shows it', async () => {
    const run = await candles('import', sharedCandlePath('ETHBTC-1m-2018-01.binance.csv'), '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, format: 'binance-csv', rows: 14397, inserted: 14397, key: { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' } });

    const human = await candles('list');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/binance\s+ETH\/BTC\s+1m\s+14,397\s+2018-01-20T04:53Z\s+2018-01-30T04:50Z/);
  });

  it('import of a bad file: exit 1, the issue with file:line, nothing stored', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, '1516423980000,0.1,0.2,0.05,0.15,1,1516424039999,0,0,0,0,0\n1516424040000,0.1,0.01,0.05,0.15,1,1516424099999,0,0,0,0,0\n');
    const run = await candles('import', file, '--symbol', 'BAD/BTC', '--interval', '1m');
    expect(run.code).toBe(1);
    // The issue names the file, line and rule; never the cell values (they may be a secret from any file).
    expect(run.stdout).toContain('bad.csv:2: high is below low [high_low]');
    expect(run.stdout).not.toContain('0.01');
    expect(run.stdout).toContain('Nothing was stored');
    const list = JSON.parse((await candles('list', '--json')).stdout) as Array<{ symbol: string }>;
    expect(list.map((s) => s.symbol)).not.toContain('BAD/BTC');
  });

  it('usage errors exit 2 with a specific message', async () => {
    const run = await candles('import', sharedCandlePath('ETH_BTC-1m.json'), '--interval', '7m');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--interval "7m" is not one of');
    expect((await candles('frobnicate')).code).toBe(2);
    expect((await candles('download', '--symbol', 'ADA/BTC', '--interval', '1m', '--from', 'yesterday')).stderr).toContain('--from "yesterday" is neither');
  });

  it('download from the fake exchange, gaps --json, then export csv re-imports to the same candles', async () => {
    const download = await candles('download', '--symbol', 'ADA/BTC', '--interval', '1m', '--from', '2018-01-20', '--to', '2018-01-31', '--api-url', fake.url, '--json');
    expect(download.code, download.stderr).toBe(0);
    expect(JSON.parse(download.stdout)).toMatchObject({ inserted: 14383, resumed: false });

    const gaps = await candles('gaps', '--symbol', 'ADA/BTC', '--interval', '1m', '--json');
    expect(gaps.code).toBe(0);
    expect(JSON.parse(gaps.stdout)).toMatchObject({ count: 14383, missingCandles: 14 });

    const out = join(dir, 'ada.csv');
    const exported = await candles('export', '--symbol', 'ADA/BTC', '--interval', '1m', '--format', 'csv', '--out', out);
    expect(exported.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,open,high,low,close,volume');
    expect(lines).toHaveLength(14384);

    const reimport = await candles('import', out, '--symbol', 'ADA/BTC', '--interval', '1m', '--exchange', 'roundtrip', '--json');
    expect(JSON.parse(reimport.stdout)).toMatchObject({ ok: true, format: 'csv', inserted: 14383 });
    const stdoutExport = await candles('export', '--symbol', 'ADA/BTC', '--interval', '1m', '--exchange', 'roundtrip', '--from', '2018-01-20T04:55Z', '--to', '2018-01-20T04:58Z');
    expect(stdoutExport.stdout).toBe(`${lines.slice(0, 4).join('\n')}\n`);

    const jsonOut = join(dir, 'ada.json');
    expect((await candles('export', '--symbol', 'ADA/BTC', '--interval', '1m', '--format', 'json', '--out', jsonOut)).code).toBe(0);
    const fromJson = await candles('import', jsonOut, '--symbol', 'ADA/BTC', '--interval', '1m', '--exchange', 'roundtrip-json', '--json');
    expect(JSON.parse(fromJson.stdout)).toMatchObject({ ok: true, format: 'ohlcv-json', inserted: 14383 });
    // Eight spawned processes in a row: allow for a busy machine.
  }, 240_000);

  it('a database that cannot be reached fails with exit 1 and says why; usage errors are found before connecting', async () => {
    const unreachable = 'mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=300';
    const run = await candlesWith(unreachable, 'list', '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
    expect(run.stderr).toMatch(/Cannot connect/);

    const usage = await candlesWith(unreachable, 'gaps', '--symbol', 'ETH/BTC', '--interval', '2w');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--interval "2w" is not one of');
    expect(usage.stderr).not.toMatch(/Cannot connect/);
  });
});
