import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../../test/support/test-db';
import { MemoryDbService, NotificationDbService, RecentDbService, SessionDbService, StateDbService, StorageDbService, LogDbService } from './db-services';

/** Collection names and unique keys must stay those of @backtest-kit/mongo, so the data can be shared. */
describe('persist collections', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('persist_collections');
  });
  afterAll(async () => {
    await db.dispose();
  });

  it.each([
    [SessionDbService, 'session-items', { strategyName: 1, exchangeName: 1, frameName: 1, symbol: 1, backtest: 1 }],
    [StorageDbService, 'storage-items', { backtest: 1, signalId: 1 }],
    [NotificationDbService, 'notification-items', { backtest: 1, notificationId: 1 }],
    [RecentDbService, 'recent-items', { symbol: 1, strategyName: 1, exchangeName: 1, frameName: 1, backtest: 1 }],
    [MemoryDbService, 'memory-items', { signalId: 1, bucketName: 1, memoryId: 1 }],
    [StateDbService, 'state-items', { signalId: 1, bucketName: 1 }],
    [LogDbService, 'log-items', { entryId: 1 }],
  ])('%o uses %s with a unique index on its context key', async (Service, collection, key) => {
    const service = new Service(db.manager.connection);
    await service.ensureIndexes();
    expect(service.collectionName).toBe(collection);
    const indexes = await db.manager.connection.collection(collection).indexes();
    const unique = indexes.filter((i) => i.unique);
    expect(unique.map((i) => i.key)).toEqual([key]);
    // The upsert is atomic on that key: writing twice leaves one document.
    const filter = Object.fromEntries(Object.entries(key).map(([k]) => [k, k === 'backtest' ? true : `v-${k}`]));
    await service.upsert(filter, { data: { n: 1 }, updatedAt: 1 });
    await service.upsert(filter, { data: { n: 2 }, updatedAt: 2 });
    expect(await service.count(filter)).toBe(1);
    expect((await service.findOneDoc(filter))?.data).toEqual({ n: 2 });
  });
});
