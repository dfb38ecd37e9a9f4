import { spawnSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/domain/logs';
import type { Notification } from '../../shared/domain/notifications';
import { toStoredFieldNames } from '../../electron/core/backtest-kit/documents/field-names';
import { createPersistence, type Persistence } from '../../electron/core/persist';
import { legacyLayoutStatus, migrateDatabase, migrationUpdate } from '../../electron/core/persist/migration';
import { closedSignal, notification, signal } from '../../electron/core/persist/test-support/fixtures';
import { openTestDb, type TestDb } from '../support/test-db';
import { REPO_ROOT } from './bot-process';

const T = 1_790_000_000_000;
let stamp = 0;
/** A document as the previous layout wrote it: key fields, the escaped value under `data`, two numbers. */
function legacy(key: Record<string, unknown>, value: unknown): Record<string, unknown> {
  stamp++;
  return { ...key, data: toStoredFieldNames(value), updatedAt: T + stamp * 1000, insertedAt: (T + stamp * 1000) * 1000 + stamp };
}

const sessionKey = { strategyName: 'ema', exchangeName: 'binance', frameName: '', symbol: 'BTCUSDT', backtest: false };
const notifications: Notification[] = [notification(1, { read: true, runId: 'run-old' }), notification(2, { data: { closeReason: 'stop_loss', 'price.level': 3 } })];
const rows = [signal(1, { backtest: false, runId: 'run-old', frameName: '' }), closedSignal(2, { backtest: false, frameName: '' })];
const logLine: LogLine = { entryId: 'log-1', level: 'error', at: T, message: 'boom', source: 'engine', runId: 'run-old', data: { code: 7 } };

/** Keys and values of every subsystem, written in the previous layout. */
const FIXTURE: Array<{ collection: string; docs: Array<Record<string, unknown>> }> = [
  { collection: 'session-items', docs: [legacy(sessionKey, { bars: 3, 'a.b': { $c: 1 } })] },
  { collection: 'storage-items', docs: rows.map((r) => legacy({ backtest: r.backtest, signalId: r.signalId }, r)) },
  { collection: 'recent-items', docs: [legacy({ symbol: 'BTCUSDT', strategyName: 'ema-cross', exchangeName: 'binance', frameName: '', backtest: false }, rows[1])] },
  { collection: 'notification-items', docs: notifications.map((n) => legacy({ backtest: n.backtest, notificationId: n.notificationId }, n)) },
  { collection: 'memory-items', docs: [legacy({ signalId: 'sig-0001', bucketName: 'notes', memoryId: 'm1' }, { why: 'cross' })] },
  { collection: 'state-items', docs: [legacy({ signalId: 'sig-0001', bucketName: 'trail' }, [1, 2, 3])] },
  { collection: 'dump-items', docs: [legacy({ dumpId: 'd1' }, '# report\n')] },
  { collection: 'log-items', docs: [legacy({ entryId: 'log-1' }, logLine)] },
];

describe('migrating a database written in the previous layout (value under data)', () => {
  let db: TestDb;
  let persistence: Persistence;
  let dataDir: string;
  const originals = new Map<string, Array<Record<string, unknown>>>();

  beforeAll(async () => {
    db = await openTestDb('migration');
    for (const { collection, docs } of FIXTURE) {
      await db.manager.connection.collection(collection).insertMany(docs.map((d) => ({ ...d })));
      originals.set(collection, (await db.manager.connection.collection(collection).find({}).toArray()) as Array<Record<string, unknown>>);
    }
    dataDir = await fsp.mkdtemp(join(tmpdir(), 'migration-'));
  });
  afterAll(async () => {
    await persistence?.close();
    await db.dispose();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('is detected, and a dry run counts every collection and changes nothing', async () => {
    expect(await legacyLayoutStatus(db.manager.connection)).toEqual({ needsMigration: true, collections: expect.arrayContaining(FIXTURE.map((f) => f.collection)) });
    const report = await migrateDatabase(db.manager.connection, { dryRun: true });
    for (const { collection, docs } of FIXTURE) {
      expect(report.collections.find((c) => c.collection === collection)).toMatchObject({ found: docs.length, migrated: 0, failed: 0 });
      expect(await db.manager.connection.collection(collection).find({}).toArray()).toEqual(originals.get(collection));
    }
  });

  it('--apply rewrites every document in place, resuming after an interrupted run, and loses nothing', async () => {
    // An earlier run stopped after one document.
    const [first] = originals.get('storage-items')!;
    await db.manager.connection.collection('storage-items').updateOne({ _id: first!._id as never }, migrationUpdate('storage', first as never));
    const lines: string[] = [];
    const report = await migrateDatabase(db.manager.connection, { dryRun: false, progress: (l) => lines.push(l) });
    for (const { collection, docs } of FIXTURE) {
      const expected = collection === 'storage-items' ? docs.length - 1 : docs.length;
      expect(report.collections.find((c) => c.collection === collection)).toMatchObject({ found: expected, migrated: expected, failed: 0 });
      const stored = await db.manager.connection.collection(collection).find({}).toArray();
      // Same documents (same _id), nothing deleted, the old fields kept under monitor.legacy.
      expect(stored.map((d) => String(d._id)).sort()).toEqual(originals.get(collection)!.map((d) => String(d._id)).sort());
      for (const doc of stored) {
        const before = originals.get(collection)!.find((o) => String(o._id) === String(doc._id))!;
        expect(doc.data).toBeUndefined();
        expect(doc.payload).toBeDefined();
        expect(doc.createDate).toBeInstanceOf(Date);
        expect(doc.updatedDate).toEqual(new Date(before.updatedAt as number));
        expect(doc.monitor).toMatchObject({ writer: 'backtest-monitor', seq: before.insertedAt, legacy: { data: before.data, updatedAt: before.updatedAt, insertedAt: before.insertedAt } });
      }
    }
    expect(lines.some((l) => /^notification-items: 2\/2$/.test(l))).toBe(true);
    expect(await legacyLayoutStatus(db.manager.connection)).toEqual({ needsMigration: false, collections: [] });
  });

  it('every value reads back through the persist services as it was written', async () => {
    persistence = await createPersistence({ mode: 'live', dataDir, connection: db.manager, overrides: { dump: 'mongodb' } });
    expect(await persistence.session.get(sessionKey)).toEqual({ bars: 3, 'a.b': { $c: 1 } });
    for (const row of rows) expect(await persistence.storage.getSignal(row.signalId, false)).toEqual(row);
    expect(await persistence.recent.latest({ symbol: 'BTCUSDT', strategyName: 'ema-cross', exchangeName: 'binance', frameName: '', backtest: false })).toEqual(rows[1]);
    for (const n of notifications) expect(await persistence.notifications.get(n.notificationId, false)).toEqual(n);
    expect(await persistence.notifications.unreadCount({ backtest: false })).toBe(1);
    expect(await persistence.memory.get({ signalId: 'sig-0001', bucketName: 'notes', memoryId: 'm1' })).toEqual({ why: 'cross' });
    expect(await persistence.state.get({ signalId: 'sig-0001', bucketName: 'trail' })).toEqual([1, 2, 3]);
    expect(await persistence.dump.get({ dumpId: 'd1' })).toBe('# report\n');
    const log = await db.manager.connection.collection('log-items').findOne({ entryId: 'log-1' });
    expect(log?.payload).toMatchObject({ id: 'log-1', type: 'warn', topic: 'boom', timestamp: T, args: [{ code: 7 }] });
    expect(log?.monitor).toMatchObject({ level: 'error', source: 'engine', runId: 'run-old' });
  });

  it('before migrating, the app still reads a previous-layout document, and writing its key migrates it on the spot', async () => {
    const key = { signalId: 'late', bucketName: 'b' };
    const old = legacy(key, { n: 1 });
    await db.manager.connection.collection('state-items').insertOne({ ...old });
    expect(await legacyLayoutStatus(db.manager.connection)).toEqual({ needsMigration: true, collections: ['state-items'] });
    expect(await persistence.state.get(key)).toEqual({ n: 1 });
    await persistence.state.set(key, { n: 2 });
    expect(await persistence.state.get(key)).toEqual({ n: 2 });
    const docs = await db.manager.connection.collection('state-items').find(key).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ payload: { id: 'late_b', data: { n: 2 } }, createDate: new Date(Math.floor((old.insertedAt as number) / 1000)), monitor: { writer: 'backtest-monitor', legacy: { data: { n: 1 } } } });
    expect(docs[0]!.data).toBeUndefined();
    expect(await legacyLayoutStatus(db.manager.connection)).toEqual({ needsMigration: false, collections: [] });
  });

  it('a second run finds nothing to do (idempotent), and the command line says so per collection', async () => {
    const again = await migrateDatabase(db.manager.connection, { dryRun: false });
    expect(again.collections.every((c) => c.found === 0 && c.migrated === 0)).toBe(true);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'electron/core/cli/db.ts', 'migrate', '--apply', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CC_MONGO_CONNECTION_STRING: db.uri },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as { dryRun: boolean; collections: Array<{ collection: string; found: number; migrated: number }> };
    expect(report.dryRun).toBe(false);
    expect(report.collections.map((c) => c.collection)).toEqual(expect.arrayContaining(FIXTURE.map((f) => f.collection)));
    expect(report.collections.every((c) => c.found === 0 && c.migrated === 0)).toBe(true);
  }, 180_000);
});
