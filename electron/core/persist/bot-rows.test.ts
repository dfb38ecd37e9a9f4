import * as fsp from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { CorruptEntryError, PersistValidationError } from './contract';
import { createPersistence, type Persistence } from './create-persistence';
import { closedSignal } from './test-support/fixtures';

type Doc = Record<string, unknown> & { payload: Record<string, unknown> };

/** Documents a real backtest-kit 19.5.0 + @backtest-kit/mongo 19.5.0 bot wrote (one per collection). */
const SAMPLES = JSON.parse(readFileSync(resolve(process.cwd(), '..', 'shared', 'data', 'backtest-kit', 'mongo-19.5.0-documents.json'), 'utf8')) as Record<string, { sample: Doc | null }>;

/** A sample as @backtest-kit/mongo stores it: Dates as Dates, the server makes the `_id`. */
function asStored(sample: Doc, patch: (payload: Record<string, unknown>) => Record<string, unknown>, key: Record<string, unknown> = {}): Doc {
  const { _id: _unused, createDate, updatedDate, ...rest } = sample;
  return { ...rest, ...key, payload: patch({ ...sample.payload }), createDate: new Date(String(createDate)), updatedDate: new Date(String(updatedDate)) };
}

/**
 * The row backtest-kit's Storage writes when a scheduled signal is cancelled: the signal spread
 * with `status: "cancelled"`, a new priority and updatedAt, and no cancelReason, closeTimestamp or
 * currentPrice; here with no lifetime (`minuteEstimatedTime: Infinity`).
 */
function cancelledByBot(signalId: string, minuteEstimatedTime: number | null = Infinity): Doc {
  return asStored(
    SAMPLES['storage-items']!.sample!,
    (p) => {
      const { currentPrice: _price, ...signal } = p;
      return { ...signal, id: signalId, _isScheduled: true, minuteEstimatedTime, status: 'cancelled', priority: 1796133901635, updatedAt: 1796133900000 };
    },
    { signalId },
  );
}

