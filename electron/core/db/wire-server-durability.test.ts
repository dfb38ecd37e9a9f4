import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { freePort } from '../../../test/support/ports';
import { startWireServer, type RunningWireServer } from './wire-server';

/**
 * The embedded database (mongo-java-server on an H2 file, what `npm start` gives a new user) must
 * keep every write it acknowledged when it is killed without warning, and answer correctly on the
 * indexes afterwards. Writers run against it, it is SIGKILLed mid-stream several times, and every
 * acknowledged write is looked up after each restart.
 */

interface Acked {
  inserts: Set<number>;
  /** The highest counter value the server acknowledged per writer. */
  counters: Map<string, number>;
}

async function writeUntilKilled(uri: string, acked: Acked, round: number, killAfterMs: number, server: RunningWireServer): Promise<void> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 5_000, maxPoolSize: 8 }).asPromise();
  const docs = conn.collection('acked');
  const counters = conn.collection('counters');
  let stopped = false;
  // Four concurrent writers: single inserts, small batches, and $inc updates on one document each.
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      const base = (round * 4 + w) * 1_000_000 + i * 10;
      try {
        if (w === 0) {
          await docs.insertOne({ _id: base as never, round, w, key: `k${base}` });
          acked.inserts.add(base);
        } else if (w === 1) {
          const batch = Array.from({ length: 5 }, (_, j) => ({ _id: (base + j) as never, round, w, key: `k${base + j}` }));
          await docs.insertMany(batch, { ordered: true });
          for (let j = 0; j < 5; j++) acked.inserts.add(base + j);
        } else {
          const name = `c${w}`;
          const result = await counters.findOneAndUpdate({ _id: name as never }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' });
          acked.counters.set(name, Number(result?.n));
        }
      } catch {
        return; // the kill: whatever was not acknowledged may be lost
      }
    }
  };
  const writers = [0, 1, 2, 3].map((w) => writer(w));
  await new Promise((r) => setTimeout(r, killAfterMs));
  server.process.kill('SIGKILL');
  await new Promise<void>((r) => (server.process.exitCode !== null || server.process.signalCode !== null ? r() : server.process.once('exit', () => r())));
  stopped = true;
  await Promise.all(writers);
  await conn.close(true).catch(() => undefined);
}

async function verify(uri: string, acked: Acked): Promise<{ missing: number[]; counterLoss: string[] }> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const docs = conn.collection('acked');
    const stored = new Set((await docs.find({}, { projection: { _id: 1 } }).toArray()).map((d) => Number(d._id)));
    const missing = [...acked.inserts].filter((id) => !stored.has(id));
    const counterLoss: string[] = [];
    for (const [name, n] of acked.counters) {
      const doc = await conn.collection('counters').findOne({ _id: name as never });
      if (Number(doc?.n ?? 0) < n) counterLoss.push(`${name}: acknowledged ${n}, stored ${String(doc?.n)}`);
    }
    return { missing, counterLoss };
  } finally {
    await conn.close();
  }
}

/**
 * The _id and the unique secondary index answer for what is stored: lookups by key find the
 * document, a duplicate is refused, and a fresh write and delete work (a stale index throws here).
 */
async function checkIndexes(uri: string, acked: Acked): Promise<void> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const docs = conn.collection('acked');
    const sample = [...acked.inserts].slice(-50);
    for (const id of sample) expect(await docs.findOne({ key: `k${id}` }), `lookup of k${id} through the key index`).not.toBeNull();
    await expect(docs.insertOne({ _id: sample[0] as never, key: 'dup' })).rejects.toThrow(/duplicate key/i);
    await docs.insertOne({ _id: -1 as never, key: 'probe' });
    expect((await docs.deleteOne({ _id: -1 as never })).deletedCount).toBe(1);
  } finally {
    await conn.close();
  }
}

describe('embedded database (mongo-java-server on H2) under kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-durable-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses no acknowledged write across several kills and keeps its indexes usable', async () => {
    const port = await freePort();
    const acked: Acked = { inserts: new Set(), counters: new Map() };
    const kills = 4;
    let server = await startWireServer({ port, dataDir, watchStdin: true });
    const uri = `${server.uri}durability`;
    const setup = await mongoose.createConnection(uri).asPromise();
    await setup.collection('acked').createIndex({ key: 1 }, { unique: true });
    await setup.close();
    try {
      for (let round = 0; round < kills; round++) {
        await writeUntilKilled(uri, acked, round, 1_500 + round * 300, server);
        server = await startWireServer({ port, dataDir, watchStdin: true });
        const { missing, counterLoss } = await verify(uri, acked);
        expect(missing, `round ${round + 1}: ${missing.length} of ${acked.inserts.size} acknowledged inserts missing after kill -9`).toEqual([]);
        expect(counterLoss, `round ${round + 1}: acknowledged updates lost after kill -9`).toEqual([]);
        await checkIndexes(uri, acked);
      }
      expect(acked.inserts.size, 'writes acknowledged before the kills').toBeGreaterThan(100);
    } finally {
      await server.stop();
    }
  }, 240_000);
});
