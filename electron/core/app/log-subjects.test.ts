import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLineSchema, type LogLine } from '../../../shared/contract/domain';
import { unwrap } from '../../../shared/contract/result';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { ConnectionManager } from '../db/connection-manager';
import { CandleDbService } from '../db/candle-db-service';
import { readSharedCandles } from '../engine/test-support/real-candles';
import { PAPER_DEMO_STRATEGY } from '../engine/test-support/paper-demo-strategy';
import { createAppCore, type AppCore } from './app-core';
import { AppLog } from './app-log';
import { buildCoreParts } from './core-parts';
import { createPersistence } from '../persist';

/** A user strategy that throws on its first candle: its run fails with that reason. */
const BROKEN_STRATEGY = `
export default ({ z, defineStrategy }) => defineStrategy({
  name: 'broken-demo', interval: '1m',
  params: z.object({}),
  async getSignal() { throw new Error('broken-demo cannot read its indicator'); },
});`;

const rows = readSharedCandles('ETH_BTC-1m.json').slice(0, 300);
const range = { from: rows[0]!.timestamp, to: rows.at(-1)!.timestamp + 60_000 };
const backtest = (strategyName: string, symbols = ['ETH/BTC']) => ({ kind: 'backtest' as const, strategyName, exchangeName: 'binance', symbols, interval: '1m' as const, ...range });

let root: string;
let core: AppCore;
let uri: string;

const call = async <T = unknown>(channel: string, payload: unknown = {}): Promise<T> => unwrap(await core.dispatch(channel, payload)) as T;
const tail = async (): Promise<LogLine[]> => (await call<{ lines: LogLine[] }>('logs.tail', { limit: 1000 })).lines;

async function finished(runId: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { run } = await call<{ run: { status: string } }>('runs.get', { runId });
    if (['completed', 'stopped', 'failed'].includes(run.status)) return run.status;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The lines about one subject, oldest first (a line is matched by its structured subject, not its text). */
const about = (lines: LogLine[], subject: LogLine['subject']): LogLine[] => lines.filter((l) => JSON.stringify(l.subject) === JSON.stringify(subject));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bm-log-subjects-'));
  const strategiesDir = join(root, 'strategies');
  mkdirSync(strategiesDir);
  writeFileSync(join(strategiesDir, 'paper-demo.mjs'), PAPER_DEMO_STRATEGY);
  writeFileSync(join(strategiesDir, 'broken-demo.mjs'), BROKEN_STRATEGY);
  uri = freshDatabaseUri('log_subjects');
  core = await createAppCore({
    config: { dataDir: join(root, 'data'), envConnectionString: uri, probeLocalhost: false, embedded: false, strategiesDir },
    parts: buildCoreParts,
    echoLog: false,
    databaseWaitMs: 60_000,
  });
  const service = new CandleDbService(core.database.connection!.connection);
  await service.ensureIndexes();
  await service.bulkUpsert({ exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' }, rows);
}, 120_000);

afterAll(async () => {
  await core?.shutdown().catch(() => undefined);
  const m = new ConnectionManager({ uri });
  await m.connect().then(() => m.connection.dropDatabase()).catch(() => undefined);
  await m.close();
  rmSync(root, { recursive: true, force: true });
});

describe('log lines name what they concern', () => {
  it('a run: its start, its end, its rename and its delete carry its run subject, and survive the JSONL log', async () => {
    const { runId } = await call<{ runId: string }>('runs.start', backtest('paper-demo'));
    expect(await finished(runId)).toBe('completed');
    await call('runs.rename', { runId, name: 'first try' });
    await call('runs.delete', { runId });
    await expect.poll(async () => about(await tail(), { kind: 'run', runId }).length, { timeout: 10_000 }).toBe(4);
    const lines = about(await tail(), { kind: 'run', runId });
    expect(lines.map((l) => l.message)).toEqual([
      expect.stringMatching(new RegExp(`^run ${runId} started: backtest paper-demo on ETH/BTC`)),
      expect.stringMatching(new RegExp(`^run ${runId} completed after [\\d.]+ s: .*; \\d+ trades?, return`)),
      `run ${runId} renamed to "first try"`,
      expect.stringMatching(new RegExp(`^run ${runId} deleted \\(backtest paper-demo on ETH/BTC\\)`)),
    ]);
    // Read back from the file, every line still parses with its subject.
    for (const line of lines) expect(logLineSchema.parse(line).subject).toEqual({ kind: 'run', runId });
  }, 120_000);

  it('a failed run: the error line gives the reason and links to the run', async () => {
    const { runId } = await call<{ runId: string }>('runs.start', backtest('broken-demo'));
    expect(await finished(runId)).toBe('failed');
    await expect
      .poll(async () => about(await tail(), { kind: 'run', runId }).filter((l) => l.level === 'error').map((l) => l.message))
      .toEqual([expect.stringMatching(new RegExp(`^run ${runId} \\(backtest, broken-demo\\) failed: .*broken-demo cannot read its indicator`))]);
  }, 120_000);

  it('a refused start is logged (no run is left to tell it), without a run subject', async () => {
    expect(await core.dispatch('runs.start', backtest('no-such-strategy'))).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const refused = (await tail()).filter((l) => /^backtest of no-such-strategy on ETH\/BTC 1m was not started: .*no-such-strategy/.test(l.message));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: 'warn' });
    expect(refused[0]!.subject).toBeUndefined();
  }, 60_000);

  it('an import links to the series it stored; a refused one to the series it was meant for', async () => {
    const text = JSON.stringify(rows.slice(0, 50).map((c) => [c.timestamp, c.open, c.high, c.low, c.close, c.volume]));
    const series = { exchangeName: 'binance', symbol: 'XRP/BTC', interval: '1m' };
    await call('candles.import', { source: { kind: 'content', fileName: 'xrp.json', text }, ...series });
    const imported = about(await tail(), { kind: 'series', ...series });
    expect(imported.map((l) => l.message)).toEqual([expect.stringMatching(/^import of xrp\.json as binance XRP\/BTC 1m stored: 50 rows read, 50 new/)]);
    // The file's contents never reach the log.
    expect(imported[0]!.message).not.toContain(String(rows[0]!.open));

    const bad = { ...series, symbol: 'BAD/BTC' };
    expect(await call('candles.import', { source: { kind: 'content', fileName: 'bad.json', text: '[[1, "x"' }, ...bad })).toMatchObject({ ok: false, inserted: 0 });
    expect(about(await tail(), { kind: 'series', ...bad }).map((l) => [l.level, l.message])).toEqual([['warn', expect.stringMatching(/^import of bad\.json as binance BAD\/BTC 1m refused/)]]);
  }, 60_000);
});

