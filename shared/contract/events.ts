import { z } from 'zod';
import {
  logLineSchema,
  nonEmptyName,
  notificationSchema,
  notificationTypeSchema,
  runStatusSchema,
  runStatsSchema,
  signalRowSchema,
  timestampSchema,
} from './domain';
import { databaseStatusSchema } from './channels';

export const RUN_EVENT_TYPES = [
  'run.started',
  'run.completed',
  'run.failed',
  'run.stopped',
  'signal.scheduled',
  'signal.opened',
  'signal.closed',
  'signal.cancelled',
  'state.changed',
] as const;

/** Main → renderer events. Each carries one payload; the transports batch them every ~16–50 ms. */
export const eventChannels = {
  'run.progress': z.object({
    runId: nonEmptyName,
    status: runStatusSchema,
    /** 0..1 */
    progress: z.number().min(0).max(1),
    processed: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    etaMs: z.number().nonnegative().optional(),
    at: timestampSchema,
  }),
  'run.event': z.object({
    runId: nonEmptyName,
    type: z.enum(RUN_EVENT_TYPES),
    at: timestampSchema,
    signal: signalRowSchema.optional(),
    stats: runStatsSchema.optional(),
    error: z.string().optional(),
  }),
  notification: notificationSchema,
  'notifications.unread': z.object({ count: z.number().int().nonnegative() }),
  'database.status': databaseStatusSchema,
  'log.line': logLineSchema,
  /** Asks the UI to show a run (e.g. after a click on an OS notification). */
  'app.focusRun': z.object({ runId: nonEmptyName, notificationType: notificationTypeSchema.optional() }),
} as const satisfies Record<string, z.ZodType>;

export type EventChannels = typeof eventChannels;
export type EventName = keyof EventChannels;
export type EventPayload<E extends EventName> = z.output<EventChannels[E]>;

/** One event as it travels: `seq` increases by one per event within a host's `epoch`. */
export type EventEnvelope<E extends EventName = EventName> = E extends EventName
  ? { seq: number; event: E; payload: EventPayload<E> }
  : never;
