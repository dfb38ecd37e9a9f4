/**
 * Positions without a lifetime (minuteEstimatedTime: Infinity, allowed once
 * CC_MAX_SIGNAL_LIFETIME_MINUTES is Infinity): they end only at take-profit or stop-loss, or at the
 * end of the frame (time_expired). Long and short market entries on a momentum rule.
 */
import { addStrategySchema, getCandles, setConfig } from 'backtest-kit';

setConfig({ CC_MAX_SIGNAL_LIFETIME_MINUTES: Infinity });

export const params = { lookback: 60, move: 0.8, tp: 2.5, sl: 1.5 };

addStrategySchema({
  strategyName: 'infinite-lifetime',
  interval: '5m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '5m', params.lookback / 5);
    const first = candles[0].open;
    const change = ((price - first) / first) * 100;
    if (change > params.move) return { position: 'long', priceTakeProfit: price * (1 + params.tp / 100), priceStopLoss: price * (1 - params.sl / 100), minuteEstimatedTime: Infinity };
    if (change < -params.move) return { position: 'short', priceTakeProfit: price * (1 - params.tp / 100), priceStopLoss: price * (1 + params.sl / 100), minuteEstimatedTime: Infinity };
    return null;
  },
});