describe('a log kept in MongoDB (the matrix can put it there)', () => {
  it('reads a line back with its subject, and without one when it had none', async () => {
    const manager = new ConnectionManager({ uri });
    await manager.connect();
    try {
      const persistence = await createPersistence({ mode: 'live', dataDir: join(root, 'mongo-log'), connection: manager, overrides: { log: 'mongodb' } });
      await persistence.log.append({ level: 'info', message: 'run r-mongo started', source: 'engine', subject: { kind: 'run', runId: 'r-mongo' } });
      await persistence.log.append({ level: 'info', message: 'database is back', source: 'database' });
      const lines = await persistence.log.tail(10);
      expect(lines.map((l) => [l.message, l.subject])).toEqual([
        ['run r-mongo started', { kind: 'run', runId: 'r-mongo' }],
        ['database is back', undefined],
      ]);
      await persistence.close();
    } finally {
      await manager.close();
    }
  });
});

describe('AppLog', () => {
  it('keeps a subject on the line it publishes; a line without one (as written before subjects) still parses', () => {
    const published: LogLine[] = [];
    const log = new AppLog((event, payload) => event === 'log.line' && published.push(payload as LogLine), 10, () => undefined);
    log.write('info', 'run r1 started', 'engine', undefined, { kind: 'run', runId: 'r1' });
    log.write('info', 'database is back', 'database');
    expect(published.map((l) => l.subject)).toEqual([{ kind: 'run', runId: 'r1' }, undefined]);
    expect(logLineSchema.parse({ entryId: 'old', level: 'info', at: 1, message: 'from an older version' }).subject).toBeUndefined();
    expect(() => logLineSchema.parse({ entryId: 'x', level: 'info', at: 1, message: 'm', subject: { kind: 'run' } })).toThrow();
  });
});
