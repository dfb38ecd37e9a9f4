import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { effectivePriceOpen, livePnl } from './live-pnl';

/** backtest-kit's own function, from the test-only fixture folder (never an app dependency). */
const BUILD = join(process.cwd(), 'bench', 'backtest-kit', 'node_modules', 'backtest-kit', 'build', 'index.mjs');
type ToPnl = (signal: Record<string, unknown>, priceClose: number) => { pnlPercentage: number; pnlCost: number; priceOpen: number };

const entry = (price: number, cost: number, timestamp = 0) => ({ price, cost, timestamp });
const partial = (percent: number, currentPrice: number, costBasisAtClose: number, entryCountAtClose: number) => ({
  type: 'profit',
  percent,
  currentPrice,
  costBasisAtClose,
  entryCountAtClose,
  timestamp: 0,
});

/** Open positions as ISignalRow holds them: DCA entries (`_entry`) and partial closes (`_partial`). */
const POSITIONS: Array<[string, Record<string, unknown>, number]> = [
  ['long, one entry', { id: 'a', position: 'long', priceOpen: 100, cost: 100, _entry: [entry(100, 100)] }, 101.3],
  ['short, one entry, 3x', { id: 'b', position: 'short', priceOpen: 50, cost: 250, multiplier: 3, _entry: [entry(50, 250)] }, 48.2],
  ['long, two entries', { id: 'c', position: 'long', priceOpen: 100, cost: 100, _entry: [entry(100, 100), entry(95, 150)] }, 97],
  [
    'long, entries and two partial closes (one between them)',
    {
      id: 'd',
      position: 'long',
      priceOpen: 100,
      cost: 100,
      _entry: [entry(100, 100), entry(96, 100), entry(92, 50)],
      _partial: [partial(25, 103, 100, 1), partial(30, 99, 175, 2)],
    },
    94.5,
  ],
  ['short, one partial close', { id: 'e', position: 'short', priceOpen: 20, cost: 80, _entry: [entry(20, 80)], _partial: [partial(50, 19, 80, 1)] }, 19.4],
  ['long without entries (an older row)', { id: 'f', position: 'long', priceOpen: 10, cost: 40 }, 9.5],
];

describe('live PnL of an open position', () => {
  it.runIf(existsSync(BUILD)).each(POSITIONS)('%s: the same as backtest-kit 19.5.0 toProfitLossDto', async (_name, signal, price) => {
    const { toProfitLossDto } = (await import(pathToFileURL(BUILD).href)) as { toProfitLossDto: ToPnl };
    const theirs = toProfitLossDto(signal, price);
    const ours = livePnl(signal, price)!;
    expect(ours.pnlPercentage).toBeCloseTo(theirs.pnlPercentage, 10);
    expect(ours.pnlCost).toBeCloseTo(theirs.pnlCost, 10);
    expect(effectivePriceOpen(signal)).toBeCloseTo(theirs.priceOpen, 10);
  });

  it('says nothing for a position it cannot price', () => {
    expect(livePnl({ position: 'sideways', priceOpen: 1 }, 1)).toBeUndefined();
    expect(livePnl({ position: 'long', priceOpen: 1 }, 0)).toBeUndefined();
    expect(livePnl({ position: 'long' }, 1)).toBeUndefined();
  });
});
