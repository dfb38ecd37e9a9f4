/**
 * A strategy that reads candles of higher intervals (1h trend, 15m momentum), asked every 15
 * minutes: backtest-kit aligns each interval's candles to its own boundaries and hands the last
 * `limit` complete ones. The test runs it on frames of several intervals (a frame of 15m ticks,
 * and so checks positions, every 15 minutes of the run's range; the candles are still 1m-checked).
 * Market and scheduled entries, long and short, with a lifetime.
 */
import { addStrategySchema, getCandles } from 'backtest-kit';

export const params = { trendBars: 12, fastBars: 4, offset: 0.15, tp: 1.2, sl: 0.9, lifetime: 300 };
const seen = { hourly: 0, quarter: 0, misaligned: 0 };
export const probe = () => ({ ...seen });

const HOUR = 3_600_000;
const QUARTER = 900_000;

let turn = 0;

addStrategySchema({
  strategyName: 'higher-intervals',
  interval: '15m',
  getSignal: async (symbol, when, price) => {
    const hourly = await getCandles(symbol, '1h', params.trendBars);
    const quarter = await getCandles(symbol, '15m', params.fastBars);
    seen.hourly += hourly.length;
    seen.quarter += quarter.length;
    // The last complete candle of each interval ends at the start of the one containing `when`.
    const hourEnd = hourly[hourly.length - 1].timestamp + HOUR;
    const quarterEnd = quarter[quarter.length - 1].timestamp + QUARTER;
    if (hourEnd !== Math.floor(when.getTime() / HOUR) * HOUR || quarterEnd !== Math.floor(when.getTime() / QUARTER) * QUARTER) seen.misaligned++;
    const trend = hourly[hourly.length - 1].close - hourly[0].open;
    const momentum = quarter[quarter.length - 1].close - quarter[0].open;
    if (Math.sign(trend) !== Math.sign(momentum) || trend === 0) return null;
    const long = trend > 0;
    const scheduled = turn++ % 3 === 2;
    const entry = scheduled ? price * (long ? 1 - params.offset / 100 : 1 + params.offset / 100) : price;
    const signal = {
      position: long ? 'long' : 'short',
      priceTakeProfit: entry * (long ? 1 + params.tp / 100 : 1 - params.tp / 100),
      priceStopLoss: entry * (long ? 1 - params.sl / 100 : 1 + params.sl / 100),
      minuteEstimatedTime: params.lifetime,
    };
    return scheduled ? { ...signal, priceOpen: entry } : signal;
  },
});
