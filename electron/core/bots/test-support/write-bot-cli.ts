/**
 * A stand-in for a backtest-kit bot in another process (e2e/07-bots.spec.ts): connects to the
 * database on its own and writes documents exactly as @backtest-kit/mongo does, then prints
 * `WROTE <epoch ms>` and exits.
 *
 *   tsx write-bot-cli.ts --uri mongodb://… --strategy s --exchange e --symbol X --step open|close
 *
 * open:  a long position (signal-items), the strategy status paused with a retry (strategy-items),
 *        the newest candle (candle-items), a signal.opened notification (notification-items).
 * close: the position gone (payload null, as backtest-kit writes it), status resumed, a
 *        signal.closed notification and the closed signal in storage-items.
 * all-types: one notification of each of backtest-kit's 31 types.
 * odd:   a notification of a type the monitor does not know (a newer backtest-kit's, say).
 */
import mongoose from 'mongoose';
import { parseArgs } from 'node:util';
import {
  everyNotificationType,
  signalNotification,
  signalRow,
  strategyStatus,
  writeCandle,
  writeNotification,
  writeSignal,
  writeStorage,
  writeStrategyStatus,
} from './bot-documents';

const { values } = parseArgs({
  options: {
    uri: { type: 'string' },
    strategy: { type: 'string' },
    exchange: { type: 'string' },
    symbol: { type: 'string' },
    step: { type: 'string' },
    'signal-id': { type: 'string' },
  },
});

async function main(): Promise<void> {
  const { uri, strategy, exchange, symbol, step } = values;
  if (!uri || !strategy || !exchange || !symbol || !['open', 'close', 'all-types', 'odd'].includes(step ?? '')) {
    throw new Error('usage: --uri --strategy --exchange --symbol --step open|close|all-types|odd [--signal-id]');
  }
  const bot = { strategyName: strategy, exchangeName: exchange, symbol, frameName: '' };
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 15_000 }).asPromise();
  try {
    const db = conn.db!;
    const now = Date.now();
    const minute = now - (now % 60_000);
    const signal = signalRow(bot, { id: values['signal-id'], priceOpen: 100, priceTakeProfit: 102, priceStopLoss: 99, at: minute });
    if (step === 'odd') {
      await writeNotification(db, signalNotification(bot, 'signal.teleported', signal, { at: now, currentPrice: 100 }));
    } else if (step === 'all-types') {
      for (const payload of everyNotificationType(bot, signal, now)) await writeNotification(db, payload);
    } else if (step === 'open') {
      await writeCandle(db, { exchangeName: exchange, symbol, interval: '1m', timestamp: minute, open: 100, high: 101.2, low: 99.8, close: 101, volume: 12 });
      await writeSignal(db, bot, signal);
      await writeStrategyStatus(db, bot, strategyStatus({ pendingSignalId: String(signal.id), isPaused: true, retryOpenCount: 1 }));
      await writeNotification(db, signalNotification(bot, 'signal.opened', signal, { at: now, currentPrice: 100 }));
    } else {
      await writeNotification(db, signalNotification(bot, 'signal.closed', signal, { at: now, currentPrice: 102, extra: { priceClose: 102, closeReason: 'take_profit', pnlPercentage: 1.79, duration: 5 } }));
      await writeStorage(db, false, {
        ...signal,
        status: 'closed',
        closeReason: 'take_profit',
        pnl: { pnlPercentage: 1.79, priceOpen: 100, priceClose: 102, pnlCost: 1.79, pnlEntries: 100 },
        createdAt: minute,
        updatedAt: now,
      });
      await writeSignal(db, bot, null);
      await writeStrategyStatus(db, bot, strategyStatus({ pendingSignalId: null, isPaused: false }));
    }
    console.log(`WROTE ${Date.now()} ${String(signal.id)}`);
  } finally {
    await conn.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
