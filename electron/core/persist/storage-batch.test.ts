import * as fsp from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SignalRow } from '../../../shared/domain/signals';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { MemoryAdapter } from './adapters/memory-adapter';
import { MongoAdapter } from './adapters/mongo-adapter';
import { PersistValidationError, type Entry, type PersistAdapter } from './contract';
import { StorageService } from './services/storage-service';
import { WriteSpool } from './spool';
import { SpoolingAdapter } from './spooling-adapter';
import { STORAGE, type StorageKey } from './subsystems';
import { closedSignal, signal } from './test-support/fixtures';
import { TypedStore } from './typed-store';

const row = (n: number, overrides: Partial<SignalRow> = {}): SignalRow => closedSignal(n, { runId: 'run-batch', closedAt: 1_800_000_000_000 + n, ...overrides });

/** A stored document without what differs between two writes of the same row (ids, clocks, the insertion stamp). */
function comparable(doc: Record<string, unknown>): Record<string, unknown> {
  const { _id, createDate, updatedDate, monitor, ...rest } = doc;
  const { seq, ...ownMonitor } = (monitor ?? {}) as Record<string, unknown>;
  void [_id, createDate, updatedDate, seq];
  return { ...rest, monitor: ownMonitor };
}

describe('StorageService.writeMany on MongoDB (the test server)', () => {
  let db: TestDb;
  const collection = (name = 'storage-items') => db.manager.connection.collection(name);
  const service = (cap: number): StorageService => new StorageService(new TypedStore(STORAGE, new MongoAdapter<StorageKey, SignalRow>(() => db.manager.connection, STORAGE)), cap, true);

  beforeAll(async () => {
    db = await openTestDb('storage_batch');
  });
  beforeEach(async () => {
    await collection().deleteMany({});
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('stores the same documents as writing each row with upsert', async () => {
    const rows = [...Array.from({ length: 1_200 }, (_, i) => row(i)), signal(5_000, { runId: 'run-batch', note: 'still open' })];
    await service(10_000).writeMany(rows);
    const batched = (await collection().find({}).sort({ signalId: 1 }).toArray()).map(comparable);
    await collection().deleteMany({});
    const one = service(10_000);
    for (const r of rows) await one.upsert(r);
    const single = (await collection().find({}).sort({ signalId: 1 }).toArray()).map(comparable);
    expect(batched).toHaveLength(rows.length);
    expect(batched).toEqual(single);
    // Rewriting a batch updates in place: no duplicates, the new values win.
    await service(10_000).writeMany(rows.slice(0, 10).map((r) => ({ ...r, pnlPercent: -1 })));
    expect(await collection().countDocuments({})).toBe(rows.length);
    expect((await service(10_000).getSignal('sig-0003'))?.pnlPercent).toBe(-1);
  });

  it('keeps the cap, dropping the oldest closed rows and never an open one', async () => {
    const storage = service(50);
    await storage.writeMany([signal(1, { runId: 'run-batch' }), ...Array.from({ length: 49 }, (_, i) => row(100 + i))]);
    await storage.writeMany(Array.from({ length: 30 }, (_, i) => row(200 + i)));
    const { total, items } = await storage.listSignals({}, { limit: 100 });
    expect(total).toBeLessThanOrEqual(50);
    const ids = items.map((e) => e.key.signalId);
    expect(ids).toContain('sig-0001');
    for (let i = 0; i < 30; i++) expect(ids).toContain(`sig-${String(200 + i).padStart(4, '0')}`);
    expect(ids).not.toContain('sig-0100');
  });

  it('lists the keys the cap trims in the order and page `list` gives them, on MongoDB and in memory', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(i, { closedAt: 1_800_000_000_000 + ((i * 7) % 40), status: i % 5 === 0 ? 'opened' : 'closed' }));
    const memory = new TypedStore(STORAGE, new MemoryAdapter<StorageKey, SignalRow>(STORAGE));
    const mongo = new TypedStore(STORAGE, new MongoAdapter<StorageKey, SignalRow>(() => db.manager.connection, STORAGE));
    const query = { key: { backtest: true }, where: { status: ['closed'] }, sortBy: 'closedAt', order: 'asc' as const, offset: 3, limit: 20 };
    for (const store of [memory, mongo]) {
      await store.writeBatch(rows.map((r) => ({ key: { backtest: true, signalId: r.signalId }, value: r })));
      const listed = (await store.list(query)).items.map((e) => e.key);
      expect(listed).toHaveLength(20);
      expect(await store.listKeys(query)).toEqual(listed);
    }
  });

  it('refuses an invalid row naming it and its field, and loses nothing else', async () => {
    const storage = service(10_000);
    await storage.writeMany([row(1), row(2)]);
    const batch = [row(10), row(11, { priceOpen: Number.NaN }), row(12)];
    const failure = await storage.writeMany(batch).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PersistValidationError);
    expect(String((failure as Error).message)).toMatch(/row 1 \(signalId "sig-0011"\) priceOpen:/);
    expect(String((failure as Error).message)).toMatch(/1 of 3 rows refused/);
    const ids = (await storage.listSignals({}, { limit: 100 })).items.map((e) => e.key.signalId).sort();
    expect(ids).toEqual(['sig-0001', 'sig-0002', 'sig-0010', 'sig-0012']);
  });

  it("leaves a bot's document with the same key as it was and writes the rest of the batch", async () => {
    const samples = JSON.parse(readFileSync(resolve(process.cwd(), '..', 'shared', 'data', 'backtest-kit', 'mongo-19.5.0-documents.json'), 'utf8')) as Record<string, { sample: Record<string, unknown> & { payload: Record<string, unknown> } }>;
    const { _id: _unused, createDate, updatedDate, ...sample } = samples['storage-items']!.sample;
    void _unused;
    await collection().insertOne({ ...sample, backtest: true, signalId: 'bot-row', payload: { ...sample.payload, id: 'bot-row' }, createDate: new Date(String(createDate)), updatedDate: new Date(String(updatedDate)) });
    await service(10_000).writeMany([row(1), row(2, { signalId: 'bot-row' }), row(3)]);
    const bot = await collection().findOne({ signalId: 'bot-row' });
    expect(bot?.payload).toEqual({ ...sample.payload, id: 'bot-row' });
    expect(await collection().countDocuments({ 'monitor.writer': { $exists: true }, signalId: { $in: ['sig-0001', 'sig-0003'] } })).toBe(2);
  });
});

