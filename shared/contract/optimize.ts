import { z } from 'zod';
import { optimizeProgressEventSchema, sweepDefinitionSchema, sweepSummarySchema, trialSummarySchema } from '../domain/optimize';

/** The Optimize view's channels: parameter sweeps and strategy comparisons (see docs/optimize.md). */

const sweepId = z.string().trim().min(1).max(200);
const sweepIdRequest = z.object({ sweepId }).strict();

export const optimizeStartRequest = sweepDefinitionSchema;
export const optimizeStartResponse = sweepSummarySchema;
export const optimizeStopRequest = sweepIdRequest;
export const optimizeResumeRequest = sweepIdRequest;
export const optimizeGetRequest = sweepIdRequest;
export const optimizeSweepResponse = sweepSummarySchema;
export const optimizeListRequest = z.object({}).strict();
export const optimizeListResponse = z.object({ sweeps: z.array(sweepSummarySchema) });
export const optimizeTrialsRequest = z
  .object({
    sweepId,
    phase: z.string().max(40).optional(),
    sort: z.enum(['index', 'score', 'finishedAt']).default('index'),
    limit: z.number().int().positive().max(20_000).default(10_000),
    offset: z.number().int().nonnegative().default(0),
  })
  .strict();
export const optimizeTrialsResponse = z.object({ trials: z.array(trialSummarySchema), total: z.number().int().nonnegative() });

export const optimizeProgressEvent = optimizeProgressEventSchema;
