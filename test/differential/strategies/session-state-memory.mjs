/**
 * Session, signal state and memory: the session counts signals and alternates the side; each
 * position keeps its minutes-open and peak PnL in signal state (setSignalState/getSignalState),
 * writes its entry context to memory (writeMemory/readMemory), and closes itself by hand
 * (commitClosePending, close reason "closed") when it has not made 0.2 % within 45 minutes.
 * Scheduled entries still waiting after 20 minutes are cancelled by hand (commitCancelScheduled).
 */
import {
  Memory,
  State,
  addStrategySchema,
  commitCancelScheduled,
  commitClosePending,
  getCandles,
  getDate,
  getSessionData,
  getSignalState,
  readMemory,
  setSessionData,
  setSignalState,
  writeMemory,
} from 'backtest-kit';

// backtest-kit keeps signal state and memory only once their adapters are switched on.
State.enable();
Memory.enable();

export const params = { lookback: 20, tp: 1, sl: 0.8, lifetime: 240, patience: 45, wait: 20 };
const seen = { closedByHand: 0, cancelledByHand: 0, memoryReads: 0 };
export const probe = () => ({ ...seen });

addStrategySchema({
  strategyName: 'session-state-memory',
  interval: '1m',
  getSignal: async (symbol, when, price) => {
    // The range of the look-back window before the last 5 minutes (which the price averages).
    const candles = (await getCandles(symbol, '1m', params.lookback)).slice(0, -5);
    const low = Math.min(...candles.map((c) => c.close));
    const high = Math.max(...candles.map((c) => c.close));
    const session = (await getSessionData(symbol)) ?? { count: 0 };
    // A breakout of the look-back range opens a position, the side alternating per session count.
    if (price <= high && price >= low) return null;
    await setSessionData(symbol, { count: session.count + 1, last: when.getTime() });
    const long = session.count % 2 === 0;
    const scheduled = session.count % 3 === 2;
    const open = scheduled ? price * (long ? 0.998 : 1.002) : price;
    const signal = {
      position: long ? 'long' : 'short',
      priceTakeProfit: open * (long ? 1 + params.tp / 100 : 1 - params.tp / 100),
      priceStopLoss: open * (long ? 1 - params.sl / 100 : 1 + params.sl / 100),
      minuteEstimatedTime: params.lifetime,
      note: `breakout #${session.count + 1}`,
    };
    if (scheduled) signal.priceOpen = open;
    return signal;
  },
  callbacks: {
    onOpen: async (symbol, signal, priceOpen) => {
      await writeMemory({ bucketName: 'entry', memoryId: 'context', value: { priceOpen, note: signal.note }, description: 'entry context' });
    },
    onSchedulePing: async (symbol, signal, _price, when) => {
      if (when.getTime() - signal.scheduledAt >= params.wait * 60_000) {
        seen.cancelledByHand++;
        await commitCancelScheduled(symbol, { id: 'impatient', note: 'waited too long' });
      }
    },
    onActivePing: async (symbol, signal) => {
      const state = await setSignalState(
        symbol,
        (s) => ({ minutes: s.minutes + 1, peak: Math.max(s.peak, signal.pnl.pnlPercentage) }),
        { bucketName: 'trade', initialValue: { minutes: 0, peak: -Infinity } },
      );
      const again = await getSignalState(symbol, { bucketName: 'trade', initialValue: { minutes: 0, peak: -Infinity } });
      if (again.minutes !== state.minutes) throw new Error('signal state lost a write');
      if (state.minutes >= params.patience && state.peak < 0.2) {
        const entry = await readMemory({ bucketName: 'entry', memoryId: 'context' });
        seen.memoryReads++;
        if (entry.priceOpen > 0 && (await getDate()).getTime() > signal.pendingAt) {
          seen.closedByHand++;
          await commitClosePending(symbol, { id: 'patience', note: `no progress since ${entry.note}` });
        }
      }
    },
  },
});