/** MongoDB answering "write concern timed out" (code 64) to a batch after half of it landed. */
class OutageMidBatch extends MemoryAdapter<StorageKey, SignalRow> {
  failures = 1;

  override async writeMany(entries: readonly Entry<StorageKey, SignalRow>[]): Promise<void> {
    if (this.failures === 0) return super.writeMany(entries);
    this.failures--;
    await super.writeMany(entries.slice(0, Math.floor(entries.length / 2)));
    throw Object.assign(new Error('waiting for replication timed out'), { code: 64, codeName: 'WriteConcernFailed' });
  }
}

describe('StorageService.writeMany during a MongoDB outage', () => {
  let dir: string;
  let spool: WriteSpool;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'storage-batch-spool-'));
    spool = await WriteSpool.open(join(dir, 'spool.jsonl'));
  });
  afterEach(async () => {
    await spool.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const replayInto = (inner: PersistAdapter<StorageKey, SignalRow>) =>
    spool.replay({ apply: (e) => (e.op === 'write' ? inner.write(e.key as StorageKey, e.value as SignalRow) : inner.remove(e.key as StorageKey)), isTransient: () => false });

  it('spools every row while the connection is down, serves them to reads, and replays them', async () => {
    const connection = { isConnected: false };
    const inner = new MemoryAdapter<StorageKey, SignalRow>(STORAGE);
    const storage = new StorageService(new TypedStore(STORAGE, new SpoolingAdapter(STORAGE, inner, spool, connection)), 10_000, true);
    const rows = Array.from({ length: 300 }, (_, i) => row(i));
    await storage.writeMany(rows);
    expect(spool.size).toBe(300);
    expect(await storage.getSignal('sig-0299')).toEqual(rows[299]);
    expect((await inner.list({ limit: 1 })).total).toBe(0);
    connection.isConnected = true;
    await replayInto(inner);
    expect(spool.size).toBe(0);
    expect((await inner.list({ limit: 1 })).total).toBe(300);
  });

  it('spools the whole batch when the bulk write fails for an outage half-way, and the replay leaves each row once', async () => {
    const inner = new OutageMidBatch(STORAGE);
    const storage = new StorageService(new TypedStore(STORAGE, new SpoolingAdapter(STORAGE, inner, spool, { isConnected: true })), 10_000, true);
    const rows = Array.from({ length: 100 }, (_, i) => row(i));
    await storage.writeMany(rows);
    expect(spool.size).toBe(100);
    await replayInto(inner);
    const stored = await inner.list({ limit: 1_000 });
    expect(stored.total).toBe(100);
    expect(stored.items.map((e) => e.value)).toEqual(rows);
  });
});
