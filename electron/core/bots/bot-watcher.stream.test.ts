import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BotWatcher, WATCHED_COLLECTIONS, type BotChange } from './bot-watcher';
import type { Db } from './raw';

/**
 * The change-stream side of the watcher. No replica set is available to the test suite (the test
 * server, mongo-java-server, has no change streams; the polling side is tested against it in
 * bots.test.ts), so this drives the watcher with a stand-in that answers `hello` like a replica set
 * member and hands out a change stream fed by the test. It checks our handling only: the pipeline
 * asked for, the batching, and the fallback when the stream fails.
 */
class FakeStream extends EventEmitter {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

function replicaSetDb(): { db: Db; streams: FakeStream[]; pipelines: unknown[]; options: unknown[] } {
  const streams: FakeStream[] = [];
  const pipelines: unknown[] = [];
  const options: unknown[] = [];
  const db = {
    admin: () => ({ command: async () => ({ isWritablePrimary: true, setName: 'rs0' }) }),
    watch: (pipeline: unknown, opts: unknown) => {
      pipelines.push(pipeline);
      options.push(opts);
      const s = new FakeStream();
      streams.push(s);
      return s;
    },
    // After a stream failure the watcher polls: every collection is empty here.
    collection: () => ({
      findOne: async () => null,
      find: () => ({ toArray: async () => [] }),
    }),
  } as unknown as Db;
  return { db, streams, pipelines, options };
}

describe('bot watcher on a replica set', () => {
  it('opens one change stream on the bot collections with full documents, and hands changes on in small batches', async () => {
    const { db, streams, pipelines, options } = replicaSetDb();
    const batches: BotChange[][] = [];
    const watcher = new BotWatcher(db, { onChanges: (c) => batches.push(c) });
    expect(await watcher.start()).toEqual({ mode: 'change-stream', detail: 'replica set rs0' });
    expect(pipelines).toEqual([[{ $match: { 'ns.coll': { $in: [...WATCHED_COLLECTIONS] }, operationType: { $in: ['insert', 'update', 'replace'] } } }]]);
    expect(options).toEqual([{ fullDocument: 'updateLookup' }]);
    const doc = { backtest: false, notificationId: 'n1', payload: { type: 'signal.opened', id: 'n1' } };
    streams[0]!.emit('change', { ns: { db: 'x', coll: 'notification-items' }, fullDocument: doc });
    streams[0]!.emit('change', { ns: { db: 'x', coll: 'signal-items' }, fullDocument: { symbol: 'X' } });
    // A delete has no document to show: skipped.
    streams[0]!.emit('change', { ns: { db: 'x', coll: 'signal-items' }, fullDocument: null });
    await new Promise((r) => setTimeout(r, 120));
    expect(batches).toEqual([
      [
        { collection: 'notification-items', doc },
        { collection: 'signal-items', doc: { symbol: 'X' } },
      ],
    ]);
    await watcher.stop();
    expect(streams[0]!.closed).toBe(true);
  });

  it('falls back to polling, and says why, when the stream fails', async () => {
    const { db, streams } = replicaSetDb();
    const logs: string[] = [];
    const watcher = new BotWatcher(db, { onChanges: () => undefined, intervalMs: 50, log: (_l, m) => logs.push(m) });
    await watcher.start();
    streams[0]!.emit('error', new Error('resume token expired'));
    await new Promise((r) => setTimeout(r, 30));
    expect(watcher.watch).toEqual({ mode: 'poll', intervalMs: 50, detail: 'change stream failed: resume token expired' });
    expect(streams[0]!.closed).toBe(true);
    expect(logs.join('\n')).toMatch(/change stream failed \(resume token expired\), polling instead/);
    await watcher.stop();
  });
});
