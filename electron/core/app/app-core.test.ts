import { createReadStream, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../shared/contract/events';
import { unwrap } from '../../../shared/contract/result';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { createAppCore, type AppCore } from './app-core';
import { buildCoreParts } from './core-parts';
import { MemorySecretStore } from './secret-store';

const CSV = resolve(process.cwd(), '..', 'shared', 'data', 'candles', 'ETHBTC-1m-2018-01.binance.csv');

/** The composition root end to end on the real test database, through the same dispatch both transports use. */
describe('app core with the real parts', () => {
  let dataDir: string;
  let core: AppCore;
  const events: EventEnvelope[] = [];
  const call = async (channel: string, payload?: unknown): Promise<unknown> => unwrap(await core.dispatch(channel, payload));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-core-'));
    core = await createAppCore({
      config: { dataDir, envConnectionString: freshDatabaseUri('app_core'), probeLocalhost: false, embedded: false },
      parts: buildCoreParts,
      echoLog: false,
    });
    await core.databaseReady;
    core.bus.listen((e) => events.push(e));
  });
  afterAll(async () => {
    if (core?.database.connection?.isConnected) await core.database.connection.connection.dropDatabase().catch(() => undefined);
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports the database it uses', async () => {
    const status = (await call('database.status')) as { source: string; status: string; label: string; maskedUri: string };
    expect(status).toMatchObject({ source: 'env', status: 'connected' });
    expect(status.label).toMatch(/CC_MONGO_CONNECTION_STRING/);
  });

  it('imports an uploaded Binance CSV and browses it: series, chart under 2,000 points, pages, the gap', async () => {
    const { uploadId } = await core.uploads.receive(createReadStream(CSV), { fileName: 'ETHBTC-1m-2018-01.binance.csv', maxBytes: 10 * 1024 * 1024 });
    const report = (await call('candles.import', {
      source: { kind: 'upload', uploadId, fileName: 'ETHBTC-1m-2018-01.binance.csv' },
      exchangeName: 'binance',
      symbol: 'ETH/BTC',
    })) as { ok: boolean; inserted: number; interval: string };
    expect(report).toMatchObject({ ok: true, inserted: 14397, interval: '1m' });

    const { series } = (await call('candles.symbols')) as { series: Array<{ symbol: string; count: number; first: number; last: number }> };
    const eth = series.find((s) => s.symbol === 'ETH/BTC')!;
    expect(eth.count).toBe(14397);

    const key = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' };
    const chart = (await call('candles.chart', { ...key, from: eth.first, to: eth.last + 60_000 })) as { candles: unknown[]; aggregated: boolean };
    expect(chart.aggregated).toBe(true);
    expect(chart.candles.length).toBeLessThanOrEqual(2000);
    expect(chart.candles.length).toBeGreaterThan(1000);

    const page1 = (await call('candles.page', { ...key, limit: 100 })) as { rows: Array<{ timestamp: number }>; nextCursor: number };
    const page2 = (await call('candles.page', { ...key, limit: 100, after: page1.nextCursor })) as { rows: Array<{ timestamp: number }> };
    expect(page1.rows).toHaveLength(100);
    expect(page2.rows[0]!.timestamp).toBeGreaterThan(page1.rows[99]!.timestamp);

    const gaps = (await call('candles.gaps', key)) as { gaps: Array<{ missing: number }>; missingCandles: number };
    expect(gaps.gaps).toHaveLength(1);
    expect(gaps.missingCandles).toBe(1);
  });

  it('rejects a malformed import naming the field, and keeps what is stored', async () => {
    const bad = await core.dispatch('candles.import', { source: { kind: 'content', fileName: 'x.csv', text: '' }, exchangeName: 'binance' });
    // The user's file name and what is wrong, not the payload path (issue 14 item 6).
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_payload', message: 'x.csv: the file is empty' } });
    const { series } = (await call('candles.symbols')) as { series: Array<{ count: number }> };
    expect(series[0]!.count).toBe(14397);
  });

  it('lists strategies with their parameter fields and runs a backtest to completion', async () => {
    const { strategies } = (await call('strategies.list')) as { strategies: Array<{ name: string; params: unknown[] }> };
    expect(strategies.map((s) => s.name)).toContain('sma-crossover');
    expect(strategies.find((s) => s.name === 'sma-crossover')!.params.length).toBeGreaterThan(0);

    const { series } = (await call('candles.symbols')) as { series: Array<{ first: number; last: number }> };
    const { runId } = (await call('runs.start', {
      kind: 'backtest',
      strategyName: 'sma-crossover',
      exchangeName: 'binance',
      symbols: ['ETH/BTC'],
      interval: '1m',
      from: series[0]!.first,
      to: series[0]!.last + 60_000,
    })) as { runId: string };
    const deadline = Date.now() + 90_000;
    const finished = (): boolean => events.some((e) => e.event === 'run.event' && e.payload.runId === runId && e.payload.type === 'status' && ['completed', 'failed'].includes(e.payload.status));
    while (!finished() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const { run } = (await call('runs.get', { runId })) as { run: { status: string; stats: { trades: number }; signals: unknown[] } };
    expect(run.status).toBe('completed');
    expect(run.stats.trades).toBeGreaterThan(0);
    expect(events.some((e) => e.event === 'run.progress' && e.payload.runId === runId)).toBe(true);

    const state = (await call('state.get', { runId })) as { storage: unknown[] };
    expect(state.storage.length).toBe(run.signals.length);
    const matrix = (await call('matrix.get', { runId })) as { rows: Array<{ subsystem: string; live: string; backtest: string }> };
    expect(matrix.rows.find((r) => r.subsystem === 'storage')).toMatchObject({ live: 'mongodb', backtest: 'in-memory' });
    const inbox = (await call('notifications.list', { runId })) as { items: Array<{ runId?: string }>; total: number };
    expect(inbox.total).toBeGreaterThan(0);
    expect(inbox.items.every((n) => n.runId === runId)).toBe(true);
  });

  it('tails the JSONL log with a level filter', async () => {
    const { lines } = (await call('logs.tail', { limit: 1000 })) as { lines: Array<{ message: string; level: string }> };
    expect(lines.map((l) => l.message).join(' / ')).toMatch(/using MongoDB/);
    const errors = (await call('logs.tail', { limit: 50, level: 'error' })) as { lines: Array<{ level: string }> };
    expect(errors.lines.every((l) => l.level === 'error')).toBe(true);
    core.log.warn('a line written now', 'test');
    await expect.poll(() => events.some((e) => e.event === 'log.line' && e.payload.message === 'a line written now')).toBe(true);
  });

  it('answers an unknown run with not_found', async () => {
    expect(await core.dispatch('runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('keeps settings in the data dir and never returns the connection password', async () => {
    await call('settings.set', { osNotifications: { 'run.completed': false }, theme: 'light' });
    const settings = (await call('settings.get')) as { theme: string; osNotifications: Record<string, boolean> };
    expect(settings).toMatchObject({ theme: 'light', osNotifications: { 'run.completed': false, 'signal.closed': true } });
    const test = (await call('database.test', { connectionString: 'mongodb://user:hunter2@127.0.0.1:1/x?serverSelectionTimeoutMS=300' })) as { ok: boolean; maskedUri: string; error: string };
    expect(test.ok).toBe(false);
    expect(JSON.stringify(test)).not.toContain('hunter2');
  });
});

describe('app core without any database', () => {
  it('still starts, says how to start MongoDB, and answers runs with a clear reason', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bm-core-nodb-'));
    const core = await createAppCore({ config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, parts: buildCoreParts, echoLog: false });
    try {
      expect(core.databaseStatus()).toMatchObject({ source: 'none', hint: expect.stringContaining('docker compose -f docker/mongodb/docker-compose.yaml up -d') });
      const strategies = unwrap(await core.dispatch('strategies.list', {})) as { strategies: unknown[] };
      expect(strategies.strategies.length).toBeGreaterThan(0);
      const run = await core.dispatch('runs.start', { kind: 'backtest', strategyName: 'sma-crossover', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m', from: 0, to: 60_000 });
      expect(run).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(unwrap(await core.dispatch('runs.list', {}))).toEqual({ runs: [], total: 0, hasMore: false });
    } finally {
      await core.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('app core with a matrix configuration file', () => {
  it('shows and uses the overrides of BACKTEST_MONITOR_PERSIST_CONFIG', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bm-core-matrix-'));
    const configFile = join(dataDir, 'persist.json');
    writeFileSync(configFile, JSON.stringify({ matrix: { backtest: { storage: 'local-file' } } }));
    process.env.BACKTEST_MONITOR_PERSIST_CONFIG = configFile;
    const core = await createAppCore({ config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, parts: buildCoreParts, echoLog: false });
    try {
      const matrix = unwrap(await core.dispatch('matrix.get', {})) as { rows: Array<{ subsystem: string; live: string; backtest: string }> };
      expect(matrix.rows.find((r) => r.subsystem === 'storage')).toMatchObject({ live: 'mongodb', backtest: 'local-file' });
      expect(matrix.rows.find((r) => r.subsystem === 'session')).toMatchObject({ live: 'mongodb', backtest: 'local-file' });
    } finally {
      delete process.env.BACKTEST_MONITOR_PERSIST_CONFIG;
      await core.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('candle download through the app core', () => {
  it('downloads from an exchange (the fake Binance server) and reports progress', async () => {
    const { loadSharedCandles } = await import('../market/test-data');
    const { startFakeBinanceServer } = await import('../market/fake-binance-server');
    const ada = loadSharedCandles('ADA_BTC-1m.json');
    const fake = await startFakeBinanceServer({ markets: [{ symbol: 'ADA/BTC', candles: { '1m': ada } }] });
    const dataDir = mkdtempSync(join(tmpdir(), 'bm-core-dl-'));
    process.env.BACKTEST_MONITOR_EXCHANGE_API_URL = fake.url;
    const core = await createAppCore({
      config: { dataDir, envConnectionString: freshDatabaseUri('app_core_dl'), probeLocalhost: false, embedded: false },
      parts: buildCoreParts,
      echoLog: false,
    });
    await core.databaseReady;
    const progress: EventEnvelope[] = [];
    core.bus.listen((e) => e.event === 'candles.progress' && progress.push(e));
    try {
      const from = ada[0]!.timestamp;
      const to = from + 3000 * 60_000;
      const report = unwrap(await core.dispatch('candles.download', { exchangeName: 'binance', symbol: 'ADA/BTC', interval: '1m', from, to })) as { fetched: number; inserted: number };
      const expected = ada.filter((c) => c.timestamp >= from && c.timestamp < to).length;
      expect(report.inserted).toBe(expected);
      const { series } = unwrap(await core.dispatch('candles.symbols')) as { series: Array<{ symbol: string; count: number }> };
      expect(series.find((s) => s.symbol === 'ADA/BTC')?.count).toBe(expected);
      expect(progress.at(-1)).toMatchObject({ payload: { operation: 'download', fraction: 1 } });
      const unknown = await core.dispatch('candles.download', { exchangeName: 'no-such-exchange', symbol: 'ADA/BTC', interval: '1m', from, to });
      expect(unknown).toMatchObject({ ok: false, error: { issues: [{ path: 'exchangeName' }] } });
    } finally {
      delete process.env.BACKTEST_MONITOR_EXCHANGE_API_URL;
      await core.database.connection?.connection.dropDatabase().catch(() => undefined);
      await core.shutdown();
      await fake.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('start-up with a saved database that no longer answers', () => {
  it('serves at once while the database is tried in the background (issue 13)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bm-core-stale-'));
    // A server that accepts connections and never answers: the slowest way for a URI to fail.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const secrets = new MemorySecretStore();
    secrets.set('connectionString', `mongodb://127.0.0.1:${(silent.address() as AddressInfo).port}/stale`);
    const started = Date.now();
    const core = await createAppCore({
      config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false },
      parts: buildCoreParts,
      secrets,
      connectTimeoutMs: 8000,
      echoLog: false,
    });
    try {
      const createdMs = Date.now() - started;
      const asked = Date.now();
      const status = unwrap(await core.dispatch('database.status')) as { status: string };
      const answeredMs = Date.now() - asked;
      expect(createdMs).toBeLessThan(1500);
      expect(answeredMs).toBeLessThan(500);
      expect(status.status).toBe('connecting');
      // A request that needs the database waits for the search only briefly after start, then says why it cannot answer.
      const waited = Date.now();
      expect(await core.dispatch('candles.symbols')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(Date.now() - started).toBeLessThan(3500);
      expect(Date.now() - waited).toBeLessThan(3000);
    } finally {
      await core.shutdown();
      silent.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
