import type { RunSummary } from '../../../shared/contract/domain';

/** A queued paper run on ETH/BTC for renderer tests; `overrides` set what a test is about. */
export function runSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'run',
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
    createdAt: 1,
    ...overrides,
  };
}
