import { z } from 'zod';
import { timestampSchema } from './common';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS);

/** One line of the Log subsystem (one JSON object per line in the JSONL adapter). */
export const logLineSchema = z.object({
  entryId: z.string().min(1),
  level: logLevelSchema,
  at: timestampSchema,
  message: z.string(),
  source: z.string().optional(),
  runId: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export type LogLevel = z.infer<typeof logLevelSchema>;
export type LogLine = z.infer<typeof logLineSchema>;
