import { describeNotification } from '../../../shared/contract/notification-text';
import { NOTIFICATION_TYPES, type Notification, type NotificationType } from '../../../shared/domain/notifications';
import { millis, num, plainRecord, record, str, type RawDocument } from './raw';

const LIFTED = ['id', 'type', 'backtest', 'symbol', 'strategyName', 'signalId', 'createdAt'];

function isNotificationType(value: unknown): value is NotificationType {
  return typeof value === 'string' && (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/** The monitor's read flag, kept beside backtest-kit's fields (a bot never writes it). */
function readFlag(doc: RawDocument): boolean {
  if (doc.read === true) return true;
  const monitor = record(doc.monitor);
  return monitor?.read === true;
}

/**
 * A notification-items document as @backtest-kit/mongo writes it (NotificationModel under
 * `payload`) in the inbox's shape. Undefined when the document is not one (no payload type, or a
 * type the contract does not know): the caller logs it.
 */
export function notificationFromDocument(doc: RawDocument): Notification | { skipped: string } {
  const payload = record(doc.payload);
  const type = payload?.type;
  if (!payload) return { skipped: 'no payload' };
  if (!isNotificationType(type)) return { skipped: `unknown type ${JSON.stringify(type)}` };
  const notificationId = str(doc.notificationId) ?? str(payload.id);
  if (!notificationId) return { skipped: 'no notificationId' };
  const createdAt = num(payload.createdAt) ?? num(payload.timestamp) ?? millis(doc.createDate) ?? 0;
  const backtest = typeof doc.backtest === 'boolean' ? doc.backtest : payload.backtest === true;
  const monitor = record(doc.monitor);
  const described = describeNotification(type, payload);
  const title = str(monitor?.title) ?? described.title;
  const message = str(monitor?.message) ?? described.message;
  const n: Notification = { notificationId, type, backtest, title, message, createdAt: Math.max(0, Math.trunc(createdAt)), read: readFlag(doc) };
  const symbol = str(payload.symbol);
  const strategyName = str(payload.strategyName);
  const signalId = str(payload.signalId);
  const runId = str(doc.runId) ?? str(record(doc.monitor)?.runId);
  if (symbol) n.symbol = symbol;
  if (strategyName) n.strategyName = strategyName;
  if (signalId) n.signalId = signalId;
  if (runId) n.runId = runId;
  // Same split as the inbox (electron/core/backtest-kit/documents/notification.ts): the lifted fields out of `data`.
  const data = plainRecord(payload);
  if (data) {
    for (const lifted of LIFTED) delete data[lifted];
    n.data = data;
  }
  return n;
}
