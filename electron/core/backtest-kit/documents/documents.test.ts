import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../../test/support/test-db';
import {
  BACKTEST_KIT_COLLECTIONS,
  documentModel,
  MEMORY_CODEC,
  NOTIFICATION_CODEC,
  notificationFromDocument,
  notificationToDocument,
  SESSION_CODEC,
  sessionPayloadId,
  signalRowFromPayload,
  signalRowToPayload,
  STATE_CODEC,
  statePayloadId,
  type StoredDocument,
} from './index';

/**
 * What @backtest-kit/mongo 19.5.0 really created and wrote (a real bot's backtest and live run):
 * per collection, its indexes and one document. Kept beside the repository (../shared in CI).
 */
const SAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/data/backtest-kit/mongo-19.5.0-documents.json');
type Sample = { indexes: Array<{ key: Record<string, number>; unique: boolean }>; sample: Record<string, unknown> | null };
const real = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, Sample>;

/** A sample as the driver would hand it over: Dates as Dates. */
function asStored(sample: Record<string, unknown>): StoredDocument {
  return { ...sample, createDate: new Date(String(sample.createDate)), updatedDate: new Date(String(sample.updatedDate)) } as StoredDocument;
}

describe('the collections as @backtest-kit/mongo 19.5.0 defines them', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('bk_documents');
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('covers every collection the real package created, plus dictionary-items (20.1.0)', () => {
    expect(BACKTEST_KIT_COLLECTIONS.filter((c) => c.since === '19.5.0').map((c) => c.name).sort()).toEqual(Object.keys(real).sort());
    expect(BACKTEST_KIT_COLLECTIONS.map((c) => c.name)).toContain('dictionary-items');
  });

  it.each(Object.keys(real))('%s: the same indexes (single-field, unique compound key, extra)', async (name) => {
    const def = BACKTEST_KIT_COLLECTIONS.find((c) => c.name === name)!;
    await documentModel(db.manager.connection, def).init();
    const ours = (await db.manager.connection.collection(name).indexes())
      .filter((i) => !('_id' in i.key))
      .map((i) => ({ key: i.key, unique: i.unique === true }));
    const sortKey = (i: { key: Record<string, unknown> }): string => JSON.stringify(i.key);
    expect([...ours].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual([...real[name]!.indexes].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
  });
});

describe('the real sample documents through the document layer', () => {
  it('storage-items: IStorageSignalRow <-> SignalRow loses nothing', () => {
    const doc = real['storage-items']!.sample!;
    const payload = doc.payload as Record<string, unknown>;
    const row = signalRowFromPayload(payload, { backtest: doc.backtest as boolean });
    expect(row).toMatchObject({ signalId: payload.id, status: 'opened', openedAt: payload.pendingAt, cost: 100, multiplier: 1, isolated: true, totalEntries: 1 });
    expect(row.entries).toEqual(payload._entry);
    expect(row.peakProfit).toEqual(payload.peakProfit);
    expect(row.kit).toMatchObject({ _peak: payload._peak, _fall: payload._fall, _isScheduled: false, priority: payload.priority, timestamp: payload.timestamp });
    expect(signalRowToPayload(row)).toEqual(payload);
  });

  it('notification-items: NotificationModel <-> Notification loses nothing; title and message are described', () => {
    const doc = asStored(real['notification-items']!.sample!);
    const payload = doc.payload as Record<string, unknown>;
    const n = notificationFromDocument({ ...doc, payload });
    expect(n).toMatchObject({ notificationId: payload.id, type: 'order_sync.open', backtest: false, symbol: 'PROBEUSDT', signalId: payload.signalId, createdAt: payload.createdAt, read: false });
    expect(n.title).toContain('PROBEUSDT');
    expect(n.data).toMatchObject({ orderType: 'active', currentPrice: payload.currentPrice, pnl: payload.pnl });
    expect(notificationToDocument(n).payload).toEqual(payload);
    expect(NOTIFICATION_CODEC.fromDocument(doc)).toEqual(n);
  });

  it('session-items and state-items: the {id, data, when} wrapper, with backtest-kit\'s ids', () => {
    const session = asStored(real['session-items']!.sample!);
    const key = { strategyName: session.strategyName, exchangeName: session.exchangeName, frameName: session.frameName, symbol: session.symbol, backtest: session.backtest } as Record<string, string | boolean>;
    expect(sessionPayloadId(key)).toBe((session.payload as { id: string }).id);
    expect(sessionPayloadId({ ...key, frameName: 'f1', backtest: true })).toBe('PROBEUSDT:probe-strategy:probe-exchange:f1:backtest');
    expect(SESSION_CODEC.fromDocument(session)).toEqual((session.payload as { data: unknown }).data);
    const state = asStored(real['state-items']!.sample!);
    expect(statePayloadId({ signalId: String(state.signalId), bucketName: String(state.bucketName) })).toBe((state.payload as { id: string }).id);
    expect(STATE_CODEC.fromDocument(state)).toEqual((state.payload as { data: unknown }).data);
    const written = STATE_CODEC.toDocument({ signalId: 's', bucketName: 'b' }, { n: 1 }, 123);
    expect(written.set).toEqual({ payload: { id: 's_b', data: { n: 1 }, when: 123 }, when: 123 });
  });

  it('memory-items: payload {data, priority, removed, index, when}, top-level removed and when', () => {
    const memory = asStored(real['memory-items']!.sample!);
    expect(MEMORY_CODEC.fromDocument(memory)).toEqual((memory.payload as { data: unknown }).data);
    const written = MEMORY_CODEC.toDocument({ signalId: 's', bucketName: 'b', memoryId: 'm' }, { seen: 1 }, 456);
    expect(written.set).toEqual({ payload: { data: { seen: 1 }, priority: 456, removed: false, index: '{"seen":1}', when: 456 }, removed: false, when: 456 });
    expect(Object.keys((memory.payload as Record<string, unknown>)).sort()).toEqual(Object.keys(written.set.payload as Record<string, unknown>).sort());
    expect(MEMORY_CODEC.live).toEqual({ removed: { $ne: true } });
    expect(MEMORY_CODEC.softRemove).toEqual({ removed: true, 'payload.removed': true });
  });
});
