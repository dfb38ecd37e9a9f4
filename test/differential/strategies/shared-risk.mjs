/**
 * One position at a time across the strategy's symbols: a risk profile that refuses a signal while
 * it holds any position, recording who held it. With one symbol backtest-kit never asks while a
 * position is open, so nothing is refused; with several run together in one process backtest-kit
 * shares the profile between them (see the risk case in backtest-kit.test.ts and
 * docs/backtest-kit-strategies.md, "Known differences").
 */
import { addRiskSchema, addStrategySchema, getCandles, listenSignalBacktest } from 'backtest-kit';

export const params = { fast: 10, slow: 30, tp: 1, sl: 1, lifetime: 240 };
const seen = { rejections: [], closed: [] };
export const probe = () => seen;

addRiskSchema({
  riskName: 'one-at-a-time',
  validations: [
    ({ activePositionCount, activePositions, timestamp, symbol }) => {
      if (activePositionCount < 1) return null;
      seen.rejections.push({ symbol, at: timestamp, holders: activePositions.map((p) => ({ symbol: p.symbol, openTimestamp: p.openTimestamp })) });
      return 'one position at a time';
    },
  ],
});

listenSignalBacktest((tick) => {
  if (tick.action === 'closed') seen.closed.push({ symbol: tick.symbol, open: tick.signal.pendingAt, at: tick.closeTimestamp });
});

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};

addStrategySchema({
  strategyName: 'shared-risk',
  interval: '1m',
  riskName: 'one-at-a-time',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const cross = Math.sign(mean(candles, params.fast, n) - mean(candles, params.slow, n)) - Math.sign(mean(candles, params.fast, n - 1) - mean(candles, params.slow, n - 1));
    if (cross === 0) return null;
    const long = cross > 0;
    return {
      position: long ? 'long' : 'short',
      priceTakeProfit: price * (long ? 1 + params.tp / 100 : 1 - params.tp / 100),
      priceStopLoss: price * (long ? 1 - params.sl / 100 : 1 + params.sl / 100),
      minuteEstimatedTime: params.lifetime,
    };
  },
});
