import { describe, expect, it } from 'vitest';
import { runRequestSchema, type RunSummary, type SignalRow } from '../../../shared/domain/runs';
import { mulberry32 } from '../../../bench/random';
import { BacktestOutcome } from './backtest-outcome';
import { runDetailOf } from './run-detail';
import { packSymbolResult, rowsOf } from './symbol-result';
import { computeStats } from './statistics';

const MIN = 60_000;
const T0 = Date.UTC(2021, 0, 1);
const SYMBOLS = ['AAA/USD', 'BBB/USD', 'CCC/USD'];

/**
 * One symbol's rows as a worker reports them (closed and cancelled in the order they ended, the one
 * still open last), on a coarse time grid so trades of different symbols close at the same minute.
 */
function rowsOfSymbol(symbol: string, seed: number, count: number): SignalRow[] {
  const rand = mulberry32(seed);
  const rows: SignalRow[] = [];
  let t = T0;
  for (let i = 0; i < count; i++) {
    const openedAt = t + Math.floor(rand() * 3) * 10 * MIN;
    const closedAt = openedAt + (1 + Math.floor(rand() * 3)) * 10 * MIN;
    const cancelled = rand() < 0.15;
    const pnlPercent = (rand() - 0.45) * 4;
    const base = {
      signalId: `run:${symbol}:${openedAt}`,
      runId: 'run',
      symbol,
      strategyName: 's',
      exchangeName: 'x',
      frameName: 'f',
      backtest: true,
      position: 'long' as const,
      priceOpen: 100,
      priceTakeProfit: 102,
      priceStopLoss: 98,
      minuteEstimatedTime: 240,
    };
    if (cancelled) rows.push({ ...base, status: 'cancelled', scheduledAt: openedAt, closedAt, cancelReason: 'timeout' });
    else {
      rows.push({
        ...base,
        status: 'closed',
        openedAt,
        closedAt,
        priceClose: 100 * (1 + pnlPercent / 100),
        pnlPercent,
        closeReason: pnlPercent > 0 ? 'take_profit' : 'stop_loss',
        ...(rand() < 0.7 ? { maxDrawdown: { price: 99, pnlPercentage: -rand() * 2, timestamp: openedAt + MIN } } : {}),
        ...(rand() < 0.7 ? { peakProfit: { price: 101, pnlPercentage: rand() * 2, timestamp: openedAt + MIN } } : {}),
      } as SignalRow);
    }
    t = closedAt;
  }
  rows.push({ ...rows.at(-1)!, signalId: `run:${symbol}:${t + 10 * MIN}`, status: 'opened', openedAt: t + 10 * MIN, closedAt: undefined, closeReason: undefined, pnlPercent: undefined, priceClose: undefined } as SignalRow);
  return rows;
}

describe('a backtest outcome merged from its symbols’ packed results', () => {
  const request = runRequestSchema.parse({ kind: 'backtest', strategyName: 's', exchangeName: 'x', symbols: SYMBOLS, interval: '1m', from: T0, to: T0 + 365 * 1440 * MIN });
  const bySymbol = SYMBOLS.map((symbol, k) => rowsOfSymbol(symbol, 7 + k, 400 + 50 * k));
  const all = bySymbol.flat();
  const summary = { runId: 'run', kind: 'backtest', status: 'completed', strategyName: 's', exchangeName: 'x', frameName: 'f', symbols: SYMBOLS, interval: '1m', progress: 1, processed: 0, total: 0, createdAt: T0 } as RunSummary;
  // Round-tripped through structured clone, as the worker's message arrives on the main thread.
  const outcome = new BacktestOutcome(
    request,
    bySymbol.map((rows, k) => structuredClone(packSymbolResult(SYMBOLS[k]!, rows, request.account).result)),
  );
  const expected = runDetailOf(summary, request, all);

  it('has the statistics, per-symbol statistics, rows and equity of the same rows taken whole', () => {
    // Trades of different symbols close at the same minute here, so the merge's tie-break counts.
    const closes = all.filter((r) => r.status === 'closed').map((r) => r.closedAt);
    expect(new Set(closes).size).toBeLessThan(closes.length);
    expect(outcome.stats).toEqual(expected.stats);
    expect(outcome.statsBySymbol).toEqual(expected.statsBySymbol);
    for (const [k, symbol] of SYMBOLS.entries()) expect(outcome.statsBySymbol[symbol]).toEqual(computeStats(bySymbol[k]!, request.account));
    const detail = outcome.detail(summary);
    expect(detail.signals).toEqual(JSON.parse(JSON.stringify(expected.signals)));
    expect(detail.equity).toEqual(expected.equity);
    // Symbols merged in one at a time as their workers finish, in another order: the same result.
    const arrived = new BacktestOutcome(request);
    for (const k of [2, 0, 1].filter((i) => i < SYMBOLS.length)) arrived.add(structuredClone(packSymbolResult(SYMBOLS[k]!, bySymbol[k]!, request.account).result));
    expect(arrived.detail(summary)).toEqual(detail);
    expect(arrived.latestRows()).toEqual(outcome.latestRows());
  });

  it('gives the newest rows in creation order, each symbol’s latest row, and any slice of a symbol', () => {
    const newest = JSON.parse(JSON.stringify(expected.signals.slice(-250))) as SignalRow[];
    expect(outcome.newestRows(250)).toEqual(newest);
    expect(outcome.newestRows(10_000)).toHaveLength(all.length);
    // Pages of any size put together are the whole list in creation order.
    const whole = JSON.parse(JSON.stringify(expected.signals)) as SignalRow[];
    for (const size of [1, 37, 500]) {
      const paged: SignalRow[] = [];
      for (let a = 0; a < all.length; a += size) paged.push(...outcome.rowsInOrder(a, a + size));
      expect(paged).toEqual(whole);
    }
    expect(outcome.latestRows().map((r) => r.signalId)).toEqual(bySymbol.map((rows) => rows.at(-1)!.signalId));
    const packed = packSymbolResult(SYMBOLS[0]!, bySymbol[0]!).result;
    expect(rowsOf(packed, 10, 13)).toEqual(JSON.parse(JSON.stringify(bySymbol[0]!.slice(10, 13))));
  });
});
