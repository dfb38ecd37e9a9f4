import type { Notification } from '../../../../shared/domain/notifications';
import type { SignalRow } from '../../../../shared/domain/signals';

export function notification(n: number, overrides: Partial<Notification> = {}): Notification {
  return {
    notificationId: `n-${String(n).padStart(4, '0')}`,
    type: n % 2 === 0 ? 'signal.opened' : 'signal.closed',
    backtest: false,
    runId: n % 3 === 0 ? 'run-a' : 'run-b',
    symbol: n % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT',
    title: `notification ${n}`,
    message: `message ${n}`,
    createdAt: 1_700_000_000_000 + n * 1000,
    read: false,
    ...overrides,
  };
}

export function signal(n: number, overrides: Partial<SignalRow> = {}): SignalRow {
  return {
    signalId: `sig-${String(n).padStart(4, '0')}`,
    symbol: 'BTCUSDT',
    strategyName: 'ema-cross',
    exchangeName: 'binance',
    frameName: 'frame-1',
    backtest: true,
    position: 'long',
    status: 'opened',
    priceOpen: 100,
    priceTakeProfit: 110,
    priceStopLoss: 95,
    minuteEstimatedTime: 60,
    openedAt: 1_700_000_000_000 + n * 60_000,
    ...overrides,
  };
}

export function closedSignal(n: number, overrides: Partial<SignalRow> = {}): SignalRow {
  return signal(n, { status: 'closed', closeReason: 'take_profit', closedAt: 1_700_000_000_000 + n * 60_000 + 30_000, priceClose: 110, pnlPercent: 9.6, ...overrides });
}
