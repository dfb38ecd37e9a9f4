import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabaseUri } from '../../../../test/support/test-db';
import { MONITOR_WRITER } from '../../backtest-kit/documents';
import { DuplicateKeyError } from '../../db/errors';
import type { ContextKey } from '../contract';
import { LOG, MEMORY, NOTIFICATION, STATE, STORAGE, type AnySubsystemDef } from '../subsystems';
import { closedSignal, notification } from '../test-support/fixtures';
import { PersistDbService } from './mongo-adapter';

/**
 * The MongoDB adapter's write path (see docs/persistence.md, "How the MongoDB adapter writes"):
 * new keys are inserted, the monitor's own documents updated by `_id`, a bot's only get the
 * monitor's fields. Every query it makes names exactly the unique key (or `_id`): on
 * mongo-java-server anything else scans the whole collection once per document written.
 */

/** A document without what differs between two writes of the same value (ids, clocks, the insertion stamp). */
function comparable(doc: Record<string, unknown> | null): Record<string, unknown> {
  const { _id, createDate, updatedDate, monitor, ...rest } = doc ?? {};
  const { seq, ...ownMonitor } = (monitor ?? {}) as Record<string, unknown>;
  void [_id, createDate, updatedDate, seq];
  return { ...rest, monitor: ownMonitor };
}

interface Sample {
  def: AnySubsystemDef;
  key: (n: number) => ContextKey;
  value: (n: number) => unknown;
}

const SAMPLES: Sample[] = [
  { def: NOTIFICATION as unknown as AnySubsystemDef, key: (n) => ({ backtest: false, notificationId: notification(n).notificationId }), value: (n) => notification(n, { data: { pnlPercent: n } }) },
  { def: STORAGE as unknown as AnySubsystemDef, key: (n) => ({ backtest: true, signalId: closedSignal(n).signalId }), value: (n) => closedSignal(n, { runId: 'run-w' }) },
  { def: STATE as unknown as AnySubsystemDef, key: (n) => ({ signalId: `sig-${n}`, bucketName: 'b' }), value: (n) => ({ n, nested: { list: [1, 2, n] } }) },
  { def: MEMORY as unknown as AnySubsystemDef, key: (n) => ({ signalId: `sig-${n}`, bucketName: 'b', memoryId: 'm' }), value: (n) => ({ note: `memo ${n}` }) },
  { def: LOG as unknown as AnySubsystemDef, key: (n) => ({ entryId: `e-${n}` }), value: (n) => ({ entryId: `e-${n}`, level: 'info', at: 1_700_000_000_000 + n, message: `line ${n}` }) },
];

/** The filter of every find, update and delete sent to `collection`, as the driver saw them. */
function recordFilters(conn: Connection, collection: string): { filters: Array<Record<string, unknown>>; stop(): void } {
  const filters: Array<Record<string, unknown>> = [];
  const client = conn.getClient();
  const listener = (event: { commandName: string; command: Record<string, unknown> }): void => {
    const { commandName, command } = event;
    if (command[commandName] !== collection) return;
    if (commandName === 'find' || commandName === 'count') filters.push((command.filter ?? command.query ?? {}) as Record<string, unknown>);
    if (commandName === 'update') for (const u of command.updates as Array<{ q: Record<string, unknown> }>) filters.push(u.q);
    if (commandName === 'delete') for (const d of command.deletes as Array<{ q: Record<string, unknown> }>) filters.push(d.q);
    if (commandName === 'findAndModify') filters.push(command.query as Record<string, unknown>);
  };
  client.on('commandStarted', listener);
  return { filters, stop: () => client.off('commandStarted', listener) };
}

/** A filter mongo-java-server answers from a unique index: exactly the key's fields, or exactly `_id`. */
function indexShaped(filter: Record<string, unknown>, keyParts: readonly string[]): boolean {
  const fields = Object.keys(filter).sort();
  if (fields.length === 1 && fields[0] === '_id') return true;
  if (fields.join() !== [...keyParts].sort().join()) return false;
  // A compound key: plain equality on each field; a one-field key may also be `$in`.
  return keyParts.every((part) => {
    const wanted = filter[part];
    if (typeof wanted !== 'object' || wanted === null) return true;
    return keyParts.length === 1 && Object.keys(wanted).join() === '$in';
  });
}

