import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../../shared/contract/events';
import { unwrap } from '../../../../shared/contract/result';
import { freshDatabaseUri } from '../../../../test/support/test-db';
import { ConnectionManager } from '../../db/connection-manager';
import { CandleDbService } from '../../db/candle-db-service';
import { startWireServer, type RunningWireServer } from '../../db/wire-server';
import { readSharedCandles } from '../../engine/test-support/real-candles';
import { createAppCore, type AppCore } from '../app-core';
import { portAnswers } from '../database-hub';
import { buildCoreParts } from '../core-parts';
import { PAPER_DEMO_STRATEGY as STRATEGY } from '../../engine/test-support/paper-demo-strategy';

const CANDLES = 400;
const rows = readSharedCandles('ETH_BTC-1m.json').slice(0, CANDLES);
const range = { from: rows[0]!.timestamp, to: rows.at(-1)!.timestamp + 60_000 };
const paper = (replaySpeed: number) => ({ kind: 'paper' as const, strategyName: 'paper-demo', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m' as const, ...range, replaySpeed });
const backtest = (strategyName = 'paper-demo') => ({ ...paper(0), kind: 'backtest' as const, strategyName });

let root: string;
let strategiesDir: string;
const cores: AppCore[] = [];
const servers: RunningWireServer[] = [];
const databases: string[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bm-engine-part-'));
  strategiesDir = join(root, 'strategies');
  mkdirSync(strategiesDir);
  writeFileSync(join(strategiesDir, 'paper-demo.mjs'), STRATEGY);
});

afterAll(async () => {
  for (const core of cores) await core.shutdown().catch(() => undefined);
  for (const m of inspectors) await m.close().catch(() => undefined);
  for (const uri of databases) {
    const m = new ConnectionManager({ uri });
    await m.connect().then(() => m.connection.dropDatabase()).catch(() => undefined);
    await m.close();
  }
  for (const s of servers) await s.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

async function openCore(dataDir: string, config: { envConnectionString?: string; probeLocalhost?: boolean; embedded?: boolean } = {}): Promise<{ core: AppCore; events: EventEnvelope[] }> {
  const core = await createAppCore({
    config: { dataDir, envConnectionString: config.envConnectionString, probeLocalhost: config.probeLocalhost ?? false, embedded: config.embedded ?? false, strategiesDir },
    parts: buildCoreParts,
    echoLog: false,
    databaseWaitMs: 60_000,
  });
  cores.push(core);
  const events: EventEnvelope[] = [];
  core.bus.listen((e) => events.push(e));
  return { core, events };
}

async function inspect(uri: string): Promise<ConnectionManager> {
  const m = new ConnectionManager({ uri });
  await m.connect();
  inspectors.push(m);
  return m;
}
const inspectors: ConnectionManager[] = [];

const call = async <T = unknown>(core: AppCore, channel: string, payload: unknown = {}): Promise<T> => unwrap(await core.dispatch(channel, payload)) as T;

/** The candles every test runs on, written into whatever database the core uses now. */
async function seedCandles(core: AppCore): Promise<void> {
  const service = new CandleDbService(core.database.connection!.connection);
  await service.ensureIndexes();
  await service.bulkUpsert({ exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' }, rows);
}

async function finished(core: AppCore, runId: string, timeoutMs = 90_000): Promise<{ status: string; stats?: { trades: number }; signals: Array<Record<string, unknown>>; error?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { run } = await call<{ run: { status: string; stats?: { trades: number }; signals: Array<Record<string, unknown>>; error?: string } }>(core, 'runs.get', { runId });
    if (['completed', 'stopped', 'failed'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const progressed = (events: EventEnvelope[], runId: string, processed: number): boolean =>
  events.some((e) => e.event === 'run.progress' && e.payload.runId === runId && e.payload.processed >= processed);

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A signal row without its run id and the fields backtest-kit's storage document derives from ours. */
const comparable = (rows: Array<Record<string, unknown>>) =>
  rows
    .map(({ runId, signalId, backtest: _b, currentPrice: _c, pnl: _p, scheduledAt: _s, ...rest }) => ({ ...rest, signalId: String(signalId).slice(String(runId).length) }))
    .sort((a, b) => a.signalId.localeCompare(b.signalId));

describe('engine part over the app core', () => {
  it('lists finished runs after a restart (paged), serves their detail and pages their State', async () => {
    const dataDir = join(root, 'restart');
    const uri = freshDatabaseUri('engine_part_restart');
    databases.push(uri);
    const first = await openCore(dataDir, { envConnectionString: uri });
    await seedCandles(first.core);
    const { runId: bt } = await call<{ runId: string }>(first.core, 'runs.start', backtest('sma-crossover'));
    const btRun = await finished(first.core, bt);
    const { runId: pp } = await call<{ runId: string }>(first.core, 'runs.start', paper(0));
    const ppRun = await finished(first.core, pp);
    expect([btRun.status, ppRun.status]).toEqual(['completed', 'completed']);
    await first.core.shutdown();

    const second = await openCore(dataDir, { envConnectionString: uri });
    const all = await call<{ runs: Array<{ runId: string; status: string; stats?: { trades: number } }>; total: number; hasMore: boolean }>(second.core, 'runs.list', {});
    expect(all.runs.map((r) => [r.runId, r.status])).toEqual([
      [pp, 'completed'],
      [bt, 'completed'],
    ]);
    expect(all).toMatchObject({ total: 2, hasMore: false });
    expect(all.runs[1]!.stats!.trades).toBe(btRun.stats!.trades);
    const page = await call<{ runs: Array<{ runId: string }>; total: number; hasMore: boolean }>(second.core, 'runs.list', { limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 2, hasMore: false, runs: [{ runId: bt }] });
    expect(await call(second.core, 'runs.list', { limit: 1 })).toMatchObject({ hasMore: true, runs: [{ runId: pp }] });

    const { run } = await call<{ run: { stats: unknown; signals: unknown[] } }>(second.core, 'runs.get', { runId: bt });
    expect(run.stats).toEqual(btRun.stats);
    expect(run.signals).toEqual(btRun.signals);

    // State of the paper run: one entry per signal, served page by page with the total.
    const whole = await call<{ state: Array<{ signalId: string }>; stateTotal: number; storage: unknown[] }>(second.core, 'state.get', { runId: pp });
    expect(whole.stateTotal).toBe(ppRun.signals.length);
    expect(whole.state).toHaveLength(whole.stateTotal);
    const p1 = await call<{ state: Array<{ signalId: string }>; stateTotal: number }>(second.core, 'state.get', { runId: pp, limit: 5 });
    const p2 = await call<{ state: Array<{ signalId: string }>; stateTotal: number }>(second.core, 'state.get', { runId: pp, limit: 5, offset: 5 });
    expect(p1.state.map((s) => s.signalId)).toEqual(whole.state.slice(0, 5).map((s) => s.signalId));
    expect(p2.state.map((s) => s.signalId)).toEqual(whole.state.slice(5, 10).map((s) => s.signalId));
    expect(p2.stateTotal).toBe(whole.stateTotal);
  }, 240_000);

  it('answers runs.start by the fault: the request (invalid_payload, naming the field) or not', async () => {
    const dataDir = join(root, 'errors');
    const uri = freshDatabaseUri('engine_part_errors');
    databases.push(uri);
    const { core } = await openCore(dataDir, { envConnectionString: uri });
    expect(await core.dispatch('runs.start', backtest('no-such-strategy'))).toMatchObject({ ok: false, error: { code: 'invalid_payload', issues: [{ path: 'strategyName' }] } });
    expect(await core.dispatch('runs.start', { ...backtest(), params: { every: -1 } })).toMatchObject({ ok: false, error: { code: 'invalid_payload', issues: [{ path: 'params' }] } });
    expect(await core.dispatch('runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await core.dispatch('state.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  }, 120_000);
});

describe('renaming and deleting runs', () => {
  it('renames (validated, kept across a restart) and deletes a finished run with everything it owns; a running one is refused until stopped', async () => {
    const dataDir = join(root, 'manage');
    const uri = freshDatabaseUri('engine_part_manage');
    databases.push(uri);
    const first = await openCore(dataDir, { envConnectionString: uri });
    await seedCandles(first.core);
    const db = (await inspect(uri)).connection;
    const { runId: bt } = await call<{ runId: string }>(first.core, 'runs.start', backtest('sma-crossover'));
    expect((await finished(first.core, bt)).status).toBe('completed');
    const { runId: pp } = await call<{ runId: string }>(first.core, 'runs.start', paper(0));
    const ppRun = await finished(first.core, pp);
    expect(ppRun.signals.length).toBeGreaterThan(0);

    // Rename: trimmed, validated, an unknown run is not_found.
    expect(await call(first.core, 'runs.rename', { runId: bt, name: '  ETH trend, first try  ' })).toEqual({ runId: bt, name: 'ETH trend, first try' });
    expect(await first.core.dispatch('runs.rename', { runId: bt, name: '   ' })).toMatchObject({ ok: false, error: { code: 'invalid_payload', issues: [{ path: 'name' }] } });
    expect(await first.core.dispatch('runs.rename', { runId: bt, name: 'x'.repeat(81) })).toMatchObject({ ok: false, error: { code: 'invalid_payload', issues: [{ path: 'name' }] } });
    expect(await first.core.dispatch('runs.rename', { runId: 'nope', name: 'a' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const listed = await call<{ runs: Array<{ runId: string; name?: string }> }>(first.core, 'runs.list', {});
    expect(listed.runs.find((r) => r.runId === bt)?.name).toBe('ETH trend, first try');
    expect((await call<{ run: { name?: string } }>(first.core, 'runs.get', { runId: bt })).run.name).toBe('ETH trend, first try');

    // A running run cannot be deleted (it would go on writing what the delete removed).
    const { runId: slow } = await call<{ runId: string }>(first.core, 'runs.start', paper(60));
    await until(async () => (await call<{ run: { status: string } }>(first.core, 'runs.get', { runId: slow })).run.status === 'running', 60_000, 'the slow run to run');
    expect(await first.core.dispatch('runs.delete', { runId: slow })).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/stop it first/) } });
    // Renaming a running run is fine, and the name survives the run's later checkpoints.
    await call(first.core, 'runs.rename', { runId: slow, name: 'slow replay' });
    await call(first.core, 'runs.stop', { runId: slow });

    // The paper run owns rows, notifications and State in MongoDB: the delete removes them all.
    const owned = async () => ({
      run: await db.collection('run-items').countDocuments({ runId: pp }),
      rows: await db.collection('storage-items').countDocuments({ 'monitor.runId': pp }),
      notes: await db.collection('notification-items').countDocuments({ 'monitor.runId': pp }),
      state: await db.collection('state-items').countDocuments({ signalId: { $regex: `^${pp}:` } }),
    });
    const before = await owned();
    expect(before.run).toBe(1);
    expect(before.rows).toBe(ppRun.signals.length);
    expect(before.notes).toBeGreaterThan(0);
    expect(before.state).toBeGreaterThan(0);
    const answer = await call<{ deleted: boolean; signals: number; notifications: number; stateEntries: number }>(first.core, 'runs.delete', { runId: pp });
    expect(answer).toMatchObject({ deleted: true, signals: before.rows, notifications: before.notes, stateEntries: before.state });
    expect(await owned()).toEqual({ run: 0, rows: 0, notes: 0, state: 0 });
    expect(await first.core.dispatch('runs.get', { runId: pp })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await first.core.dispatch('runs.delete', { runId: pp })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await call<{ runs: Array<{ runId: string }> }>(first.core, 'runs.list', {})).runs.map((r) => r.runId)).not.toContain(pp);
    expect((await call<{ total: number }>(first.core, 'notifications.list', { limit: 10, runId: pp })).total).toBe(0);
    const { lines } = await call<{ lines: Array<{ message: string }> }>(first.core, 'logs.tail', { limit: 200 });
    expect(lines.map((l) => l.message).join('\n')).toMatch(new RegExp(`run ${pp} deleted \\(paper paper-demo on ETH/BTC\\): ${before.rows} signals`));
    // A backtest's notifications live in the backtest inbox (in memory by default): deleted there too.
    const { runId: bt2 } = await call<{ runId: string }>(first.core, 'runs.start', backtest());
    await finished(first.core, bt2);
    expect((await call<{ total: number }>(first.core, 'notifications.list', { limit: 10, runId: bt2 })).total).toBeGreaterThan(0);
    expect(await call(first.core, 'runs.delete', { runId: bt2 })).toMatchObject({ deleted: true, notifications: expect.any(Number) });
    expect((await call<{ total: number }>(first.core, 'notifications.list', { limit: 10, runId: bt2 })).total).toBe(0);
    // The newest finished run is still held in memory by the engine: not listed, not served.
    expect((await call<{ runs: Array<{ runId: string }> }>(first.core, 'runs.list', {})).runs.map((r) => r.runId)).not.toContain(bt2);
    expect(await first.core.dispatch('state.get', { runId: bt2 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // A backtest named while it runs (no stored record yet) keeps the name once it is stored.
    const { runId: bt3 } = await call<{ runId: string }>(first.core, 'runs.start', backtest('sma-crossover'));
    await call(first.core, 'runs.rename', { runId: bt3, name: 'named while running' });
    await finished(first.core, bt3);
    await expect.poll(async () => (await db.collection('run-items').findOne({ runId: bt3 }))?.name, { timeout: 10_000 }).toBe('named while running');
    await first.core.shutdown();

    // After a restart: the deleted run stays gone, the names are kept.
    const second = await openCore(dataDir, { envConnectionString: uri });
    const after = await call<{ runs: Array<{ runId: string; name?: string }>; total: number }>(second.core, 'runs.list', {});
    expect(after.runs.map((r) => r.runId).sort()).toEqual([bt, slow, bt3].sort());
    expect(after.total).toBe(3);
    expect(Object.fromEntries(after.runs.map((r) => [r.runId, r.name]))).toEqual({ [bt]: 'ETH trend, first try', [slow]: 'slow replay', [bt3]: 'named while running' });
    await call(second.core, 'runs.delete', { runId: bt });
    expect((await call<{ runs: Array<{ runId: string }> }>(second.core, 'runs.list', {})).runs.map((r) => r.runId).sort()).toEqual([slow, bt3].sort());
  }, 300_000);
});

describe('during a MongoDB outage', () => {
  it('notifications.list says the inbox is partial while the paper run goes on writing to the spool', async () => {
    const server = await startWireServer({ watchStdin: true });
    servers.push(server);
    const { core, events } = await openCore(join(root, 'outage'), { envConnectionString: `${server.uri.replace(/\/$/, '')}/outage` });
    await seedCandles(core);
    const { runId } = await call<{ runId: string }>(core, 'runs.start', paper(3000));
    await until(() => progressed(events, runId, 30), 60_000, 'the paper run to progress');
    expect(await call(core, 'notifications.list', { limit: 50 })).not.toHaveProperty('partial');
    await server.stop();
    // The run goes on: its notifications wait in the spool, and the inbox (MongoDB unreachable) lists those only.
    let inbox: { items: Array<{ runId?: string }>; partial?: string } = { items: [] };
    await until(
      async () => {
        inbox = await call(core, 'notifications.list', { limit: 50 });
        return inbox.items.some((n) => n.runId === runId);
      },
      60_000,
      'the run’s spooled notifications to be listed',
    );
    expect(inbox.partial).toMatch(/MongoDB is unreachable/);
  }, 180_000);
});

describe('switching the database at run time', () => {
  it('a custom URI: a running paper run pauses on its database and resumes there later, nothing written twice or lost; new runs go to the new database', async () => {
    const dataDir = join(root, 'switch');
    const uriA = freshDatabaseUri('engine_part_a');
    const uriB = freshDatabaseUri('engine_part_b');
    databases.push(uriA, uriB);
    const { core, events } = await openCore(dataDir);
    expect(core.databaseStatus()).toMatchObject({ source: 'none' });

    expect(await call(core, 'database.connect', { connectionString: uriA })).toMatchObject({ source: 'custom', status: 'connected' });
    await seedCandles(core);
    // The test's own connections: the app closes its connection to a database it switches away from.
    const a = (await inspect(uriA)).connection;
    // The reference: the same strategy as a backtest over the same candles.
    const { runId: refId } = await call<{ runId: string }>(core, 'runs.start', backtest());
    const reference = await finished(core, refId);
    // 6000× real time: 10 ms per candle, so the run is still going when the database is switched.
    const { runId } = await call<{ runId: string }>(core, 'runs.start', paper(6000));
    await until(() => progressed(events, runId, 100), 60_000, 'the paper run to progress');

    expect(await call(core, 'database.connect', { connectionString: uriB })).toMatchObject({ source: 'custom', status: 'connected' });
    await seedCandles(core);
    const b = (await inspect(uriB)).connection;
    // Said in the log and the inbox; A keeps the run as running with its checkpoint; B has nothing of it.
    const { lines } = await call<{ lines: Array<{ message: string }> }>(core, 'logs.tail', { limit: 1000 });
    expect(lines.map((l) => l.message).join('\n')).toMatch(new RegExp(`paper run ${runId} .* paused by the database switch`));
    expect(events.some((e) => e.event === 'notification' && e.payload.runId === runId && e.payload.type === 'error.info')).toBe(true);
    const inA = await a.collection('run-items').findOne({ runId });
    expect(inA).toMatchObject({ summary: { status: 'running' } });
    const cursorAtSwitch = (inA!.cursors as Record<string, number>)['ETH/BTC']!;
    expect(cursorAtSwitch).toBeGreaterThan(range.from);
    const rowsAtSwitch = await a.collection('storage-items').countDocuments({ 'monitor.runId': runId });
    expect(rowsAtSwitch).toBeGreaterThan(0);
    expect((await call<{ runs: Array<{ runId: string }> }>(core, 'runs.list', {})).runs.map((r) => r.runId)).not.toContain(runId);
    await new Promise((r) => setTimeout(r, 500));
    expect(await a.collection('storage-items').countDocuments({ 'monitor.runId': runId })).toBe(rowsAtSwitch);

    // Runs and persistence are bound to B now.
    const { runId: onB } = await call<{ runId: string }>(core, 'runs.start', backtest('sma-crossover'));
    expect((await finished(core, onB)).status).toBe('completed');
    // The history write follows the status change: wait for it.
    await expect.poll(() => b.collection('run-items').countDocuments({ runId: onB }), { timeout: 10_000 }).toBe(1);
    expect(await a.collection('run-items').countDocuments({ runId: onB })).toBe(0);
    expect(await b.collection('run-items').countDocuments({ runId })).toBe(0);

    // Back to A: the paper run resumes from its checkpoint and ends as a clean run would.
    expect(await call(core, 'database.connect', { connectionString: uriA })).toMatchObject({ status: 'connected' });
    const done = await finished(core, runId);
    expect(done.status).toBe('completed');
    expect(comparable(done.signals)).toEqual(comparable(reference.signals));
    const stored = await a.collection('storage-items').countDocuments({ 'monitor.runId': runId });
    expect(stored).toBe(reference.signals.length);
    const notes = await a.collection('notification-items').find({ 'monitor.runId': runId }).toArray();
    const ids = notes.map((n) => String((n.payload as { id?: string }).id));
    expect(ids.filter((id) => id.endsWith(':signal.opened'))).toHaveLength(reference.signals.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await b.collection('storage-items').countDocuments({ 'monitor.runId': runId })).toBe(0);
  }, 300_000);

  it('the embedded server: database.connect starts it in the data dir and runs use it', async () => {
    const dataDir = join(root, 'embedded');
    const { core } = await openCore(dataDir);
    expect(await call(core, 'database.connect', { embedded: true })).toMatchObject({ source: 'embedded', status: 'connected', label: expect.stringContaining(join(dataDir, 'mongo')) });
    await seedCandles(core);
    const { runId } = await call<{ runId: string }>(core, 'runs.start', backtest('sma-crossover'));
    expect((await finished(core, runId)).status).toBe('completed');
    await expect.poll(() => core.database.connection!.connection.collection('run-items').countDocuments({ runId }), { timeout: 10_000 }).toBe(1);
  }, 180_000);

  it('localhost:27017 when something answers there (our own server, started for the test when the port is free)', async (ctx) => {
    if (await portAnswers('127.0.0.1', 27017)) ctx.skip(); // somebody's MongoDB: not ours to write into
    servers.push(await startWireServer({ port: 27017, watchStdin: true }));
    const { core } = await openCore(join(root, 'localhost'), { probeLocalhost: true });
    expect(core.databaseStatus()).toMatchObject({ source: 'localhost', status: 'connected' });
    await seedCandles(core);
    const { runId } = await call<{ runId: string }>(core, 'runs.start', backtest('sma-crossover'));
    expect((await finished(core, runId)).status).toBe('completed');
    await expect.poll(() => core.database.connection!.connection.collection('run-items').countDocuments({ runId }), { timeout: 10_000 }).toBe(1);
  }, 180_000);
});
