import { memo, type ReactElement } from 'react';
import type { Notification } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { formatTime } from '../../lib/format';
import { markNotificationsRead, useNotifications } from '../../stores/notifications';
import { navigate } from '../../stores/route';
import { useRuns } from '../../stores/runs';
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

/** A paper replay's candle time (`data.candleAt`), when the notification carries one. */
export function candleTimeOf(n: Notification): number | undefined {
  const at = n.data?.candleAt;
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}

/**
 * When it arrived (the order of the inbox) and, for a replayed candle, the market time it happened
 * at, on a second line: a 2018 candle replayed today shows both, never one passed off as the other.
 */
function NotificationTimes({ n }: { n: Notification }): ReactElement {
  const candleAt = candleTimeOf(n);
  const arrived = formatTime(n.createdAt, true);
  if (candleAt === undefined) {
    return (
      <span className="num dim" style={{ textAlign: 'left' }} title={`Arrived ${arrived} UTC`} data-testid="notification-time">
        {arrived}
      </span>
    );
  }
  return (
    <span className="num" style={{ textAlign: 'left', display: 'flex', flexDirection: 'column', lineHeight: 1.25, overflow: 'hidden' }} title={`Arrived ${arrived} UTC; candle time ${formatTime(candleAt, true)} UTC`}>
      <span className="dim" data-testid="notification-time">
        {arrived}
      </span>
      <span className="faint" style={{ fontSize: 11, whiteSpace: 'nowrap' }} data-testid="notification-candle-time">
        candle {formatTime(candleAt)}
      </span>
    </span>
  );
}

export const NotificationRow = memo(function NotificationRow({ n }: { n: Notification }): ReactElement {
  const { title, message } = notificationText(n);
  const selected = useNotifications((s) => s.selectedId === n.notificationId);
  const runName = useRuns((s) => (n.runId ? s.byId[n.runId]?.name : undefined));
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
      data-run-id={n.runId}
      data-read={n.read ? 'true' : 'false'}
    >
      {n.read ? <span /> : <span className="unread-dot" aria-label="unread" />}
      <NotificationTimes n={n} />
      <span className={`type-tag ${tone(n.type, n.data)}`}>{n.type}</span>
      <span>{n.symbol ?? <span className="faint">—</span>}</span>
      <span className="msg" title={message}>
        <strong style={{ fontWeight: 600 }}>{title}</strong> <span className="dim">{message}</span>
      </span>
      <span className="faint mono" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={n.runId}>
        {runName ?? n.runId ?? (n.backtest ? 'backtest' : 'live')}
      </span>
    </div>
  );
});
