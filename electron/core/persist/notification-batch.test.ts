import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NewNotification, Notification } from '../../../shared/domain/notifications';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { MongoAdapter } from './adapters/mongo-adapter';
import { createPersistence } from './create-persistence';
import type { Entry } from './contract';
import { NotificationService } from './services/notification-service';
import { WriteSpool } from './spool';
import { SpoolingAdapter } from './spooling-adapter';
import { NOTIFICATION, type NotificationKey } from './subsystems';
import { TypedStore } from './typed-store';

/** The MongoDB adapter on the test server, counting the calls that reach it. */
class CountingMongo extends MongoAdapter<NotificationKey, Notification> {
  singles = 0;
  batches: number[] = [];
  /** Queries over the collection (`list`, `count`): each exact unread count is one. */
  lists = 0;
  override async list(query: Parameters<MongoAdapter<NotificationKey, Notification>['list']>[0]): ReturnType<MongoAdapter<NotificationKey, Notification>['list']> {
    this.lists++;
    return super.list(query);
  }
  override async count(query: Parameters<MongoAdapter<NotificationKey, Notification>['count']>[0]): Promise<number> {
    this.lists++;
    return super.count(query);
  }
  override async write(key: NotificationKey, value: Notification): Promise<void> {
    this.singles++;
    await super.write(key, value);
  }
  override async writeMany(entries: readonly Entry<NotificationKey, Notification>[]): Promise<void> {
    this.batches.push(entries.length);
    await super.writeMany(entries);
  }
}

const note = (i: number): NewNotification => ({
  notificationId: `burst-${String(i).padStart(4, '0')}`,
  type: i % 3 === 0 ? 'signal.closed' : 'signal.opened',
  runId: 'run-burst',
  symbol: 'BTCUSDT',
  title: `#${i}`,
  message: 'burst',
  createdAt: 1_800_000_000_000 + i,
});

