import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../db/connection-manager';
import { startWireServer, type RunningWireServer } from '../db/wire-server';
import { createPersistence, type Persistence, type SpoolStatus } from './create-persistence';
import { signal } from './test-support/fixtures';
import { freePort } from '../../../test/support/ports';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Uses its own on-disk wire server (not the shared test server) because it stops and restarts it.
 * Against an external MongoDB (CC_MONGO_CONNECTION_STRING) there is no server of ours to stop.
 */
describe.skipIf(Boolean(process.env.CC_MONGO_CONNECTION_STRING?.trim()))('live mode through a MongoDB outage', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('buffers writes while the server is down and replays them in order, none lost or duplicated, across an app restart', async () => {
    const root = await fsp.mkdtemp(join(tmpdir(), 'persist-outage-'));
    cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));
    const dbDir = join(root, 'db');
    const dataDir = join(root, 'app');
    const port = await freePort();
    let server: RunningWireServer = await startWireServer({ port, dataDir: dbDir, watchStdin: true });
    cleanups.push(() => server.stop());
    const uri = `mongodb://127.0.0.1:${port}/outage?wtimeoutMS=15000`;

    const openApp = async (): Promise<{ manager: ConnectionManager; persistence: Persistence; spool: SpoolStatus[] }> => {
      const manager = new ConnectionManager({ uri, heartbeatFrequencyMs: 300, serverSelectionTimeoutMs: 1_000, connectTimeoutMs: 3_000 });
      await manager.connect().catch(() => undefined);
      const persistence = await createPersistence({ mode: 'live', connection: manager, dataDir });
      const spool: SpoolStatus[] = [];
      persistence.events.on('spool', (s) => spool.push(s));
      return { manager, persistence, spool };
    };

    let app = await openApp();
    const counterKey = { signalId: 'counter', bucketName: 'outage' };
    let next = 0;
    const writeOne = async (p: Persistence): Promise<void> => {
      const i = next++;
      await p.notifications.append({ notificationId: `n${String(i).padStart(4, '0')}`, type: 'signal.opened', title: `#${i}`, message: '', createdAt: 1_700_000_000_000 + i });
      await p.state.set(counterKey, { i });
    };

    for (let k = 0; k < 30; k++) await writeOne(app.persistence);
    expect(app.persistence.spoolSize()).toBe(0);

    await server.stop();
    // Keep writing through the outage until the spool has taken a good number of writes.
    await until('writes to be buffered', async () => {
      await writeOne(app.persistence);
      return app.persistence.spoolSize() >= 20;
    });
    expect(app.spool.at(-1)!.message).toMatch(/^buffering \d+ writes$/);
    expect(app.persistence.spoolStatus()).toMatchObject({ pending: app.persistence.spoolSize(), oldestAt: expect.any(Number) });
    // Signal rows are written through the outage too (their cap housekeeping waits).
    await app.persistence.storage.upsert(signal(1, { backtest: false, status: 'opened' }));
    // Reads see the newest value, though it is only in the spool.
    expect(await app.persistence.state.get(counterKey)).toEqual({ i: next - 1 });
    const newest = await app.persistence.notifications.list({}, { limit: 1 });
    expect(newest.items[0]!.notificationId).toBe(`n${String(next - 1).padStart(4, '0')}`);
    expect(newest.incomplete).toMatch(/MongoDB is unreachable/);

    // The app is closed during the outage; the spool must survive into the next run.
    await app.persistence.close();
    await app.manager.close();
    const buffered = next;
    app = await openApp();
    expect(app.persistence.spoolSize()).toBeGreaterThanOrEqual(20);
    for (let k = 0; k < 5; k++) await writeOne(app.persistence);

    server = await startWireServer({ port, dataDir: dbDir, watchStdin: true });
    if (!app.manager.isConnected) await app.manager.connect();
    for (let k = 0; k < 10; k++) await writeOne(app.persistence);
    expect(await app.persistence.flushSpool(60_000)).toBe(true);
    expect(app.spool.at(-1)).toEqual({ pending: 0, message: 'all writes stored' });
    expect(buffered).toBeLessThan(next);

    // Check MongoDB itself, over a connection of its own.
    const check = await mongoose.createConnection(uri).asPromise();
    cleanups.push(() => check.close());
    const docs = await check.collection('notification-items').find({}).toArray();
    const ids = docs.map((d) => d.notificationId as string);
    const expected = Array.from({ length: next }, (_, i) => `n${String(i).padStart(4, '0')}`);
    expect(ids).toHaveLength(next);
    expect([...ids].sort()).toEqual(expected);
    // In order: each write reached MongoDB no earlier than the one made before it.
    const landedAt = new Map(docs.map((d) => [d.notificationId as string, (d.updatedDate as Date).getTime()]));
    for (let i = 1; i < next; i++) expect(landedAt.get(expected[i]!)!).toBeGreaterThanOrEqual(landedAt.get(expected[i - 1]!)!);
    const counter = await check.collection('state-items').find({ signalId: 'counter' }).toArray();
    expect(counter).toHaveLength(1);
    expect(counter[0]!.payload.data).toEqual({ i: next - 1 });
    const signals = await check.collection('storage-items').find({}).toArray();
    expect(signals.map((d) => d.signalId)).toEqual(['sig-0001']);
    await app.persistence.close();
    await app.manager.close();
  }, 180_000);
});
