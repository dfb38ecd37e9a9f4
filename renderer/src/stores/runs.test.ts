import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/contract/domain';
import { runSummary } from '../test-support/run-summary';
import { sortRuns, useRuns } from './runs';

const run = (runId: string, createdAt: number): RunSummary => runSummary({ runId, createdAt });

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

describe('live trade counts', () => {
  it('counts closed trades and compounds their PnL while a run is running, once per event', () => {
    useRuns.getState().reset([run('c', 3)]);
    const signal = (id: string, pnlPercent?: number) =>
      ({ signalId: id, symbol: 'ETH/BTC', strategyName: 's', exchangeName: 'binance', backtest: false, position: 'long', status: pnlPercent === undefined ? 'opened' : 'closed', priceOpen: 1, priceTakeProfit: 2, priceStopLoss: 0.5, minuteEstimatedTime: 5, pnlPercent, closeReason: pnlPercent === undefined ? undefined : 'take_profit' }) as const;
    const closed = { type: 'signal', runId: 'c', at: 2, transition: 'closed', signal: signal('x', 10) } as const;
    useRuns.getState().applyEvents([
      { type: 'signal', runId: 'c', at: 1, transition: 'opened', signal: signal('x') },
      closed,
      closed,
      { type: 'signal', runId: 'c', at: 3, transition: 'closed', signal: signal('y', -10) },
    ]);
    const t = useRuns.getState().live.c!;
    expect(t.trades).toBe(2);
    expect(t.returnPercent).toBeCloseTo(-1, 9);
  });
});

describe("a running backtest's tally", () => {
  it('keeps the trades and summed PnL its workers report with progress, on both progress paths', () => {
    useRuns.getState().reset([run('d', 4)]);
    useRuns.getState().applyProgress([{ runId: 'd', at: 5, progress: 0.3, processed: 30, total: 100, tally: { trades: 4, pnlPercent: 1.5 } }]);
    expect(useRuns.getState().byId.d?.tally).toEqual({ trades: 4, pnlPercent: 1.5 });
    useRuns.getState().applyEvents([{ type: 'progress', runId: 'd', at: 6, progress: 0.6, processed: 60, total: 100, tally: { trades: 9, pnlPercent: -2 } }]);
    expect(useRuns.getState().byId.d?.tally).toEqual({ trades: 9, pnlPercent: -2 });
    // A progress message without a tally (paper/live) keeps the last one.
    useRuns.getState().applyProgress([{ runId: 'd', at: 7, progress: 0.7, processed: 70, total: 100 }]);
    expect(useRuns.getState().byId.d?.tally).toEqual({ trades: 9, pnlPercent: -2 });
  });
});
