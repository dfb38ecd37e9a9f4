/**
 * Market entries, long and short: SMA(fast) crossing SMA(slow), take-profit / stop-loss ±tp/sl %
 * around the current price, a finite lifetime (time_expired).
 */
import { addStrategySchema, getCandles } from 'backtest-kit';

export const params = { fast: 10, slow: 30, tp: 1, sl: 1, lifetime: 240 };

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};

addStrategySchema({
  strategyName: 'sma-market',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const f = mean(candles, params.fast, n);
    const s = mean(candles, params.slow, n);
    const pf = mean(candles, params.fast, n - 1);
    const ps = mean(candles, params.slow, n - 1);
    if (pf <= ps && f > s) {
      return { position: 'long', priceTakeProfit: price * (1 + params.tp / 100), priceStopLoss: price * (1 - params.sl / 100), minuteEstimatedTime: params.lifetime };
    }
    if (pf >= ps && f < s) {
      return { position: 'short', priceTakeProfit: price * (1 - params.tp / 100), priceStopLoss: price * (1 + params.sl / 100), minuteEstimatedTime: params.lifetime };
    }
    return null;
  },
});
