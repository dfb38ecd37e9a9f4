import { describe, expect, it } from 'vitest';
import { NOTIFICATION_TYPES } from '../domain/notifications';
import { countOf, DESCRIBED_NOTIFICATION_TYPES, describeNotification } from './notification-text';

/** The fields backtest-kit 19.5.0 puts on a signal notification (NotificationModel). */
const SIGNAL_FIELDS = {
  symbol: 'BTCUSDT',
  strategyName: 'probe',
  position: 'long',
  currentPrice: 101.5,
  priceOpen: 100,
  priceClose: 101.5,
  priceTakeProfit: 102,
  priceStopLoss: 99,
  pnlPercentage: 1.2,
  closeReason: 'take_profit',
  cancelReason: 'timeout',
  level: 20,
  percentToClose: 25,
  percentShift: 0.5,
  totalEntries: 2,
  effectivePriceOpen: 99.5,
  orderType: 'active',
  attempt: 2,
  reason: 'exhausted',
  message: 'exchange said no',
  rejectionNote: 'too many positions',
  activePositionCount: 3,
  note: 'scaling in',
  paused: true,
};

describe('notification text', () => {
  it('describes every type of the contract: backtest-kit 31 and the monitor run.* ones', () => {
    expect([...DESCRIBED_NOTIFICATION_TYPES].sort()).toEqual([...NOTIFICATION_TYPES].sort());
    expect(NOTIFICATION_TYPES.filter((t) => !t.startsWith('run.'))).toHaveLength(31);
  });

  it.each([...NOTIFICATION_TYPES])('%s: a title and a one-line message from its fields, no placeholders', (type) => {
    const { title, message } = describeNotification(type, SIGNAL_FIELDS);
    expect(title.length).toBeGreaterThan(3);
    expect(message.length).toBeGreaterThan(0);
    expect(`${title} ${message}`).not.toMatch(/undefined|NaN|null|\[object/);
    expect(message).not.toContain('\n');
  });

  it('says what happened in the trader words', () => {
    expect(describeNotification('signal.closed', SIGNAL_FIELDS)).toEqual({ title: 'BTCUSDT: long position closed (take profit)', message: 'Closed at 101.5, PnL +1.20%' });
    expect(describeNotification('partial_profit.available', SIGNAL_FIELDS).title).toBe('BTCUSDT: partial profit level 20% reached');
    expect(describeNotification('error.critical', { message: 'exchange down' })).toEqual({ title: 'Critical error', message: 'exchange down' });
    expect(describeNotification('strategy.pause', { symbol: 'X', strategyName: 's', paused: false }).title).toBe('X: strategy resumed');
  });

  it('copes with a notification missing its fields (an older or foreign writer)', () => {
    for (const type of NOTIFICATION_TYPES) {
      const { title, message } = describeNotification(type, {});
      expect(`${title} ${message}`).not.toMatch(/undefined|NaN|\[object/);
    }
    expect(describeNotification('some.future_type', { symbol: 'X' }).title).toBe('X: some.future type');
  });
});

describe('countOf', () => {
  it('says "1 trade" but "0 trades" and "2 trades"', () => {
    expect([0, 1, 2].map((n) => countOf(n, 'trade'))).toEqual(['0 trades', '1 trade', '2 trades']);
    expect(countOf(1, 'entry', 'entries')).toBe('1 entry');
    expect(countOf(3, 'entry', 'entries')).toBe('3 entries');
  });
});
