/**
 * Averaging in (DCA): while a long position is under water, each further 0.3 % drop buys another
 * $100 (commitAverageBuy, at most 3 times); PnL uses the cost-weighted entry price. Custom first
 * entry cost via the signal's `cost`.
 */
import { addStrategySchema, commitAverageBuy, getCandles, getPositionInvestedCount } from 'backtest-kit';

export const params = { lookback: 30, drop: 0.6, tp: 1, sl: 2, lifetime: 600 };

addStrategySchema({
  strategyName: 'average-buy',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.lookback);
    const high = Math.max(...candles.map((c) => c.high));
    if (price < high * (1 - params.drop / 100)) {
      return { position: 'long', priceTakeProfit: price * (1 + params.tp / 100), priceStopLoss: price * (1 - params.sl / 100), minuteEstimatedTime: params.lifetime, cost: 200 };
    }
    return null;
  },
  callbacks: {
    onActivePing: async (symbol, signal, currentPrice) => {
      const entries = await getPositionInvestedCount(symbol);
      if (entries >= 4) return;
      const lastEntry = signal._entry[signal._entry.length - 1].price;
      if (currentPrice < lastEntry * 0.997) await commitAverageBuy(symbol);
    },
  },
});
