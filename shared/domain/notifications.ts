import { z } from 'zod';
import { nonEmptyName, timestampSchema } from './common';

/** The notification inbox (DESIGN.md §2): signal events, risk and error reports, run lifecycle. */
export const NOTIFICATION_TYPES = [
  'signal.opened',
  'signal.closed',
  'signal.scheduled',
  'signal.cancelled',
  'partial_profit.available',
  'partial_loss.available',
  'breakeven.available',
  'risk.rejection',
  'error.info',
  'error.critical',
  'error.validation',
  'run.started',
  'run.progress',
  'run.completed',
  'run.failed',
] as const;
export const notificationTypeSchema = z.enum(NOTIFICATION_TYPES);

export const notificationSchema = z.object({
  notificationId: nonEmptyName,
  type: notificationTypeSchema,
  backtest: z.boolean(),
  runId: z.string().optional(),
  symbol: z.string().optional(),
  strategyName: z.string().optional(),
  signalId: z.string().optional(),
  title: z.string(),
  message: z.string(),
  createdAt: timestampSchema,
  read: z.boolean(),
  /** Type-specific details (prices, pnl, close reason); shown as-is by the UI. */
  data: z.record(z.string(), z.unknown()).optional(),
});

/** What a producer hands in; the inbox fills in the id, the time, the unread flag and the mode when absent. */
export const newNotificationSchema = notificationSchema.partial({ notificationId: true, createdAt: true, read: true, backtest: true });

export const notificationFilterSchema = z.object({
  type: z.union([notificationTypeSchema, z.array(notificationTypeSchema).min(1)]).optional(),
  symbol: z.string().optional(),
  runId: z.string().optional(),
  backtest: z.boolean().optional(),
  unreadOnly: z.boolean().optional(),
});

export type NotificationType = z.infer<typeof notificationTypeSchema>;
export type Notification = z.infer<typeof notificationSchema>;
export type NewNotification = z.input<typeof newNotificationSchema>;
export type NotificationFilter = z.infer<typeof notificationFilterSchema>;
