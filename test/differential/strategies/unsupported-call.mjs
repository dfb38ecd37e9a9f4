/**
 * Calls a backtest-kit function our engine does not implement (getOrderBook): the run must fail
 * with an error naming it. Its own Backtest.background call at the end is ignored by our engine.
 */
import { Backtest, addStrategySchema, getOrderBook } from 'backtest-kit';

addStrategySchema({
  strategyName: 'unsupported-call',
  interval: '1m',
  getSignal: async (symbol) => {
    await getOrderBook(symbol, 10);
    return null;
  },
});

// A file written for backtest-kit often starts its own run; under our engine that call does nothing.
Backtest.background('ETHBTC', { strategyName: 'unsupported-call', exchangeName: 'binance', frameName: 'file-frame' });
