/**
 * Decisions from the position queries: a scheduled entry still waiting after 15 minutes is
 * cancelled (getPositionWaitingMinutes); an open position that made at least 0.3 % and has given
 * it back for 20 minutes is closed (getPositionHighestPnlPercentage, getPositionDrawdownMinutes);
 * one under water for 60 minutes (getPositionActiveMinutes, getPositionPnlCost) halves (partial
 * loss, then getTotalPercentClosed says what is held); the deepest drawdown is checked against the
 * current PnL (getPositionMaxDrawdownPnlPercentage).
 */
import {
  addStrategySchema,
  commitCancelScheduled,
  commitClosePending,
  commitPartialLoss,
  getCandles,
  getPositionActiveMinutes,
  getPositionCountdownMinutes,
  getPositionDrawdownMinutes,
  getPositionHighestPnlPercentage,
  getPositionHighestProfitBreakeven,
  getPositionMaxDrawdownPnlPercentage,
  getPositionPnlCost,
  getPositionPnlPercent,
  getPositionWaitingMinutes,
  getTotalCostClosed,
  getTotalPercentClosed,
} from 'backtest-kit';

export const params = { fast: 6, slow: 24, tp: 1.2, sl: 1, lifetime: 300 };
const seen = { cancelled: 0, givenBack: 0, halved: 0, held: [], breakeven: 0, countdown: 0 };
export const probe = () => ({ ...seen, held: seen.held.slice(0, 20) });

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};
const halved = new Set();

addStrategySchema({
  strategyName: 'position-queries',
  interval: '1m',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const cross = Math.sign(mean(candles, params.fast, n) - mean(candles, params.slow, n)) - Math.sign(mean(candles, params.fast, n - 1) - mean(candles, params.slow, n - 1));
    if (cross === 0) return null;
    const long = cross > 0;
    const open = price * (long ? 0.999 : 1.001);
    return { position: long ? 'long' : 'short', priceOpen: open, priceTakeProfit: open * (long ? 1 + params.tp / 100 : 1 - params.tp / 100), priceStopLoss: open * (long ? 1 - params.sl / 100 : 1 + params.sl / 100), minuteEstimatedTime: params.lifetime };
  },
  callbacks: {
    onSchedulePing: async (symbol) => {
      if ((await getPositionWaitingMinutes(symbol)) >= 15) {
        seen.cancelled++;
        await commitCancelScheduled(symbol);
      }
    },
    onActivePing: async (symbol, signal) => {
      if ((await getPositionHighestProfitBreakeven(symbol)) && signal.pnl.pnlPercentage < 0) seen.breakeven++;
      if ((await getPositionCountdownMinutes(symbol)) === 1) seen.countdown++;
      const peak = await getPositionHighestPnlPercentage(symbol);
      if (peak >= 0.3 && (await getPositionDrawdownMinutes(symbol)) >= 20) {
        seen.givenBack++;
        await commitClosePending(symbol, { note: 'gave back the peak' });
        return;
      }
      if (!halved.has(signal.id) && (await getPositionActiveMinutes(symbol)) >= 60 && (await getPositionPnlCost(symbol)) < 0) {
        const deepest = await getPositionMaxDrawdownPnlPercentage(symbol);
        if (deepest <= (await getPositionPnlPercent(symbol)) && (await commitPartialLoss(symbol, 50))) {
          halved.add(signal.id);
          seen.halved++;
          seen.held.push([await getTotalPercentClosed(symbol), await getTotalCostClosed(symbol)]);
        }
      }
    },
  },
});
