/**
 * Position management from onActivePing: once the position is in profit the stop-loss moves to
 * breakeven (commitBreakeven), then trails (commitTrailingStop with a negative shift tightens it)
 * and the take-profit is pulled closer (commitTrailingTake). Long and short.
 */
import { addStrategySchema, commitBreakeven, commitTrailingStop, commitTrailingTake, getCandles } from 'backtest-kit';

export const params = { fast: 8, slow: 24, tp: 1.5, sl: 1, lifetime: 480 };

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};

addStrategySchema({
  strategyName: 'trailing-breakeven',
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
    onActivePing: async (symbol, signal, currentPrice) => {
      const pnl = signal.pnl.pnlPercentage;
      if (pnl > 0.3) await commitBreakeven(symbol);
      if (pnl > 0.5) await commitTrailingStop(symbol, -0.6, currentPrice);
      if (pnl > 0.7) await commitTrailingTake(symbol, -0.4, currentPrice);
    },
  },
});
