import type { ReactElement } from 'react';
import type { Notification } from '../../../../shared/contract/domain';
import { describeNotification } from '../../../../shared/contract/notification-text';
import { formatTime } from '../../lib/format';
import { KeyValues } from './KeyValues';

/**
 * A notification's title and one-line message: the ones stored with it (the monitor's own), else
 * the shared text for its type (every backtest-kit type and run.*), from its details.
 */
export function notificationText(n: Notification): { title: string; message: string } {
  const described = describeNotification(n.type, { ...(n.data ?? {}), symbol: n.symbol, strategyName: n.strategyName });
  return { title: n.title || described.title, message: n.message || described.message };
}

/** Everything a notification carries, as labelled values (prices, PnL, reasons, levels…). */
export function NotificationDetails({ n }: { n: Notification }): ReactElement {
  const { title, message } = notificationText(n);
  const head: Record<string, unknown> = {
    type: n.type,
    time: n.createdAt,
    mode: n.backtest ? 'backtest' : 'live',
    symbol: n.symbol,
    strategyName: n.strategyName,
    signalId: n.signalId,
    runId: n.runId,
    read: n.read,
  };
  return (
    <div data-testid="notification-details" data-type={n.type} style={{ display: 'grid', gap: 10 }}>
      <div>
        <h3 style={{ margin: 0, fontSize: 14 }} data-testid="notification-title">
          {title}
        </h3>
        <p className="dim" style={{ margin: '4px 0 0' }} data-testid="notification-message">
          {message || <span className="faint">(no message)</span>}
        </p>
        <p className="faint" style={{ margin: '2px 0 0', fontSize: 11.5 }}>
          {formatTime(n.createdAt, true)} UTC
        </p>
      </div>
      <KeyValues data={head} testId="notification-head" />
      {n.data && Object.keys(n.data).length > 0 && <KeyValues data={n.data} testId="notification-data" />}
    </div>
  );
}
