/**
 * Scheduled entries (priceOpen away from the market), long and short: they activate when a candle
 * touches priceOpen, are cancelled after CC_SCHEDULE_AWAIT_MINUTES (timeout) or when a candle
 * touches the stop-loss first (price_reject); opened ones end at take-profit, stop-loss or expiry.
 */
import { addStrategySchema, getCandles, setConfig } from 'backtest-kit';

export const params = { fast: 5, slow: 20, offset: 0.4, tp: 1, sl: 0.6, lifetime: 180 };

setConfig({ CC_SCHEDULE_AWAIT_MINUTES: 60 });

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};

addStrategySchema({
  strategyName: 'scheduled-entries',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const f = mean(candles, params.fast, n);
    const s = mean(candles, params.slow, n);
    const pf = mean(candles, params.fast, n - 1);
    const ps = mean(candles, params.slow, n - 1);
    // Buy the dip after an upward cross, sell the rally after a downward one.
    if (pf <= ps && f > s) {
      const open = price * (1 - params.offset / 100);
      return { position: 'long', priceOpen: open, priceTakeProfit: open * (1 + params.tp / 100), priceStopLoss: open * (1 - params.sl / 100), minuteEstimatedTime: params.lifetime, note: 'dip' };
    }
    if (pf >= ps && f < s) {
      const open = price * (1 + params.offset / 100);
      return { position: 'short', priceOpen: open, priceTakeProfit: open * (1 - params.tp / 100), priceStopLoss: open * (1 + params.sl / 100), minuteEstimatedTime: params.lifetime, note: 'rally' };
    }
    return null;
  },
});
