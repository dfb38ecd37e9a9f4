import { z } from 'zod';
import { timestampSchema } from './common';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS);

/**
 * What a log line concerns, so the Logs view can link it: a run (its page), a candle series (the
 * Candles page on it), a backtest-kit bot (its page; `botId` as shared/contract/bots botIdOf). Plain strings rather than the contract's enums: a line written by an
 * older or newer version must still parse, whatever interval or exchange it names.
 */
export const logSubjectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId: z.string().min(1) }),
  z.object({ kind: z.literal('series'), exchangeName: z.string().min(1), symbol: z.string().min(1), interval: z.string().min(1) }),
  z.object({ kind: z.literal('bot'), botId: z.string().min(1) }),
]);

/** One line of the Log subsystem (one JSON object per line in the JSONL adapter). */
export const logLineSchema = z.object({
  entryId: z.string().min(1),
  level: logLevelSchema,
  at: timestampSchema,
  message: z.string(),
  source: z.string().optional(),
  runId: z.string().optional(),
  /** Optional: lines written before subjects existed (and lines about nothing in particular) have none. */
  subject: logSubjectSchema.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export type LogLevel = z.infer<typeof logLevelSchema>;
export type LogSubject = z.infer<typeof logSubjectSchema>;
export type LogLine = z.infer<typeof logLineSchema>;
