/**
 * A risk profile rejects signals (risk.rejection): shorts are refused outright, and longs whose
 * stop-loss is more than 0.8 % away; the rejection is reported to listenRisk. The rest trade.
 */
import { addRiskSchema, addStrategySchema, getCandles, listenRisk } from 'backtest-kit';

export const params = { fast: 10, slow: 30, tp: 1, lifetime: 240 };
export const rejections = [];
/** What the differential test compares besides the signals: the risk rejections reported. */
export const probe = () => ({ rejections: rejections.length, notes: [...new Set(rejections)].sort() });

addRiskSchema({
  riskName: 'no-shorts',
  validations: [
    ({ currentSignal }) => {
      if (currentSignal.position === 'short') throw new Error('shorts are not allowed');
    },
    {
      validate: ({ currentSignal, currentPrice }) => {
        const distance = ((currentPrice - currentSignal.priceStopLoss) / currentPrice) * 100;
        return distance > 0.8 ? `stop-loss ${distance.toFixed(2)}% away` : null;
      },
      note: 'stop-loss too far',
    },
  ],
});

listenRisk((event) => rejections.push(event.rejectionNote));

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};
let toggle = 0;

addStrategySchema({
  strategyName: 'risk-rejection',
  interval: '1m',
  riskName: 'no-shorts',
  getSignal: async (symbol, _when, price) => {
    const candles = await getCandles(symbol, '1m', params.slow + 1);
    const n = candles.length;
    const cross = Math.sign(mean(candles, params.fast, n) - mean(candles, params.slow, n)) - Math.sign(mean(candles, params.fast, n - 1) - mean(candles, params.slow, n - 1));
    if (cross === 0) return null;
    if (cross > 0) toggle++;
    const sl = toggle % 2 === 0 ? 0.6 : 1; // every other long asks for a stop too far away
    if (cross > 0) return { position: 'long', priceTakeProfit: price * (1 + params.tp / 100), priceStopLoss: price * (1 - sl / 100), minuteEstimatedTime: params.lifetime };
    return { position: 'short', priceTakeProfit: price * (1 - params.tp / 100), priceStopLoss: price * (1 + sl / 100), minuteEstimatedTime: params.lifetime };
  },
});
