import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/contract/domain';
import { sortRuns, useRuns } from './runs';

const run = (runId: string, createdAt: number): RunSummary => ({
  runId,
  kind: 'paper',
  status: 'queued',
  strategyName: 'sma-crossover',
  exchangeName: 'binance',
  frameName: 'f',
  symbols: ['ETH/BTC'],
  interval: '1m',
  params: {},
  progress: 0,
  processed: 0,
  total: 100,
  createdAt,
});

describe('runs store', () => {
  it('applies progress and status events and bumps the version only for news a page must refetch', () => {
    const store = useRuns.getState();
    store.reset([run('a', 1), run('b', 2)]);
    store.applyProgress([{ runId: 'a', at: 5, progress: 0.5, processed: 50, total: 100, etaMs: 1000 }]);
    expect(useRuns.getState().byId.a).toMatchObject({ status: 'running', progress: 0.5, etaMs: 1000 });

    useRuns.getState().applyEvents([
      { type: 'progress', runId: 'a', at: 6, progress: 0.6, processed: 60, total: 100 },
      { type: 'status', runId: 'a', at: 9, status: 'completed' },
    ]);
    const a = useRuns.getState().byId.a!;
    expect(a).toMatchObject({ status: 'completed', progress: 1, endedAt: 9 });
    expect(useRuns.getState().versions.a).toBe(1);
    expect(sortRuns(useRuns.getState().byId).map((r) => r.runId)).toEqual(['b', 'a']);
  });
});
