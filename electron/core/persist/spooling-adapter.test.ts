import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { ConnectionManager } from '../db/connection-manager';
import { MemoryAdapter } from './adapters/memory-adapter';
import { PersistDbService } from './adapters/mongo-adapter';
import { WriteSpool } from './spool';
import { SpoolingAdapter } from './spooling-adapter';
import { STATE, type JsonValue, type StateKey } from './subsystems';

/**
 * The test server cannot be made to miss a write concern, so this store stands in for MongoDB
 * answering "write concern timed out" (code 64) to its first `failures` writes.
 */
class WriteConcernTimeouts extends MemoryAdapter<StateKey, JsonValue> {
  constructor(private failures: number) {
    super(STATE);
  }

  override async write(key: StateKey, value: JsonValue): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('waiting for replication timed out'), { code: 64, codeName: 'WriteConcernFailed' });
    }
    await super.write(key, value);
  }
}

describe('the spooling MongoDB adapter', () => {
  let dir: string;
  let spool: WriteSpool;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'persist-spooling-'));
    spool = await WriteSpool.open(join(dir, 'spool.jsonl'));
  });
  afterEach(async () => {
    await spool.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('spools a write that times out on its write concern, serves it to reads, and keeps later writes behind it', async () => {
    const inner = new WriteConcernTimeouts(1);
    const adapter = new SpoolingAdapter({ name: 'state', keyParts: STATE.keyParts }, inner, spool, { isConnected: true });
    const key = { signalId: 's', bucketName: 'b' };
    await adapter.write(key, { v: 1 });
    expect(spool.size).toBe(1);
    expect(await adapter.read(key)).toEqual({ v: 1 });
    expect(await inner.read(key)).toBeNull();
    // The store works again, but an older write is still buffered: this one must queue behind it.
    await adapter.write(key, { v: 2 });
    expect(spool.size).toBe(2);
    expect(await adapter.read(key)).toEqual({ v: 2 });
    await spool.replay({ apply: (e) => inner.write(e.key as StateKey, e.value as JsonValue), isTransient: () => false });
    expect(spool.size).toBe(0);
    expect(await inner.read(key)).toEqual({ v: 2 });
    await adapter.write(key, { v: 3 });
    expect(spool.size).toBe(0);
    expect(await inner.read(key)).toEqual({ v: 3 });
  });

  it('spools without trying while the connection is down, and never spools a write MongoDB refused on its merits', async () => {
    const connection = { isConnected: false };
    const inner = new MemoryAdapter<StateKey, JsonValue>(STATE);
    const adapter = new SpoolingAdapter({ name: 'state', keyParts: STATE.keyParts }, inner, spool, connection);
    await adapter.remove({ signalId: 'x', bucketName: 'b' });
    expect(spool.newestFor('state', '["x","b"]')?.op).toBe('remove');
    expect(await adapter.has({ signalId: 'x', bucketName: 'b' })).toBe(false);

    const refusing = new MemoryAdapter<StateKey, JsonValue>(STATE);
    refusing.write = async () => {
      throw Object.assign(new Error('Document failed validation'), { code: 121 });
    };
    const otherSpool = await WriteSpool.open(join(dir, 'other.jsonl'));
    const strict = new SpoolingAdapter({ name: 'state', keyParts: STATE.keyParts }, refusing, otherSpool, { isConnected: true });
    await expect(strict.write({ signalId: 'y', bucketName: 'b' }, 1)).rejects.toThrow('Document failed validation');
    expect(otherSpool.size).toBe(0);
    await otherSpool.close();
  });

  it('lists stored and buffered entries as one view until the replay lands', async () => {
    const connection = { isConnected: true };
    const inner = new MemoryAdapter<StateKey, JsonValue>(STATE);
    const adapter = new SpoolingAdapter({ name: 'state', keyParts: STATE.keyParts }, inner, spool, connection);
    for (const [bucketName, rank] of [['a', 1], ['b', 2], ['c', 3]] as const) await adapter.write({ signalId: 's', bucketName }, { rank });
    expect(spool.size).toBe(0);
    connection.isConnected = false;
    await adapter.write({ signalId: 's', bucketName: 'b' }, { rank: 20 });
    await adapter.remove({ signalId: 's', bucketName: 'c' });
    await adapter.write({ signalId: 's', bucketName: 'd' }, { rank: 0 });
    await adapter.write({ signalId: 'other', bucketName: 'x' }, { rank: 5 });
    // Back up, not yet replayed: MongoDB holds a, b(2), c; the spool holds b(20), -c, d, other/x.
    connection.isConnected = true;
    const page = await adapter.list({ key: { signalId: 's' }, sortBy: 'rank', order: 'desc', limit: 2 });
    expect(page.total).toBe(3);
    expect(page.incomplete).toBeUndefined();
    expect(page.items.map((e) => [e.key.bucketName, e.value])).toEqual([['b', { rank: 20 }], ['a', { rank: 1 }]]);
    expect((await adapter.keys({ signalId: 's' })).map((k) => k.bucketName).sort()).toEqual(['a', 'b', 'd']);
    expect(await adapter.has({ signalId: 's', bucketName: 'c' })).toBe(false);
    await spool.replay({
      apply: (e) => (e.op === 'write' ? inner.write(e.key as StateKey, e.value as JsonValue) : inner.remove(e.key as StateKey)),
      isTransient: () => false,
    });
    expect((await inner.list({ key: { signalId: 's' }, sortBy: 'rank', order: 'desc' })).items.map((e) => e.key.bucketName)).toEqual(['b', 'a', 'd']);
  });

  it('MongoDB writes carry the wtimeoutMS of the connection string', async () => {
    const uri = new URL(freshDatabaseUri('persist_wc'));
    uri.searchParams.set('wtimeoutMS', '1234');
    const manager = new ConnectionManager({ uri: uri.toString() });
    await manager.connect();
    try {
      expect(new PersistDbService(manager.connection, STATE).writeConcern?.wtimeoutMS).toBe(1234);
    } finally {
      await manager.close();
    }
  });
});
