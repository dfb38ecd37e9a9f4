import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../../test/support/test-db';
import { MemoryDbService, NotificationDbService, RecentDbService, SessionDbService, StateDbService, StorageDbService, LogDbService } from './db-services';

/**
 * Collection names, unique keys and single-field indexes must stay those of @backtest-kit/mongo
 * 19.5.0 (its build declares them; ../shared/data/backtest-kit holds what it really created), so
 * a bot and the monitor share one database.
 */
describe('persist collections', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('persist_collections');
  });
  afterAll(async () => {
    await db.dispose();
  });

  it.each([
    [SessionDbService, 'session-items', { strategyName: 1, exchangeName: 1, frameName: 1, symbol: 1, backtest: 1 }, ['when']],
    [StorageDbService, 'storage-items', { backtest: 1, signalId: 1 }, []],
    [NotificationDbService, 'notification-items', { backtest: 1, notificationId: 1 }, []],
    [RecentDbService, 'recent-items', { symbol: 1, strategyName: 1, exchangeName: 1, frameName: 1, backtest: 1 }, ['when']],
    [MemoryDbService, 'memory-items', { signalId: 1, bucketName: 1, memoryId: 1 }, ['removed', 'when']],
    [StateDbService, 'state-items', { signalId: 1, bucketName: 1 }, ['when']],
    [LogDbService, 'log-items', { entryId: 1 }, []],
  ])('%o uses %s with a unique index on its context key and a single-field index per key field', async (Service, collection, key, valueIndexed) => {
    const service = new Service(db.manager.connection);
    await service.ensureIndexes();
    expect(service.collectionName).toBe(collection);
    const indexes = await db.manager.connection.collection(collection).indexes();
    const unique = indexes.filter((i) => i.unique);
    expect(unique.map((i) => i.key)).toEqual([key]);
    const singles = indexes.filter((i) => Object.keys(i.key).length === 1).map((i) => Object.keys(i.key)[0]);
    for (const field of [...Object.keys(key), ...valueIndexed]) expect(singles).toContain(field);
  });

  it('notification-items also has backtest-kit\'s (backtest, createDate desc) index and log-items its createDate desc one', async () => {
    await new NotificationDbService(db.manager.connection).ensureIndexes();
    await new LogDbService(db.manager.connection).ensureIndexes();
    const notificationKeys = (await db.manager.connection.collection('notification-items').indexes()).map((i) => i.key);
    expect(notificationKeys).toContainEqual({ backtest: 1, createDate: -1 });
    const logKeys = (await db.manager.connection.collection('log-items').indexes()).map((i) => i.key);
    expect(logKeys).toContainEqual({ createDate: -1 });
  });

  it('the upsert is atomic on the key: writing twice leaves one document, with createDate kept and updatedDate moved', async () => {
    const service = new StateDbService(db.manager.connection);
    const key = { signalId: 'sig-upsert', bucketName: 'b' };
    await service.writeValue(key, { n: 1 });
    const first = await service.findOneDoc(key);
    await new Promise((r) => setTimeout(r, 5));
    await service.writeValue(key, { n: 2 });
    expect(await service.count(key)).toBe(1);
    const second = await service.findOneDoc(key);
    expect(second?.payload).toEqual({ id: 'sig-upsert_b', data: { n: 2 }, when: expect.any(Number) });
    expect(second?.createDate).toBeInstanceOf(Date);
    expect(second?.createDate?.getTime()).toBe(first?.createDate?.getTime());
    expect(second!.updatedDate!.getTime()).toBeGreaterThan(first!.updatedDate!.getTime());
  });
});