describe('signal rows a backtest-kit bot wrote, read through the persist services', () => {
  let db: TestDb;
  let p: Persistence;
  let dataDir: string;
  const storage = (): ReturnType<TestDb['manager']['connection']['collection']> => db.manager.connection.collection('storage-items');

  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(join(tmpdir(), 'bot-rows-'));
    db = await openTestDb('bot_rows');
    p = await createPersistence({ mode: 'live', dataDir, connection: db.manager });
  });
  afterAll(async () => {
    await p.close();
    await db.dispose();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('a cancelled row without cancelReason and with an Infinity lifetime (stored as a BSON double) reads, by key and in lists', async () => {
    await storage().insertOne(cancelledByBot('bot-cancelled'));
    const stored = await storage().findOne({ signalId: 'bot-cancelled' });
    expect(stored?.payload.minuteEstimatedTime).toBe(Infinity);

    const row = await p.storage.getSignal('bot-cancelled', false);
    expect(row).toMatchObject({ signalId: 'bot-cancelled', status: 'cancelled', minuteEstimatedTime: Infinity, backtest: false, priceOpen: SAMPLES['storage-items']!.sample!.payload.priceOpen });
    expect(row!.cancelReason).toBeUndefined();
    const cancelled = await p.storage.listSignals({ status: 'cancelled' });
    expect(cancelled.items.map((e) => e.value.signalId)).toContain('bot-cancelled');
  });

  it('a lifetime stored as null (Infinity after a trip through JSON) reads as Infinity, as backtest-kit reads it', async () => {
    await storage().insertOne(cancelledByBot('bot-null-life', null));
    expect((await p.storage.getSignal('bot-null-life', false))?.minuteEstimatedTime).toBe(Infinity);
  });

  it("a bot's recent-items row with an Infinity lifetime reads", async () => {
    const sample = SAMPLES['recent-items']!.sample!;
    await db.manager.connection.collection('recent-items').insertOne(asStored(sample, (payload) => ({ ...payload, minuteEstimatedTime: Infinity })));
    const key = { symbol: String(sample.symbol), strategyName: String(sample.strategyName), exchangeName: String(sample.exchangeName), frameName: String(sample.frameName), backtest: sample.backtest === true };
    expect((await p.recent.latest(key))?.minuteEstimatedTime).toBe(Infinity);
  });

  it('what the monitor writes is still held to its own rules: a cancelled row needs a cancelReason, a lifetime is minutes or Infinity', async () => {
    const cancelled = { ...closedSignal(1, { backtest: false, frameName: '' }), status: 'cancelled' as const, closeReason: undefined };
    await expect(p.storage.upsert(cancelled)).rejects.toThrow(PersistValidationError);
    await expect(p.storage.upsert(cancelled)).rejects.toThrow(/cancelReason/);
    for (const minuteEstimatedTime of [-1, NaN, -Infinity]) {
      const bad = p.storage.upsert({ ...cancelled, cancelReason: 'timeout', minuteEstimatedTime });
      await expect(bad).rejects.toThrow(/minuteEstimatedTime: must be a number of minutes \(0 or more\), or Infinity for a position without a lifetime/);
    }
    expect(await storage().countDocuments({ signalId: cancelled.signalId })).toBe(0);
  });

  // backtest-kit allows a position without a lifetime (CC_MAX_SIGNAL_LIFETIME_MINUTES = Infinity) and
  // @backtest-kit/mongo stores it as the BSON double Infinity; a bot reading 0 there would close the
  // position at once. So the monitor's own rows store Infinity too, also for the older stand-ins 0
  // (the strategy API's storedLifetime) and null (a row that went through JSON), and read back Infinity.
  it.each([
    ['Infinity', Infinity],
    ['0, the strategy API\'s stand-in', 0],
    ['null, its JSON form', null],
  ])("the monitor's own row with a lifetime of %s is stored as backtest-kit stores it (BSON Infinity) and reads back as Infinity", async (label, minuteEstimatedTime) => {
    const row = { ...closedSignal(3, { backtest: false, frameName: '' }), signalId: `mon-no-life-${label.split(',')[0]}`, minuteEstimatedTime: minuteEstimatedTime as number };
    await p.storage.upsert(row);
    const stored = await storage().findOne({ signalId: row.signalId });
    expect(stored?.payload.minuteEstimatedTime).toBe(Infinity);
    expect((await p.storage.getSignal(row.signalId, false))?.minuteEstimatedTime).toBe(Infinity);
  });

  it("a finite lifetime of the monitor's is stored and read as it is", async () => {
    const row = { ...closedSignal(4, { backtest: false, frameName: '' }), minuteEstimatedTime: 240 };
    await p.storage.upsert(row);
    expect((await storage().findOne({ signalId: row.signalId }))?.payload.minuteEstimatedTime).toBe(240);
    expect((await p.storage.getSignal(row.signalId, false))?.minuteEstimatedTime).toBe(240);
  });

  it("a row of the monitor's own read back without a cancelReason is refused with the field, not handed on", async () => {
    const row = { ...closedSignal(2, { backtest: false, frameName: '' }), status: 'cancelled' as const, closeReason: undefined, cancelReason: 'user' as const };
    await p.storage.upsert(row);
    await storage().updateOne({ signalId: row.signalId }, { $unset: { 'payload.cancelReason': '' } });
    const read = p.storage.getSignal(row.signalId, false);
    await expect(read).rejects.toThrow(CorruptEntryError);
    await expect(p.storage.getSignal(row.signalId, false)).rejects.toThrow(/storage-items document .*cancelReason/);
  });

  it("a bot document that is no signal row (no position) is refused with the field", async () => {
    await storage().insertOne(cancelledByBot('bot-broken'));
    await storage().updateOne({ signalId: 'bot-broken' }, { $unset: { 'payload.position': '' } });
    await expect(p.storage.getSignal('bot-broken', false)).rejects.toThrow(/position/);
    // The broken one is removed again so the list tests above stay independent of order.
    await storage().deleteOne({ signalId: 'bot-broken' });
  });
});
