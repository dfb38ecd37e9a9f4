import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../../shared/domain/notifications';
import type { SignalRow } from '../../../shared/domain/signals';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { createPersistence, persistRoot, type Persistence } from './create-persistence';
import { parsePersistConfig } from './matrix-config';
import { PersistValidationError } from './contract';
import { closedSignal, signal } from './test-support/fixtures';

const modes = [
  { mode: 'backtest' as const, label: 'backtest (default matrix: no MongoDB)' },
  { mode: 'live' as const, label: 'live (MongoDB on the test server)' },
];

describe.each(modes)('subsystem services, $label', ({ mode }) => {
  let db: TestDb | undefined;
  let dataDir: string;
  let p: Persistence;
  const backtest = mode === 'backtest';
  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(join(tmpdir(), `persist-services-${mode}-`));
    if (mode === 'live') db = await openTestDb('persist_services');
    p = await createPersistence({
      mode,
      runId: 'run-1',
      dataDir,
      connection: db?.manager,
      config: parsePersistConfig({ storageCap: { live: 5, backtest: 5 } }),
    });
  });
  afterAll(async () => {
    await p.close();
    await db?.dispose();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('notifications: append fills defaults and emits each one for live streaming', async () => {
    const seen: Notification[] = [];
    p.events.on('notification', (n) => seen.push(n));
    const n = await p.notifications.append({ type: 'run.started', title: 'Run started', message: 'ema-cross on BTCUSDT' });
    expect(n).toMatchObject({ type: 'run.started', backtest, runId: 'run-1', read: false });
    expect(n.notificationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual([n]);
    expect(await p.notifications.get(n.notificationId)).toEqual(n);
  });

  it('notifications: newest first, paged, filtered by type, symbol and run; mark read; unread count', async () => {
    const base = 1_800_000_000_000;
    for (let i = 0; i < 12; i++) {
      await p.notifications.append({
        notificationId: `inbox-${i}`,
        type: i % 3 === 0 ? 'signal.closed' : 'signal.opened',
        symbol: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT',
        runId: i < 6 ? 'run-1' : 'run-2',
        title: `#${i}`,
        message: '',
        createdAt: base + i,
      });
    }
    const first = await p.notifications.list({}, { limit: 5 });
    expect(first.items.map((n) => n.notificationId)).toEqual(['inbox-11', 'inbox-10', 'inbox-9', 'inbox-8', 'inbox-7']);
    expect(first.total).toBe(13);
    const second = await p.notifications.list({}, { offset: 5, limit: 5 });
    expect(second.items[0]!.notificationId).toBe('inbox-6');
    const closed = await p.notifications.list({ type: 'signal.closed' });
    expect(closed.items.map((n) => n.notificationId)).toEqual(['inbox-9', 'inbox-6', 'inbox-3', 'inbox-0']);
    const btcRun2 = await p.notifications.list({ symbol: 'BTCUSDT', runId: 'run-2' });
    expect(btcRun2.items.map((n) => n.notificationId)).toEqual(['inbox-10', 'inbox-8', 'inbox-6']);
    const signalTypes = await p.notifications.list({ type: ['signal.closed', 'signal.opened'] }, { limit: 100 });
    expect(signalTypes.total).toBe(12);

    expect(await p.notifications.unreadCount()).toBe(13);
    expect(await p.notifications.markRead(['inbox-11', 'inbox-10', 'no-such-id'])).toBe(2);
    expect(await p.notifications.markRead(['inbox-11'])).toBe(0);
    expect(await p.notifications.unreadCount()).toBe(11);
    expect((await p.notifications.list({ unreadOnly: true }, { limit: 1 })).items[0]!.notificationId).toBe('inbox-9');
    expect(await p.notifications.markAllRead({ runId: 'run-2' })).toBe(4);
    expect(await p.notifications.unreadCount({ runId: 'run-2' })).toBe(0);
    expect(await p.notifications.unreadCount()).toBe(7);
  });

  it('notifications: a bad type is refused with the field named', async () => {
    await expect(p.notifications.append({ type: 'signal.exploded' as Notification['type'], title: '', message: '' })).rejects.toThrow(
      /notification: invalid payload: type: Invalid option/,
    );
  });

  it('storage: upserts signal rows, lists newest first, and caps the mode by dropping the oldest closed rows', async () => {
    const rows: SignalRow[] = [
      closedSignal(1, { backtest }),
      closedSignal(2, { backtest, closedAt: 1_600_000_000_000 }),
      signal(3, { backtest }),
      signal(4, { backtest }),
      closedSignal(5, { backtest }),
    ];
    for (const row of rows) await p.storage.upsert(row);
    await p.storage.upsert({ ...rows[2]!, status: 'closed', closeReason: 'stop_loss', closedAt: 1_700_000_500_000, pnlPercent: -5.2 });
    expect((await p.storage.getSignal('sig-0003'))?.status).toBe('closed');
    expect((await p.storage.listSignals()).total).toBe(5);
    // Two more rows go over the cap of 5: the two oldest closed rows (by closedAt) make way.
    await p.storage.upsert(signal(6, { backtest }));
    await p.storage.upsert(signal(7, { backtest }));
    const all = await p.storage.listSignals({}, { limit: 100 });
    expect(all.total).toBe(5);
    expect(all.items.map((e) => e.key.signalId).sort()).toEqual(['sig-0003', 'sig-0004', 'sig-0005', 'sig-0006', 'sig-0007']);
    expect((await p.storage.listSignals({ status: 'opened' })).items.map((e) => e.key.signalId)).toEqual(['sig-0007', 'sig-0006', 'sig-0004']);
    await expect(p.storage.upsert({ ...signal(8), status: 'closed' })).rejects.toThrow(/storage: invalid payload: closeReason: a closed signal needs a closeReason/);
    await expect(p.storage.upsert({ ...signal(8), priceOpen: Number.NaN })).rejects.toThrow(PersistValidationError);
  });

  it('storage: writeMany writes a batch and enforces the cap once, keeping the newest closed rows', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => closedSignal(100 + i, { backtest, closedAt: 1_800_000_000_000 + i }));
    await p.storage.writeMany(rows);
    const all = await p.storage.listSignals({}, { limit: 100 });
    expect(all.total).toBeLessThanOrEqual(5);
    const ids = all.items.map((e) => e.key.signalId);
    expect(ids).toContain('sig-0107');
    expect(ids).not.toContain('sig-0100');
    // Open rows are never evicted.
    expect(ids).toEqual(expect.arrayContaining(['sig-0004', 'sig-0006', 'sig-0007']));
  });

  it('recent: keeps the latest signal per (symbol, strategy, exchange, frame, mode)', async () => {
    await p.recent.remember(signal(10, { backtest }));
    await p.recent.remember(signal(11, { backtest }));
    await p.recent.remember(signal(12, { backtest, symbol: 'ETHUSDT' }));
    const context = { symbol: 'BTCUSDT', strategyName: 'ema-cross', exchangeName: 'binance', frameName: 'frame-1', backtest };
    expect((await p.recent.latest(context))?.signalId).toBe('sig-0011');
    expect(await p.recent.keys({ strategyName: 'ema-cross' })).toHaveLength(2);
  });

  it('session, memory and state: typed get/set per context key', async () => {
    const session = { strategyName: 'ema-cross', exchangeName: 'binance', frameName: 'frame-1', symbol: 'BTCUSDT', backtest };
    await p.session.set(session, { lastCandle: 1_700_000_000_000, warmup: [1, 2, 3] });
    expect(await p.session.get(session)).toEqual({ lastCandle: 1_700_000_000_000, warmup: [1, 2, 3] });
    await p.memory.set({ signalId: 'sig-1', bucketName: 'notes', memoryId: 'm1' }, 'entered on a breakout');
    await p.memory.set({ signalId: 'sig-1', bucketName: 'notes', memoryId: 'm2' }, 'volume confirmed');
    expect((await p.memory.list({ key: { signalId: 'sig-1', bucketName: 'notes' } })).items.map((e) => e.value).sort()).toEqual(['entered on a breakout', 'volume confirmed']);
    await p.state.set({ signalId: 'sig-1', bucketName: 'trail' }, { stop: 99.5 });
    expect(await p.state.get({ signalId: 'sig-1', bucketName: 'trail' })).toEqual({ stop: 99.5 });
  });

  it('dump writes a .md file; Markdown reports are a no-op by default; the log is JSONL with a tail', async () => {
    expect(p.dump.adapter).toBe('markdown');
    await p.dump.set({ dumpId: `run-1-${mode}` }, '# Run 1\n');
    expect(await fsp.readFile(join(persistRoot(dataDir), 'dump', `run-1-${mode}.md`), 'utf8')).toBe('# Run 1\n');
    expect(p.markdown.adapter).toBe('dummy');
    await p.markdown.set({ reportName: 'daily' }, '# Report');
    expect(await p.markdown.get({ reportName: 'daily' })).toBeNull();
    expect(p.log.adapter).toBe('jsonl');
    for (let i = 0; i < 5; i++) await p.log.info(`step ${i}`, { i });
    const tail = await p.log.tail(3);
    expect(tail.map((l) => l.message)).toEqual(['step 2', 'step 3', 'step 4']);
    expect(tail[0]).toMatchObject({ level: 'info', runId: 'run-1', data: { i: 2 } });
    const file = await fsp.readFile(join(persistRoot(dataDir), 'log', 'run-1.jsonl'), 'utf8');
    expect(file.trimEnd().split('\n').map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4']);
  });

  it('reports the effective matrix of the run', () => {
    const storage = p.matrix.find((m) => m.subsystem === 'storage')!;
    expect(storage.adapter).toBe(backtest ? 'in-memory' : 'mongodb');
    expect(p.session.adapter).toBe(backtest ? 'local-file' : 'mongodb');
  });
});

