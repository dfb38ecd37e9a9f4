import { describeNotification } from '../../../../shared/contract/notification-text';
import type { Notification, NotificationType } from '../../../../shared/domain/notifications';
import type { MonitorFields } from './schema';
import { defined, millis, num, rest, str, type Fields } from './values';

/**
 * Our Notification <-> backtest-kit's NotificationModel (notification-items `payload`).
 *
 *   notificationId               payload.id (and the key's notificationId)
 *   type, backtest, symbol,
 *   strategyName, signalId,
 *   createdAt                    same names (error.* notifications have no createdAt: the
 *                                document's createDate stands in)
 *   data                         every other NotificationModel field (position, prices, pnl,
 *                                peakProfit, maxDrawdown, closeReason, orderType, …)
 *   read, runId, title, message  monitor.read / runId / title / message: backtest-kit has no such
 *                                fields; a bot's notification gets its title and message from
 *                                describeNotification, the same text the UI uses
 */
const LIFTED = new Set(['id', 'type', 'backtest', 'symbol', 'strategyName', 'signalId', 'createdAt']);

export const NOTIFICATION_PATHS: Readonly<Record<string, string>> = {
  notificationId: 'payload.id',
  read: 'monitor.read',
  runId: 'monitor.runId',
  title: 'monitor.title',
  message: 'monitor.message',
};

export function notificationToDocument(n: Notification): { payload: Fields; monitor: MonitorFields } {
  const payload = defined({
    ...(n.data ?? {}),
    type: n.type,
    id: n.notificationId,
    backtest: n.backtest,
    symbol: n.symbol,
    strategyName: n.strategyName,
    signalId: n.signalId,
    createdAt: n.createdAt,
  });
  return { payload, monitor: defined({ read: n.read, runId: n.runId, title: n.title, message: n.message }) };
}

export function notificationFromDocument(doc: { payload: Fields; backtest?: unknown; notificationId?: unknown; createDate?: unknown; monitor?: MonitorFields }): Notification {
  const { payload } = doc;
  const monitor = doc.monitor ?? {};
  const type = str(payload.type) as NotificationType;
  const described = monitor.title === undefined || monitor.message === undefined ? describeNotification(type, payload) : undefined;
  const createdAt = num(payload.createdAt) ?? num(payload.timestamp) ?? millis(doc.createDate) ?? 0;
  return defined({
    notificationId: str(payload.id) ?? str(doc.notificationId) ?? '',
    type,
    backtest: typeof doc.backtest === 'boolean' ? doc.backtest : payload.backtest === true,
    runId: monitor.runId,
    symbol: str(payload.symbol),
    strategyName: str(payload.strategyName),
    signalId: str(payload.signalId),
    title: monitor.title ?? described!.title,
    message: monitor.message ?? described!.message,
    createdAt,
    read: monitor.read === true,
    data: rest(payload, LIFTED),
  }) as Notification;
}
