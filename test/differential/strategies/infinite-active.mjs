/**
 * Long-lived positions without a lifetime (minuteEstimatedTime: Infinity), decided every hour from
 * 15-minute candles: backtest-kit replays such a position in chunks of 1,000 one-minute candles
 * and reports it as `active` to listenSignal / listenSignalBacktest at the end of every chunk it
 * survives. The probe records those reports (time, price, PnL), so the test compares them too.
 * Market and scheduled entries alternate (a scheduled one's first chunk also spans its wait).
 */
import { addStrategySchema, getCandles, listenSignal, listenSignalBacktest, setConfig } from 'backtest-kit';

setConfig({ CC_MAX_SIGNAL_LIFETIME_MINUTES: Infinity });

export const params = { bars: 16, move: 0.6, offset: 0.2, tp: 3, sl: 2.5 };
const seen = { active: [], signalActive: 0, scheduled: 0 };
export const probe = () => ({ ...seen });

listenSignalBacktest((tick) => {
  if (tick.action === 'active') seen.active.push({ at: tick.createdAt, price: tick.currentPrice, pnl: tick.pnl.pnlPercentage, position: tick.signal.position, tp: tick.percentTp, sl: tick.percentSl });
});
listenSignal((tick) => {
  if (tick.action === 'active') seen.signalActive++;
});

let turn = 0;

addStrategySchema({
  strategyName: 'infinite-active',
  interval: '1h',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '15m', params.bars);
    const first = candles[0].open;
    const last = candles[candles.length - 1].close;
    const change = ((last - first) / first) * 100;
    if (Math.abs(change) < params.move) return null;
    const long = change > 0;
    const scheduled = turn++ % 2 === 1;
    if (scheduled) seen.scheduled++;
    const entry = scheduled ? price * (long ? 1 - params.offset / 100 : 1 + params.offset / 100) : price;
    const signal = {
      position: long ? 'long' : 'short',
      priceTakeProfit: entry * (long ? 1 + params.tp / 100 : 1 - params.tp / 100),
      priceStopLoss: entry * (long ? 1 - params.sl / 100 : 1 + params.sl / 100),
      minuteEstimatedTime: Infinity,
    };
    return scheduled ? { ...signal, priceOpen: entry } : signal;
  },
});
