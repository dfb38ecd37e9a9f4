import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../../shared/domain/notifications';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { ConnectionManager } from '../db/connection-manager';
import { FileAdapter } from './adapters/file-adapter';
import { MemoryAdapter } from './adapters/memory-adapter';
import { MongoAdapter } from './adapters/mongo-adapter';
import { PersistValidationError, type PersistAdapter } from './contract';
import { NOTIFICATION, STATE, SESSION, type JsonValue, type NotificationKey, type SessionKey, type StateKey } from './subsystems';
import { notification } from './test-support/fixtures';
import { TypedStore } from './typed-store';

interface Stores {
  state: TypedStore<StateKey, JsonValue>;
  session: TypedStore<SessionKey, JsonValue>;
  notification: TypedStore<NotificationKey, Notification>;
}

interface AdapterUnderTest {
  name: string;
  durable: boolean;
  setup(): Promise<void>;
  open(): Promise<Stores>;
  teardown(): Promise<void>;
}

function storesFrom(make: <K extends Record<string, string | boolean>, V>(def: typeof STATE | typeof SESSION | typeof NOTIFICATION) => Promise<PersistAdapter<K, V>>): () => Promise<Stores> {
  return async () => ({
    state: new TypedStore(STATE, await make<StateKey, JsonValue>(STATE)),
    session: new TypedStore(SESSION, await make<SessionKey, JsonValue>(SESSION)),
    notification: new TypedStore(NOTIFICATION, await make<NotificationKey, Notification>(NOTIFICATION)),
  });
}

const mongo = ((): AdapterUnderTest => {
  let db: TestDb;
  const managers: ConnectionManager[] = [];
  return {
    name: 'mongodb',
    durable: true,
    async setup() {
      db = await openTestDb('persist_contract');
    },
    // Every open uses a new connection, so "close and reopen" really goes back to the server.
    open: storesFrom(async (def) => {
      const manager = new ConnectionManager({ uri: db.uri });
      await manager.connect();
      managers.push(manager);
      return new MongoAdapter(() => manager.connection, def);
    }),
    async teardown() {
      await Promise.all(managers.map((m) => m.close()));
      await db.dispose();
    },
  };
})();

const localFile = ((): AdapterUnderTest => {
  let dir: string;
  return {
    name: 'local-file',
    durable: true,
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'persist-contract-'));
    },
    open: storesFrom((def) => FileAdapter.open(def, { dir: join(dir, def.name), format: 'json' })),
    async teardown() {
      await rm(dir, { recursive: true, force: true });
    },
  };
})();

const inMemory = ((): AdapterUnderTest => {
  let shared: Stores | undefined;
  return {
    name: 'in-memory',
    durable: false,
    async setup() {},
    async open() {
      shared ??= await storesFrom(async (def) => new MemoryAdapter(def))();
      return shared;
    },
    async teardown() {},
  };
})();

