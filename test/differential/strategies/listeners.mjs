/**
 * The position managed from listen* hooks instead of strategy callbacks: listenSchedulePing cancels
 * an entry still waiting after 8 minutes, listenActivePing trails the stop once in profit,
 * listenIdlePing and listenSignalBacktest count what they see.
 */
import {
  addStrategySchema,
  commitCancelScheduled,
  commitTrailingStop,
  getCandles,
  getDate,
  listenActivePing,
  listenIdlePing,
  listenSchedulePing,
  listenSignalBacktest,
} from 'backtest-kit';

export const params = { fast: 8, slow: 21, offset: 0.15, tp: 1, sl: 0.8, lifetime: 240 };
const seen = { idle: 0, trailed: 0, cancelled: 0, actions: {} };
export const probe = () => ({ ...seen });

listenIdlePing(() => {
  seen.idle++;
});
listenSignalBacktest((tick) => {
  seen.actions[tick.action] = (seen.actions[tick.action] ?? 0) + 1;
});
listenSchedulePing(async (event) => {
  if ((await getDate()).getTime() - event.data.scheduledAt >= 8 * 60_000) {
    seen.cancelled++;
    await commitCancelScheduled(event.symbol);
  }
});
listenActivePing(async (event) => {
  if (event.data.pnl.pnlPercentage > 0.4 && (await commitTrailingStop(event.symbol, -0.5, event.currentPrice))) seen.trailed++;
});

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};

addStrategySchema({
  strategyName: 'listeners',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const cross = Math.sign(mean(candles, params.fast, n) - mean(candles, params.slow, n)) - Math.sign(mean(candles, params.fast, n - 1) - mean(candles, params.slow, n - 1));
    if (cross === 0) return null;
    const long = cross > 0;
    const open = price * (long ? 1 - params.offset / 100 : 1 + params.offset / 100);
    return { position: long ? 'long' : 'short', priceOpen: open, priceTakeProfit: open * (long ? 1 + params.tp / 100 : 1 - params.tp / 100), priceStopLoss: open * (long ? 1 - params.sl / 100 : 1 + params.sl / 100), minuteEstimatedTime: params.lifetime };
  },
});
