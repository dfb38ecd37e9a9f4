import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/domain/runs';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import { InMemoryRunStore, RunDbService, type RunStore, type RunStoreEditing, type StoredRun } from './run-store';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('engine_run_store');
});

afterAll(async () => {
  await db?.dispose();
});

function storedRun(runId: string, status: RunSummary['status'], createdAt: number): StoredRun {
  const request = { kind: 'paper' as const, strategyName: 's', exchangeName: 'binance', symbols: ['ETH/BTC'], interval: '1m' as const, params: {}, replaySpeed: 0, from: 0, to: 60_000 };
  return {
    runId,
    request,
    summary: { runId, kind: 'paper', status, strategyName: 's', exchangeName: 'binance', frameName: 'f', symbols: ['ETH/BTC'], interval: '1m', params: {}, progress: 0, processed: 0, total: 0, createdAt },
    cursors: {},
  } as StoredRun;
}

describe.each([
  ['MongoDB (run-items)', () => new RunDbService(db.manager.connection)],
  ['in memory', () => new InMemoryRunStore()],
])('run store edits: %s', (_label, open: () => RunStore & RunStoreEditing) => {
  it('a name survives the run’s later checkpoints and is read back in the summary; remove forgets the run', async () => {
    const store = open();
    const id = (n: string) => `${_label.slice(0, 2)}-${n}`;
    await store.save(storedRun(id('a'), 'running', 1));
    await store.save(storedRun(id('b'), 'completed', 2));
    expect(await store.rename(id('a'), 'my replay')).toBe(true);
    expect(await store.rename(id('missing'), 'x')).toBe(false);
    // A checkpoint after the rename replaces the summary: the name stays.
    await store.save(storedRun(id('a'), 'running', 1));
    expect((await store.get(id('a')))!.summary.name).toBe('my replay');
    expect((await store.listUnfinished()).find((r) => r.runId === id('a'))!.summary.name).toBe('my replay');
    const page = await store.list({ limit: 10, excludeIds: [] });
    expect(page.items.filter((r) => r.runId.startsWith(id(''))).map((r) => [r.runId, r.summary.name])).toEqual([
      [id('b'), undefined],
      [id('a'), 'my replay'],
    ]);

    expect(await store.remove(id('a'))).toBe(true);
    expect(await store.remove(id('a'))).toBe(false);
    expect(await store.get(id('a'))).toBeNull();
    expect((await store.list({ limit: 10 })).items.map((r) => r.runId)).not.toContain(id('a'));
    expect(await store.get(id('b'))).not.toBeNull();
  });
});