describe('createPersistence input', () => {
  it('keeps a run id with path characters inside the log directory, and requires a data directory', async () => {
    const dataDir = await fsp.mkdtemp(join(tmpdir(), 'persist-input-'));
    try {
      const p = await createPersistence({ mode: 'backtest', runId: '../../escape', dataDir });
      await p.log.info('hello');
      await p.close();
      expect(await fsp.readdir(dataDir)).toEqual(['persist']);
      expect(await fsp.readdir(join(persistRoot(dataDir), 'log'))).toEqual(['%2e%2e%2f%2e%2e%2fescape.jsonl']);
      await expect(createPersistence({ mode: 'backtest', dataDir: ' ' })).rejects.toThrow('dataDir: a data directory is required');
      await expect(createPersistence({ mode: 'paper' as 'live', dataDir })).rejects.toThrow(/mode: unknown mode "paper"/);
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('backtest mode', () => {
  it('caps the default backtest Storage when one batch is larger than a list page', async () => {
    const dataDir = await fsp.mkdtemp(join(tmpdir(), 'persist-backtest-cap-'));
    try {
      const p = await createPersistence({ mode: 'backtest', dataDir });
      const batch = (start: number) => Array.from({ length: 10_500 }, (_, i) => closedSignal(start + i, { backtest: true, closedAt: 1_800_000_000_000 + start + i }));
      await p.storage.writeMany(batch(0));
      await p.storage.writeMany(batch(10_500));
      const { total } = await p.storage.listSignals({}, { limit: 1 });
      expect(total).toBeLessThanOrEqual(p.storage.cap);
      expect(await p.storage.getSignal('sig-20999')).not.toBeNull();
      expect(await p.storage.getSignal('sig-0000')).toBeNull();
      await p.close();
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps local-file subsystems on disk across runs, and in-memory ones per run', async () => {
    const dataDir = await fsp.mkdtemp(join(tmpdir(), 'persist-backtest-'));
    try {
      const first = await createPersistence({ mode: 'backtest', dataDir });
      const key = { strategyName: 's', exchangeName: 'e', frameName: 'f', symbol: '../escape', backtest: true };
      await first.session.set(key, { kept: true });
      await first.storage.upsert(signal(1));
      await first.close();
      const second = await createPersistence({ mode: 'backtest', dataDir });
      expect(await second.session.get(key)).toEqual({ kept: true });
      expect(await second.storage.getSignal('sig-0001')).toBeNull();
      await second.close();
      expect((await fsp.readdir(join(persistRoot(dataDir), 'session')))).toEqual(['s~e~f~%2e%2e%2fescape~true.json']);
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});
