import { describe, expect, it } from 'vitest';
import { InMemoryRunStore, type StoredRun } from '../../engine/run-store';
import { OutageTolerantRunStore } from './outage-tolerant-run-store';

class FlakyStore extends InMemoryRunStore {
  down = false;
  saved = new Map<string, StoredRun>();
  writes: Array<{ runId: string; processed: number }> = [];
  override async save(run: StoredRun): Promise<void> {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoNetworkError' });
    this.saved.set(run.runId, structuredClone(run));
    this.writes.push({ runId: run.runId, processed: run.summary.processed });
    await super.save(run);
  }
}

const run = (runId: string, processed: number, status: 'running' | 'completed' = 'running'): StoredRun =>
  ({ runId, request: {}, summary: { runId, status, processed }, cursors: { 'ETH/BTC': processed } }) as unknown as StoredRun;

describe('run checkpoints during a MongoDB outage', () => {
  it('holds the newest checkpoint per run while the database is down and writes it once it answers', async () => {
    const inner = new FlakyStore();
    const store = new OutageTolerantRunStore(inner, 20);
    await store.save(run('a', 1));
    inner.down = true;
    await store.save(run('a', 2));
    await store.save(run('a', 3));
    await store.save(run('b', 1));
    expect(store.held).toBe(2);
    inner.down = false;
    await expect.poll(() => store.held, { timeout: 2000 }).toBe(0);
    expect(inner.saved.get('a')!.summary.processed).toBe(3);
    expect(inner.writes.filter((w) => w.runId === 'a').map((w) => w.processed)).toEqual([1, 3]);
    store.dispose();
  });

  it('does not even try while the connection is known to be down, and writes once it is back', async () => {
    const inner = new FlakyStore();
    let up = true;
    const store = new OutageTolerantRunStore(inner, 20, () => undefined, () => up);
    await store.save(run('a', 1));
    up = false;
    inner.down = true;
    await store.save(run('a', 2));
    await new Promise((r) => setTimeout(r, 100));
    expect(store.held).toBe(1);
    up = true;
    inner.down = false;
    await expect.poll(() => store.held, { timeout: 2000 }).toBe(0);
    expect(inner.saved.get('a')!.summary.processed).toBe(2);
    store.dispose();
  });

  it('still throws what is not an outage', async () => {
    const refusing = Object.assign(new InMemoryRunStore(), { save: async () => Promise.reject(new Error('validation failed: summary.status')) });
    const store = new OutageTolerantRunStore(refusing);
    await expect(store.save(run('a', 1))).rejects.toThrow(/validation failed/);
  });

  it('lists held unfinished runs for resume and hides those that finished while held', async () => {
    const inner = new FlakyStore();
    const store = new OutageTolerantRunStore(inner, 10_000);
    await store.save(run('a', 1));
    await store.save(run('b', 1));
    inner.down = true;
    await store.save(run('a', 5));
    await store.save(run('b', 9, 'completed'));
    inner.down = false;
    const unfinished = await store.listUnfinished();
    expect(unfinished.map((r) => [r.runId, r.summary.processed])).toEqual([['a', 5]]);
    store.dispose();
  });
});

describe('a database switch during an outage', () => {
  it('hands the held checkpoints over (and forgets them), and serves held ones to get/list meanwhile', async () => {
    const inner = new FlakyStore();
    const store = new OutageTolerantRunStore(inner, 10_000);
    await store.save(run('a', 1));
    inner.down = true;
    await store.save(run('a', 7));
    await store.save(run('b', 3, 'completed'));
    expect((await store.get('a'))!.summary.processed).toBe(7);
    const page = await store.list({ limit: 10 });
    expect(page.items.map((r) => [r.runId, r.summary.processed])).toEqual([['a', 7]]);
    const held = store.takeHeld();
    expect(held.map((r) => [r.runId, r.summary.processed]).sort()).toEqual([
      ['a', 7],
      ['b', 3],
    ]);
    expect(store.held).toBe(0);
    // What another store receives is what was held, once.
    const next = new FlakyStore();
    for (const r of held) await next.save(r);
    expect(next.writes).toEqual([
      { runId: 'a', processed: 7 },
      { runId: 'b', processed: 3 },
    ]);
    store.dispose();
  });
});