describe('the MongoDB adapter write path (test server)', () => {
  let conn: Connection;

  beforeAll(async () => {
    conn = await mongoose.createConnection(freshDatabaseUri('mongo_write_path'), { monitorCommands: true }).asPromise();
  });
  beforeEach(async () => {
    for (const { def } of SAMPLES) await conn.collection(def.collection).deleteMany({});
  });
  afterAll(async () => {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  });

  /** The monitor's own documents under keys 1–3 and a bot's (no monitor.writer) under key 9. */
  async function seedOwnAndBot(sample: Sample): Promise<{ service: PersistDbService; collection: ReturnType<Connection['collection']> }> {
    const service = new PersistDbService(conn, sample.def);
    await service.ensureIndexes();
    const collection = conn.collection(sample.def.collection);
    await service.writeValues([1, 2, 3].map((n) => ({ key: sample.key(n), value: sample.value(n) })));
    await collection.insertOne({ ...service.keyFilter(sample.key(9)), ...service.codec.toDocument(sample.key(9), sample.value(9), 0).set, createDate: new Date(0), updatedDate: new Date(0) });
    return { service, collection };
  }

  it.each(SAMPLES.map((s) => [s.def.name, s] as const))('%s: a new key, in a batch or alone, is stored exactly as the upsert on (key, monitor.writer) stored it', async (_name, sample) => {
    const service = new PersistDbService(conn, sample.def);
    await service.ensureIndexes();
    const collection = conn.collection(sample.def.collection);
    const model = conn.model(`persist:${sample.def.collection}`);
    // The previous write path, reproduced: mongoose's upsert with timestamps, writer in the filter.
    const upserted: Array<Record<string, unknown>> = [];
    for (const n of [1, 2]) {
      const { set, monitor } = service.codec.toDocument(sample.key(n), sample.value(n), 1_700_000_000_000);
      const monitorSet = Object.fromEntries(Object.entries(monitor).map(([k, v]) => [`monitor.${k}`, v]));
      await model.updateOne({ ...service.keyFilter(sample.key(n)), 'monitor.writer': MONITOR_WRITER }, { $set: { ...set, ...monitorSet }, $setOnInsert: { 'monitor.seq': 1 } }, { upsert: true });
      upserted.push(comparable(await collection.findOne(service.keyFilter(sample.key(n)))));
    }
    await collection.deleteMany({});
    await service.writeValues([{ key: sample.key(1), value: sample.value(1) }]);
    await service.writeValue(sample.key(2), sample.value(2));
    const written = await Promise.all([1, 2].map((n) => collection.findOne(service.keyFilter(sample.key(n)))));
    // `when` / `priority` carry the write time; the reproduction wrote at a fixed one.
    const timeless = (doc: Record<string, unknown>): unknown => JSON.parse(JSON.stringify(doc).replace(/"(when|priority)":\d+/g, '"$1":0'));
    expect(written.map((d) => timeless(comparable(d)))).toEqual(upserted.map(timeless));
    for (const doc of written) {
      expect(doc?.createDate).toBeInstanceOf(Date);
      expect((doc?.updatedDate as Date).getTime()).toBe((doc?.createDate as Date).getTime());
      expect(typeof (doc?.monitor as { seq?: unknown }).seq).toBe('number');
    }
  });

  it.each(SAMPLES.map((s) => [s.def.name, s] as const))('%s: rewriting keeps createDate and monitor.seq, moves updatedDate, and stores the last value of a key written twice in one batch', async (_name, sample) => {
    const service = new PersistDbService(conn, sample.def);
    const collection = conn.collection(sample.def.collection);
    await service.writeValues([1, 2, 3].map((n) => ({ key: sample.key(n), value: sample.value(n) })));
    const before = await collection.findOne(service.keyFilter(sample.key(1)));
    await new Promise((r) => setTimeout(r, 5));
    // Key 1 twice (the second value wins), key 4 new, key 2 alone.
    await service.writeValues([
      { key: sample.key(1), value: sample.value(7) },
      { key: sample.key(4), value: sample.value(4) },
      { key: sample.key(1), value: sample.value(8) },
    ]);
    await service.writeValue(sample.key(2), sample.value(9));
    expect(await collection.countDocuments({})).toBe(4);
    const after = await collection.findOne(service.keyFilter(sample.key(1)));
    expect((after?.createDate as Date).getTime()).toBe((before?.createDate as Date).getTime());
    expect((after?.updatedDate as Date).getTime()).toBeGreaterThan((before?.updatedDate as Date).getTime());
    expect((after?.monitor as { seq: number }).seq).toBe((before?.monitor as { seq: number }).seq);
    expect(service.decode(after!)).toEqual(service.decode({ ...after!, ...service.codec.toDocument(sample.key(1), sample.value(8), 0).set }));
    const two = await collection.findOne(service.keyFilter(sample.key(2)));
    expect(service.decode(two!)).toEqual(service.decode({ ...two!, ...service.codec.toDocument(sample.key(2), sample.value(9), 0).set }));
  });

  it("never overwrites a bot's document, in a batch or alone: only the monitor's fields are set there, payload and updatedDate stay", async () => {
    const service = new PersistDbService(conn, NOTIFICATION as unknown as AnySubsystemDef);
    await service.ensureIndexes();
    const collection = conn.collection('notification-items');
    const botPayload = { id: 'bot-1', type: 'signal.opened', backtest: false, createdAt: 5, symbol: 'BTCUSDT', strategyName: 'bot' };
    const botUpdated = new Date('2025-01-01T00:00:00Z');
    await collection.insertMany([
      { backtest: false, notificationId: 'bot-1', payload: botPayload, createDate: botUpdated, updatedDate: botUpdated, __v: 0 },
      { backtest: false, notificationId: 'bot-2', payload: { ...botPayload, id: 'bot-2' }, createDate: botUpdated, updatedDate: botUpdated, __v: 0 },
    ]);
    const mine = (id: string, read: boolean) => notification(1, { notificationId: id, read, title: `mine ${id}` });
    // The batch's insert of bot-1 collides (as a bot's insert racing ours would): it must not replace the bot's payload.
    await service.writeValues([
      { key: { backtest: false, notificationId: 'bot-1' }, value: mine('bot-1', true) },
      { key: { backtest: false, notificationId: 'own-1' }, value: mine('own-1', false) },
    ]);
    await service.writeValue({ backtest: false, notificationId: 'bot-2' }, mine('bot-2', true));
    for (const id of ['bot-1', 'bot-2']) {
      const doc = await collection.findOne({ backtest: false, notificationId: id });
      expect(doc?.payload).toEqual({ ...botPayload, id });
      expect(doc?.updatedDate).toEqual(botUpdated);
      expect(doc?.monitor).toMatchObject({ read: true, title: `mine ${id}` });
      expect((doc?.monitor as { writer?: string }).writer).toBeUndefined();
    }
    expect((await collection.findOne({ notificationId: 'own-1' }))?.monitor).toMatchObject({ writer: MONITOR_WRITER, read: false });
    expect(await collection.countDocuments({})).toBe(3);
  });

  it.each(SAMPLES.map((s) => [s.def.name, s] as const))("%s: every query of a write names only the unique key or `_id` (new keys, the monitor's own, a bot's)", async (_name, sample) => {
    const { service, collection } = await seedOwnAndBot(sample);
    const recorded = recordFilters(conn, sample.def.collection);
    // A value with none of the monitor's fields (State, Memory) has nothing it may set on a bot's document: refused.
    const monitorOwn = Object.keys(service.codec.toDocument(sample.key(9), sample.value(19), 0).monitor).length > 0;
    const onBots = async (write: Promise<void>): Promise<void> => (monitorOwn ? write : expect(write).rejects.toThrow(DuplicateKeyError));
    try {
      await service.writeValues([1, 2, 4].map((n) => ({ key: sample.key(n), value: sample.value(n + 10) })));
      await onBots(service.writeValues([3, 9].map((n) => ({ key: sample.key(n), value: sample.value(n + 10) }))));
      await service.writeValue(sample.key(3), sample.value(13));
      await service.writeValue(sample.key(5), sample.value(15));
      await onBots(service.writeValue(sample.key(9), sample.value(19)));
    } finally {
      recorded.stop();
    }
    // Something was looked up and updated (the check below is not vacuous) ...
    expect(recorded.filters.length).toBeGreaterThanOrEqual(4);
    // ... and each by the unique key or by `_id`, never with monitor.writer or any other field.
    for (const filter of recorded.filters) expect({ filter, indexShaped: indexShaped(filter, sample.def.keyParts) }).toEqual({ filter, indexShaped: true });
    expect(await collection.countDocuments({})).toBe(6);
    // The bot's document kept its value whatever the monitor wrote.
    const bots = await collection.findOne(service.keyFilter(sample.key(9)));
    expect(bots?.payload).toEqual(service.codec.toDocument(sample.key(9), sample.value(9), 0).set.payload);
  });

  it.each(SAMPLES.map((s) => [s.def.name, s] as const))("%s: removal takes the monitor's own documents by key or `_id` only, and leaves a bot's", async (_name, sample) => {
    const { service, collection } = await seedOwnAndBot(sample);
    const recorded = recordFilters(conn, sample.def.collection);
    try {
      await service.removeKeys([sample.key(1), sample.key(9), sample.key(7)]);
      await service.removeKey(sample.key(2));
    } finally {
      recorded.stop();
    }
    expect(recorded.filters.length).toBeGreaterThanOrEqual(3);
    for (const filter of recorded.filters) expect({ filter, indexShaped: indexShaped(filter, sample.def.keyParts) }).toEqual({ filter, indexShaped: true });
    // What counts as present: Memory removes in place (soft), the others delete.
    const present = await service.findKeys(service.liveFilter({}));
    expect(present).toHaveLength(2);
    expect(present).toEqual(expect.arrayContaining([sample.key(3), sample.key(9)].map((k) => service.pickKey(k))));
    expect(await collection.countDocuments({})).toBe(service.codec.softRemove ? 4 : 2);
    expect((await collection.findOne(service.keyFilter(sample.key(9))))?.payload).toEqual(service.codec.toDocument(sample.key(9), sample.value(9), 0).set.payload);
  });
});