describe.each([mongo, localFile, inMemory])('persist contract: $name adapter', (subject) => {
  let stores: Stores;
  beforeAll(async () => {
    await subject.setup();
    stores = await subject.open();
  });
  afterAll(async () => {
    await subject.teardown();
  });

  it('reports an absent key as null / not present', async () => {
    expect(await stores.state.read({ signalId: 'missing', bucketName: 'b' })).toBeNull();
    expect(await stores.state.has({ signalId: 'missing', bucketName: 'b' })).toBe(false);
  });

  it('reads back what was written, and the newest write wins', async () => {
    const key = { signalId: 's1', bucketName: 'trailing' };
    await stores.state.write(key, { stop: 95, nested: { list: [1, 2, 3] }, flag: true, none: null });
    expect(await stores.state.read(key)).toEqual({ stop: 95, nested: { list: [1, 2, 3] }, flag: true, none: null });
    expect(await stores.state.has(key)).toBe(true);
    await stores.state.write(key, { stop: 97 });
    expect(await stores.state.read(key)).toEqual({ stop: 97 });
  });

  it('stores any JSON value: empty object, array, string, number', async () => {
    for (const [i, value] of [{}, [], 'text', 42, [{ a: 1 }]].entries()) {
      const key = { signalId: `json-${i}`, bucketName: 'b' };
      await stores.state.write(key, value as JsonValue);
      expect(await stores.state.read(key)).toEqual(value);
    }
  });

  it('stores objects whose keys contain dots, dollars and other characters MongoDB treats specially', async () => {
    const key = { signalId: 'odd-keys', bucketName: 'b' };
    const value = { levels: { '100.5': 3, '99.25': 1 }, $meta: { '$set': 1, 'a.b.c': [{ '.': '$' }] }, '': 'empty', 'ünï': true };
    await stores.state.write(key, value);
    expect(await stores.state.read(key)).toEqual(value);
    expect((await stores.state.list({ key: { signalId: 'odd-keys' } })).items[0]!.value).toEqual(value);
  });

  it('keeps the stored value apart from the caller\'s object', async () => {
    const key = { signalId: 's-copy', bucketName: 'b' };
    const value = { list: [1] };
    await stores.state.write(key, value);
    value.list.push(2);
    const read = (await stores.state.read(key)) as { list: number[] };
    read.list.push(3);
    expect(await stores.state.read(key)).toEqual({ list: [1] });
  });

  it('removes a key, and removing an absent key is not an error', async () => {
    const key = { signalId: 's-remove', bucketName: 'b' };
    await stores.state.write(key, 1);
    await stores.state.remove(key);
    expect(await stores.state.read(key)).toBeNull();
    expect(await stores.state.has(key)).toBe(false);
    await expect(stores.state.remove(key)).resolves.toBeUndefined();
  });

  it('lists keys by context key, including keys with path characters, booleans and unicode', async () => {
    const symbols = ['../x', 'a/b', '..\\\\evil', 'BTC~USDT', '100%', 'éth', 'con', ''.padEnd(300, 'k')];
    for (const symbol of symbols) {
      await stores.session.write({ strategyName: 'strat', exchangeName: 'ex', frameName: '', symbol, backtest: true }, { symbol });
    }
    await stores.session.write({ strategyName: 'other', exchangeName: 'ex', frameName: 'f', symbol: '../x', backtest: false }, { other: true });
    const keys = await stores.session.keys({ strategyName: 'strat' });
    expect(keys.map((k) => k.symbol).sort()).toEqual([...symbols].sort());
    expect(keys.every((k) => k.backtest === true && k.frameName === '')).toBe(true);
    for (const symbol of symbols) {
      expect(await stores.session.read({ strategyName: 'strat', exchangeName: 'ex', frameName: '', symbol, backtest: true })).toEqual({ symbol });
    }
    expect(await stores.session.keys({ backtest: false })).toEqual([{ strategyName: 'other', exchangeName: 'ex', frameName: 'f', symbol: '../x', backtest: false }]);
  });

  it('lists by context key and value fields, sorted and paged', async () => {
    for (let n = 0; n < 30; n++) await stores.notification.write({ backtest: n >= 25, notificationId: notification(n).notificationId }, notification(n, { backtest: n >= 25 }));
    const live = await stores.notification.list({ key: { backtest: false }, sortBy: 'createdAt', order: 'desc', limit: 10 });
    expect(live.total).toBe(25);
    expect(live.items.map((e) => e.value.notificationId)).toEqual(Array.from({ length: 10 }, (_, i) => notification(24 - i).notificationId));
    const page2 = await stores.notification.list({ key: { backtest: false }, sortBy: 'createdAt', order: 'desc', offset: 10, limit: 10 });
    expect(page2.items[0]!.value.notificationId).toBe(notification(14).notificationId);
    const btcOpened = await stores.notification.list({ where: { symbol: 'BTCUSDT', type: 'signal.opened' }, sortBy: 'createdAt', limit: 100 });
    expect(btcOpened.total).toBe(15);
    expect(btcOpened.items.every((e) => e.value.symbol === 'BTCUSDT')).toBe(true);
    const anyOfRuns = await stores.notification.list({ key: { backtest: false }, where: { runId: ['run-a'] }, limit: 100 });
    expect(anyOfRuns.total).toBe(9);
    await expect(stores.notification.list({ limit: 0 })).rejects.toThrow('limit must be a whole number');
  });

  it('refuses a payload that fails its schema, naming the field, and stores nothing', async () => {
    const key = { backtest: false, notificationId: 'bad-1' };
    const bad = { ...notification(1), notificationId: 'bad-1', type: 'signal.exploded' };
    const error = await stores.notification.write(key, bad as unknown as Notification).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistValidationError);
    expect((error as Error).message).toMatch(/^notification: invalid payload: type: /);
    expect(await stores.notification.has(key)).toBe(false);
    await expect(stores.state.write({ signalId: 's', bucketName: 'b' }, { when: new Date() } as unknown as JsonValue)).rejects.toThrow(/invalid payload: when/);
  });

  it('refuses a malformed key, naming the part', async () => {
    await expect(stores.state.write({ signalId: '', bucketName: 'b' }, 1)).rejects.toThrow(/state: invalid key: signalId: must not be empty/);
    await expect(stores.state.read({ signalId: 's', bucketName: 'b', extra: 'x' } as StateKey)).rejects.toThrow(/invalid key: .*extra/);
    await expect(stores.session.read({ strategyName: 's', exchangeName: 'e', frameName: 'f', symbol: 'x', backtest: 'yes' } as unknown as SessionKey)).rejects.toThrow(/invalid key: backtest/);
  });

  it('parallel writers of one key end with one complete written value, never a mix', async () => {
    const key = { signalId: 'race', bucketName: 'b' };
    const values = Array.from({ length: 40 }, (_, i) => ({ writer: i, payload: String(i).repeat(2000) }));
    await Promise.all(values.map((v) => stores.state.write(key, v)));
    const final = (await stores.state.read(key)) as { writer: number; payload: string };
    expect(values).toContainEqual(final);
    expect(final.payload).toBe(String(final.writer).repeat(2000));
  });

  it('parallel writers of different keys all land', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => stores.state.write({ signalId: 'many', bucketName: `b${i}` }, { i })));
    const keys = await stores.state.keys({ signalId: 'many' });
    expect(keys).toHaveLength(100);
    for (let i = 0; i < 100; i += 17) expect(await stores.state.read({ signalId: 'many', bucketName: `b${i}` })).toEqual({ i });
  });

  // In-memory is not durable by design: the test exists only for the adapters that are.
  if (subject.durable) it('keeps everything across close and reopen', async () => {
    const key = { signalId: 'durable', bucketName: 'b' };
    await stores.state.write(key, { kept: true });
    await stores.state.close();
    const reopened = await subject.open();
    expect(await reopened.state.read(key)).toEqual({ kept: true });
    expect((await reopened.state.keys({ signalId: 'many' })).length).toBe(100);
    expect((await reopened.notification.list({ limit: 1 })).total).toBe(30);
  });
});