describe('the inbox writes a burst of notifications in batches (MongoDB on the test server)', () => {
  let db: TestDb;
  let dir: string;
  let spool: WriteSpool;
  const collection = () => db.manager.connection.collection('notification-items');

  beforeAll(async () => {
    db = await openTestDb('notification_batch');
  });
  beforeEach(async () => {
    await collection().deleteMany({});
    dir = await fsp.mkdtemp(join(tmpdir(), 'notification-batch-'));
    spool = await WriteSpool.open(join(dir, 'spool.jsonl'));
  });
  afterEach(async () => {
    await spool.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await db.dispose();
  });

  /** The live inbox as the app builds it: the spooling adapter over MongoDB. */
  function inbox(connection: { isConnected: boolean } = db.manager): { service: NotificationService; mongo: CountingMongo } {
    const mongo = new CountingMongo(() => db.manager.connection, NOTIFICATION);
    const service = new NotificationService(new TypedStore(NOTIFICATION, new SpoolingAdapter(NOTIFICATION, mongo, spool, connection)), { backtest: false });
    return { service, mongo };
  }

  it('stores 1,000 notifications appended at once exactly once, in a few bulk writes, and emits them in order', async () => {
    const { service, mongo } = inbox();
    const seen: string[] = [];
    service.on('notification', (n) => seen.push(n.notificationId));
    const ids = Array.from({ length: 1_000 }, (_, i) => note(i).notificationId);
    const stored = await Promise.all(ids.map((_, i) => service.append(note(i))));
    expect(stored.map((n) => n.notificationId)).toEqual(ids);
    expect(seen).toEqual(ids);
    expect(mongo.singles).toBe(0);
    expect(mongo.batches.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(mongo.batches.length).toBeLessThanOrEqual(2);
    const docs = await collection().find({}, { projection: { 'payload.id': 1, notificationId: 1 } }).toArray();
    expect(docs).toHaveLength(1_000);
    expect(await service.unreadCount()).toBe(1_000);
    expect(spool.size).toBe(0);
  });

  it('answers every recount made during a burst with exactly the number emitted before it, and ends at the stored count', async () => {
    const { service, mongo } = inbox();
    let emitted = 0;
    service.on('notification', () => emitted++);
    const answers: Array<{ count: number; emitted: number }> = [];
    const appends: Array<Promise<Notification>> = [];
    const recounts: Array<Promise<void>> = [];
    // 1,000 notifications over about half a second, 20 at a time, with a recount after each wave.
    for (let wave = 0; wave < 50; wave++) {
      for (let i = wave * 20; i < (wave + 1) * 20; i++) appends.push(service.append(note(i)));
      recounts.push(service.unreadCount().then((count) => void answers.push({ count, emitted })));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(appends);
    await Promise.all(recounts);
    // Each answer is taken with nothing in flight: what the UI was shown, no less and no more.
    for (const a of answers) expect(a.count).toBe(a.emitted);
    expect(answers.at(-1)!.count).toBe(1_000);
    expect(await service.unreadCount()).toBe(await collection().countDocuments({}));
    // Waves that arrived while a batch was written shared the next one.
    expect(mongo.batches.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(mongo.singles).toBe(0);
  });

  it('spools the rest of a burst when MongoDB goes away part-way, and the replay stores each notification once', async () => {
    const connection = { isConnected: true };
    const { service } = inbox(connection);
    const seen: string[] = [];
    service.on('notification', (n) => {
      seen.push(n.notificationId);
      // The outage begins once 400 have been stored.
      if (seen.length === 400) connection.isConnected = false;
    });
    const ids = Array.from({ length: 1_000 }, (_, i) => note(i).notificationId);
    const appends: Array<Promise<Notification>> = [];
    for (let wave = 0; wave < 10; wave++) {
      for (let i = wave * 100; i < (wave + 1) * 100; i++) appends.push(service.append(note(i)));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(appends);
    expect(seen).toEqual(ids);
    const landed = await collection().countDocuments({});
    expect(landed).toBeGreaterThanOrEqual(400);
    expect(landed).toBeLessThan(1_000);
    expect(spool.size).toBe(1_000 - landed);
    const mongo = new MongoAdapter<NotificationKey, Notification>(() => db.manager.connection, NOTIFICATION);
    connection.isConnected = true;
    await spool.replay({ apply: (e) => mongo.write(e.key as NotificationKey, e.value as Notification), isTransient: () => false });
    expect(spool.size).toBe(0);
    const docs = await collection().find({}).toArray();
    expect(docs).toHaveLength(1_000);
    expect(await service.unreadCount()).toBe(1_000);
    const listed = await service.list({}, { limit: 1_000 });
    expect(new Set(listed.items.map((n) => n.notificationId)).size).toBe(1_000);
    expect([...listed.items.map((n) => n.notificationId)].reverse()).toEqual(ids);
  });

  it('the tracked unread count answers each call during a burst with the number emitted before it, with no database count, and ends at the exact count', async () => {
    const { service, mongo } = inbox();
    // The first tracked count has nothing to go by: it counts in the database (and starts tracking).
    expect(await service.trackedUnreadCount()).toBe(0);
    const countsBefore = mongo.lists;
    let emitted = 0;
    service.on('notification', () => emitted++);
    const answers: Array<{ count: number; emitted: number }> = [];
    const appends: Array<Promise<Notification>> = [];
    const counts: Array<Promise<void>> = [];
    for (let wave = 0; wave < 50; wave++) {
      for (let i = wave * 20; i < (wave + 1) * 20; i++) appends.push(service.append({ ...note(i), read: i % 10 === 0 }));
      counts.push(service.trackedUnreadCount().then((count) => void answers.push({ count, emitted: emitted - Math.floor((emitted + 9) / 10) })));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(appends);
    await Promise.all(counts);
    expect(mongo.lists).toBe(countsBefore);
    for (const a of answers) expect(a.count).toBe(a.emitted);
    expect(await service.trackedUnreadCount()).toBe(900);
    expect(await service.unreadCount()).toBe(900);
    expect(await collection().countDocuments({ 'monitor.read': { $ne: true } })).toBe(900);
  });

  it('a notification appended again counts once; mark read, mark all read and removal make the next tracked count exact', async () => {
    const { service } = inbox();
    expect(await service.trackedUnreadCount()).toBe(0);
    await service.appendMany(Array.from({ length: 10 }, (_, i) => note(i)));
    expect(await service.trackedUnreadCount()).toBe(10);
    await service.append(note(3));
    expect(await service.trackedUnreadCount()).toBe(10);
    await service.append({ ...note(4), read: true });
    expect(await service.trackedUnreadCount()).toBe(9);
    await service.append(note(4));
    expect(await service.trackedUnreadCount()).toBe(10);
    expect(await service.markRead([note(5).notificationId!])).toBe(1);
    expect(await service.trackedUnreadCount()).toBe(9);
    await service.appendMany([note(20), note(21)]);
    expect(await service.trackedUnreadCount()).toBe(11);
    expect(await service.markAllRead()).toBe(11);
    expect(await service.trackedUnreadCount()).toBe(0);
    await service.appendMany([note(30), { ...note(31), runId: 'other-run' }]);
    expect(await service.trackedUnreadCount()).toBe(2);
    await service.removeByRun('run-burst');
    expect(await service.trackedUnreadCount()).toBe(1);
    expect(await service.unreadCount()).toBe(1);
  });

  it("what the tracked count cannot see (a bot's notification written to the collection) is in the next exact count, which the tracked count then follows", async () => {
    const { service } = inbox();
    await service.appendMany([note(1), note(2), note(3)]);
    expect(await service.trackedUnreadCount()).toBe(3);
    await collection().insertOne({ backtest: false, notificationId: 'bot-1', payload: { id: 'bot-1', type: 'signal.opened', backtest: false, createdAt: 5 }, createDate: new Date(), updatedDate: new Date() });
    // Tracked: no database count, so the bot's is not in it yet.
    expect(await service.trackedUnreadCount()).toBe(3);
    expect(await service.unreadCount()).toBe(4);
    expect(await service.trackedUnreadCount()).toBe(4);
    await service.append(note(4));
    expect(await service.trackedUnreadCount()).toBe(5);
    // One stored before that exact count and appended again: whether it was read is not known
    // without a query, so it counts again until the next exact count.
    await service.append(note(1));
    expect(await service.trackedUnreadCount()).toBe(6);
    expect(await service.unreadCount()).toBe(5);
    expect(await service.trackedUnreadCount()).toBe(5);
  });

  it('during an outage the tracked count goes on with what is spooled; the exact one cannot be made, and agrees once the spool is replayed', async () => {
    const connection = { isConnected: true };
    const { service } = inbox(connection);
    await service.appendMany([note(1), note(2)]);
    expect(await service.trackedUnreadCount()).toBe(2);
    connection.isConnected = false;
    await service.appendMany([note(3), note(4), note(5)]);
    expect(spool.size).toBe(3);
    expect(await service.trackedUnreadCount()).toBe(5);
    await expect(service.unreadCount()).rejects.toThrow(/unreachable|not connected|unavailable/i);
    connection.isConnected = true;
    const mongo = new MongoAdapter<NotificationKey, Notification>(() => db.manager.connection, NOTIFICATION);
    await spool.replay({ apply: (e) => mongo.write(e.key as NotificationKey, e.value as Notification), isTransient: () => false });
    expect(await service.unreadCount()).toBe(5);
    expect(await service.trackedUnreadCount()).toBe(5);
  });

  it('marks a selection read in one batch write (a repeated or unknown id changes nothing more)', async () => {
    const { service, mongo } = inbox();
    await Promise.all(Array.from({ length: 6 }, (_, i) => service.append(note(i))));
    const before = { singles: mongo.singles, batches: mongo.batches.length };
    const id = (i: number): string => `burst-${String(i).padStart(4, '0')}`;
    const ids = [id(1), id(2), id(2), 'no-such-notification', id(4)];
    expect(await service.markRead(ids)).toBe(3);
    expect(mongo.singles).toBe(before.singles);
    expect(mongo.batches.slice(before.batches)).toEqual([3]);
    const read = await collection().find({ 'monitor.read': true }).toArray();
    expect(read).toHaveLength(3);
    expect(await service.unreadCount()).toBe(3);
    expect(await service.markRead(ids)).toBe(0);
  });

  it('closing the persistence first writes and announces the notifications still queued', async () => {
    const dataDir = await fsp.mkdtemp(join(tmpdir(), 'notification-close-'));
    try {
      const persistence = await createPersistence({ mode: 'live', dataDir, connection: db.manager });
      let announced = 0;
      persistence.events.on('notification', () => announced++);
      const appended = Array.from({ length: 300 }, (_, i) => persistence.notifications.append(note(i)));
      await persistence.close();
      // By the time close() returns: all stored, and each announced (the UI shows it live).
      expect(await collection().countDocuments({ 'monitor.runId': 'run-burst' })).toBe(300);
      expect(announced).toBe(300);
      expect((await Promise.allSettled(appended)).filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});
