import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import { unwrap } from '../../../shared/contract/result';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { toStoredFieldNames } from '../backtest-kit/documents/field-names';
import { ConnectionManager } from '../db/connection-manager';
import { migrateDatabase } from '../persist/migration';
import { closedSignal, notification } from '../persist/test-support/fixtures';
import { createAppCore, type AppCore } from './app-core';

const T = 1_790_000_000_000;
/** A document as the previous layout wrote it: key fields, the value under `data`, numeric stamps. */
function legacy(key: Record<string, unknown>, value: unknown, n: number): Record<string, unknown> {
  return { ...key, data: toStoredFieldNames(value), updatedAt: T + n * 1000, insertedAt: (T + n * 1000) * 1000 + n };
}

/** The app core on the test database tells the user when a database needs `npm run db -- migrate` (issue 11, item 5). */
describe('the database status says when the database needs migrating', () => {
  let core: AppCore | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    if (core?.database.connection?.isConnected) await core.database.connection.connection.dropDatabase().catch(() => undefined);
    await core?.shutdown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    core = undefined;
  });

  async function start(uri: string): Promise<AppCore> {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-migration-notice-'));
    core = await createAppCore({ config: { dataDir, envConnectionString: uri, probeLocalhost: false, embedded: false }, echoLog: false });
    await core.databaseReady;
    return core;
  }
  const status = async (app: AppCore): Promise<DatabaseStatus> => unwrap(await app.dispatch('database.status', {})) as DatabaseStatus;

  it('a database with previous-layout documents reports needed with a count per collection; after the migration, not needed', async () => {
    const uri = freshDatabaseUri('migration_notice');
    const seed = new ConnectionManager({ uri });
    await seed.connect();
    const rows = [closedSignal(1, { backtest: false, frameName: '' }), closedSignal(2, { backtest: false, frameName: '' }), closedSignal(3, { backtest: true, frameName: '' })];
    await seed.connection.collection('storage-items').insertMany(rows.map((r, i) => legacy({ backtest: r.backtest, signalId: r.signalId }, r, i)));
    const n = notification(1);
    await seed.connection.collection('notification-items').insertOne(legacy({ backtest: n.backtest, notificationId: n.notificationId }, n, 9));
    // A document already in the new layout is not counted.
    await seed.connection.collection('state-items').insertOne({ signalId: 's', bucketName: 'b', payload: { id: 's_b', data: 1, when: T }, when: T, createDate: new Date(T), updatedDate: new Date(T) });
    await seed.close();

    const app = await start(uri);
    const events: DatabaseStatus[] = [];
    app.bus.listen((e) => {
      if (e.event === 'database.status') events.push(e.payload as DatabaseStatus);
    });
    expect((await status(app)).migration).toEqual({ needed: true, collections: { 'storage-items': 3, 'notification-items': 1 } });
    expect(app.log.tail(200).some((l) => l.level === 'warn' && l.message.includes('npm run db -- migrate --dry-run'))).toBe(true);

    // The app itself never migrates: the documents are still in the old layout.
    expect(await app.database.connection!.connection.collection('storage-items').countDocuments({ data: { $exists: true } })).toBe(3);

    const report = await migrateDatabase(app.database.connection!.connection, { dryRun: false });
    expect(report.collections.find((c) => c.collection === 'storage-items')?.migrated).toBe(3);
    // The user migrated from a terminal: the next status (after the recheck interval) says so.
    await new Promise((r) => setTimeout(r, 5100));
    expect((await status(app)).migration).toEqual({ needed: false, collections: {} });
    expect(events.at(-1)?.migration).toEqual({ needed: false, collections: {} });
  });

  it('a clean database reports not needed', async () => {
    const uri = freshDatabaseUri('migration_notice_clean');
    const app = await start(uri);
    expect((await status(app)).migration).toEqual({ needed: false, collections: {} });
  });
});
