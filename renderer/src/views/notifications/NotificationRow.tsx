import { memo, type ReactElement } from 'react';
import type { Notification } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { formatTime } from '../../lib/format';
import { useNotifications } from '../../stores/notifications';
import { navigate } from '../../stores/route';

function tone(type: Notification['type'], data: Notification['data']): string {
  if (type.startsWith('error.') || type === 'run.failed' || type === 'risk.rejection') return 'bad';
  if (type === 'signal.closed') {
    const pnl = typeof data?.pnlPercent === 'number' ? data.pnlPercent : undefined;
    return pnl === undefined ? 'info' : pnl > 0 ? 'good' : 'bad';
  }
  if (type === 'signal.opened' || type === 'run.completed' || type === 'partial_profit.available') return 'good';
  if (type === 'partial_loss.available' || type === 'signal.cancelled') return 'warn';
  return 'info';
}

/** Marks it read (persisted by the backend in live mode) and opens its run, on the trade when it has one. */
export function openNotification(n: Notification): void {
  if (!n.read) {
    useNotifications.getState().markReadLocal([n.notificationId]);
    void call('notifications.markRead', { ids: [n.notificationId] }).catch(() => undefined);
  }
  if (n.runId) navigate({ view: 'sessions', runId: n.runId, signalId: n.signalId });
}

export const NotificationRow = memo(function NotificationRow({ n }: { n: Notification }): ReactElement {
  return (
    <div
      className={`note-row${n.read ? '' : ' unread'}`}
      style={{ height: '100%' }}
      onClick={() => openNotification(n)}
      role="listitem"
      data-testid="notification-row"
      data-type={n.type}
      data-id={n.notificationId}
    >
      {n.read ? <span /> : <span className="unread-dot" aria-label="unread" />}
      <span className="num dim" style={{ textAlign: 'left' }}>
        {formatTime(n.createdAt, true)}
      </span>
      <span className={`type-tag ${tone(n.type, n.data)}`}>{n.type}</span>
      <span>{n.symbol ?? <span className="faint">—</span>}</span>
      <span className="msg" title={n.message}>
        <strong style={{ fontWeight: 600 }}>{n.title}</strong> <span className="dim">{n.message}</span>
      </span>
      <span className="faint mono" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
        {n.runId ?? (n.backtest ? 'backtest' : 'live')}
      </span>
    </div>
  );
});
