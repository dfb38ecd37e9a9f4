import { notificationFromDocument as fromStored } from '../backtest-kit/documents/notification';
import type { MonitorFields } from '../backtest-kit/documents/schema';
import { NOTIFICATION_TYPES, type Notification, type NotificationType } from '../../../shared/domain/notifications';
import { plainRecord, record, type RawDocument } from './raw';

function isNotificationType(value: unknown): value is NotificationType {
  return typeof value === 'string' && (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/**
 * A notification-items document (NotificationModel under `payload`, whoever wrote it) in the
 * inbox's shape, through the same codec the inbox uses, so a notification announced live is the
 * one `notifications.list` returns later. `{ skipped }` when it is not one the contract can carry.
 */
export function notificationFromDocument(doc: RawDocument): Notification | { skipped: string } {
  const payload = plainRecord(doc.payload);
  if (!payload) return { skipped: 'no payload' };
  if (!isNotificationType(payload.type)) return { skipped: `unknown type ${JSON.stringify(payload.type)}` };
  const monitor = record(doc.monitor) as MonitorFields | undefined;
  const n = fromStored({ payload, backtest: doc.backtest, notificationId: doc.notificationId, createDate: doc.createDate, ...(monitor ? { monitor } : {}) });
  if (!n.notificationId) return { skipped: 'no notificationId' };
  return { ...n, createdAt: Math.max(0, Math.trunc(n.createdAt)) };
}
