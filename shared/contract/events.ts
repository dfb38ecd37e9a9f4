import { z } from 'zod';
import { logLineSchema, nonEmptyName, notificationSchema, notificationTypeSchema, runEventSchema, runProgressSchema, seriesKeySchema, timestampSchema } from './domain';
import { databaseStatusSchema } from './channels';
import { botsChangedEvent } from './bots';
import { optimizeProgressEvent } from './optimize';

/** The renderer's views, in navigation order. */
export const VIEWS = ['Sessions', 'Candles', 'Notifications', 'State', 'Storage', 'Logs', 'Settings', 'Bots'] as const;
export type View = (typeof VIEWS)[number];

/** Main → renderer events. Each carries one payload; the transports batch them every ~16–50 ms. */
export const eventChannels = {
  'run.progress': runProgressSchema.extend({ runId: nonEmptyName, at: timestampSchema }),
  /** Everything else a run reports, in order: status changes, signal transitions, notifications, state writes. */
  'run.event': runEventSchema,
  /** A candle import or download under way (throttled to a few per second). */
  'candles.progress': seriesKeySchema.extend({
    operation: z.enum(['import', 'download', 'backfill']),
    /** 0..1 of the file read or the time range walked. */
    fraction: z.number().min(0).max(1),
    /** Rows read (import) or candles fetched (download) so far. */
    count: z.number().int().nonnegative(),
    message: z.string().optional(),
  }),
  notification: notificationSchema,
  'notifications.unread': z.object({ count: z.number().int().nonnegative() }),
  'database.status': databaseStatusSchema,
  'log.line': logLineSchema,
  /** Asks the UI to show a view, or a run (after a click on an OS notification, or a menu item). */
  /** A backtest-kit bot (any process) wrote to its collections: the Bots view refetches. */
  'bots.changed': botsChangedEvent,
  /** A sweep's progress, best so far and the trials finished since the previous event (throttled). */
  'optimize.progress': optimizeProgressEvent,
  'app.navigate': z.object({ view: z.enum(VIEWS), runId: nonEmptyName.optional(), notificationType: notificationTypeSchema.optional() }),
} as const satisfies Record<string, z.ZodType>;

export type EventChannels = typeof eventChannels;
export type EventName = keyof EventChannels;
export type EventPayload<E extends EventName> = z.output<EventChannels[E]>;

/** One event as it travels: `seq` increases by one per event within a host's `epoch`. */
export type EventEnvelope<E extends EventName = EventName> = E extends EventName
  ? { seq: number; event: E; payload: EventPayload<E> }
  : never;
