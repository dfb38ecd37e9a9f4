/**
 * Scheduled entries activated by hand: an entry 1 % away that is still waiting after 10 minutes
 * is opened at once (commitActivateScheduled), at its priceOpen, unless the market has moved
 * further away; the others wait for the price or time out.
 */
import { addStrategySchema, commitActivateScheduled, getCandles, getPositionWaitingMinutes } from 'backtest-kit';

export const params = { lookback: 30, offset: 1, tp: 1.5, sl: 1, lifetime: 240, patience: 10 };
let activations = 0;
export const probe = () => ({ activations });

addStrategySchema({
  strategyName: 'activate-by-hand',
  interval: '5m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.lookback);
    const first = candles[0].close;
    const long = price < first;
    const open = price * (long ? 1 - params.offset / 100 : 1 + params.offset / 100);
    return { position: long ? 'long' : 'short', priceOpen: open, priceTakeProfit: open * (long ? 1 + params.tp / 100 : 1 - params.tp / 100), priceStopLoss: open * (long ? 1 - params.sl / 100 : 1 + params.sl / 100), minuteEstimatedTime: params.lifetime };
  },
  callbacks: {
    onSchedulePing: async (symbol, signal, currentPrice) => {
      const away = Math.abs(currentPrice - signal.priceOpen) / signal.priceOpen;
      if ((await getPositionWaitingMinutes(symbol)) >= params.patience && away < 0.012) {
        activations++;
        await commitActivateScheduled(symbol, { id: 'by-hand' });
      }
    },
  },
});
