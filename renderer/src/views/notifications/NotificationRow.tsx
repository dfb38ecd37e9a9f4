import { memo, type ReactElement } from 'react';
import type { Notification } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { formatTime } from '../../lib/format';
import { markNotificationsRead, useNotifications } from '../../stores/notifications';
import { navigate } from '../../stores/route';
import { notificationText } from './NotificationDetails';

function pnlOf(data: Notification['data']): number | undefined {
  const pnl = data?.pnlPercentage ?? data?.pnlPercent ?? (data?.pnl as { pnlPercentage?: unknown } | undefined)?.pnlPercentage;
  return typeof pnl === 'number' ? pnl : undefined;
}

export function tone(type: Notification['type'], data: Notification['data']): string {
  if (type.startsWith('error.') || type.startsWith('order_reject.') || type === 'run.failed' || type === 'risk.rejection' || type === 'order_stop.check') return 'bad';
  if (type === 'signal.closed' || type === 'close_pending.commit' || type === 'order_sync.close' || type === 'order_fill.close') {
    const pnl = pnlOf(data);
    return pnl === undefined ? 'info' : pnl > 0 ? 'good' : 'bad';
  }
  if (type === 'signal.opened' || type === 'run.completed' || type.startsWith('partial_profit.') || type.startsWith('breakeven.')) return 'good';
  if (type.startsWith('partial_loss.') || type === 'signal.cancelled' || type === 'cancel_scheduled.commit' || type === 'strategy.pause') return 'warn';
  return 'info';
}

/**
 * Marks it read (in the backend first: a refused mark-read leaves it unread and says why) and
 * opens its run, on the trade when it has one; a bot's notification (no run) opens its details.
 */
export function openNotification(n: Notification): void {
  if (!n.read) void markNotificationsRead([n.notificationId], (request) => call('notifications.markRead', request));
  if (n.runId) navigate({ view: 'sessions', runId: n.runId, signalId: n.signalId });
  else useNotifications.getState().select(n.notificationId);
}

export const NotificationRow = memo(function NotificationRow({ n }: { n: Notification }): ReactElement {
  const { title, message } = notificationText(n);
  const selected = useNotifications((s) => s.selectedId === n.notificationId);
  return (
    <div
      className={`note-row${n.read ? '' : ' unread'}`}
      style={{ height: '100%', ...(selected ? { background: 'var(--accent-soft)' } : {}) }}
      onClick={() => openNotification(n)}
      role="listitem"
      aria-selected={selected || undefined}
      data-testid="notification-row"
      data-type={n.type}
      data-id={n.notificationId}
      data-read={n.read ? 'true' : 'false'}
    >
      {n.read ? <span /> : <span className="unread-dot" aria-label="unread" />}
      <span className="num dim" style={{ textAlign: 'left' }}>
        {formatTime(n.createdAt, true)}
      </span>
      <span className={`type-tag ${tone(n.type, n.data)}`}>{n.type}</span>
      <span>{n.symbol ?? <span className="faint">—</span>}</span>
      <span className="msg" title={message}>
        <strong style={{ fontWeight: 600 }}>{title}</strong> <span className="dim">{message}</span>
      </span>
      <span className="faint mono" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
        {n.runId ?? (n.backtest ? 'backtest' : 'live')}
      </span>
    </div>
  );
});
