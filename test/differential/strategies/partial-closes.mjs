/**
 * Partial closes: a third of the position is taken off when it is 40 % of the way to the
 * take-profit, another third at 70 %; a quarter is cut when it is 50 % of the way to the stop-loss.
 * PnL then weighs each part at its own price.
 */
import { addStrategySchema, commitPartialLoss, commitPartialProfit, getCandles } from 'backtest-kit';

export const params = { fast: 10, slow: 30, tp: 1.2, sl: 1, lifetime: 360 };

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};
const taken = new Map();

addStrategySchema({
  strategyName: 'partial-closes',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const cross = Math.sign(mean(candles, params.fast, n) - mean(candles, params.slow, n)) - Math.sign(mean(candles, params.fast, n - 1) - mean(candles, params.slow, n - 1));
    if (cross > 0) return { position: 'long', priceTakeProfit: price * (1 + params.tp / 100), priceStopLoss: price * (1 - params.sl / 100), minuteEstimatedTime: params.lifetime };
    if (cross < 0) return { position: 'short', priceTakeProfit: price * (1 - params.tp / 100), priceStopLoss: price * (1 + params.sl / 100), minuteEstimatedTime: params.lifetime };
    return null;
  },
  callbacks: {
    onPartialProfit: async (symbol, signal, percentTp) => {
      const done = taken.get(signal.id) ?? 0;
      if (percentTp >= 40 && done === 0 && (await commitPartialProfit(symbol, 33))) taken.set(signal.id, 1);
      else if (percentTp >= 70 && done === 1 && (await commitPartialProfit(symbol, 50))) taken.set(signal.id, 2);
    },
    onPartialLoss: async (symbol, signal, percentSl) => {
      if (percentSl >= 50 && !taken.has(`${signal.id}:loss`) && (await commitPartialLoss(symbol, 25))) taken.set(`${signal.id}:loss`, 1);
    },
  },
});
