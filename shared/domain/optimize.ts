import { z } from 'zod';
import { INTERVALS } from '../candles';
import { accountSchema, costModelSchema, runStatsSchema } from './runs';

/**
 * Optimize: parameter sweeps and strategy comparisons (walker). The shapes both transports carry;
 * the checks that need a strategy's parameter schema (unknown parameter, bounds, grid size) are
 * made in electron/core/optimize against the loaded strategy.
 */

const name = z.string().trim().min(1, 'must not be empty').max(200);
const timestamp = z.number().int().nonnegative();
const paramValue = z.union([z.number().finite(), z.string().max(200), z.boolean()]);

/** Per parameter: a numeric range (a grid needs `step`), a list of choices, or one fixed value. */
export const paramRangeSchema = z.union([
  z
    .object({
      min: z.number().finite(),
      max: z.number().finite(),
      step: z.number().finite().positive('must be greater than 0').optional(),
    })
    .strict(),
  z.object({ choices: z.array(paramValue).min(1, 'list at least one choice').max(1000) }).strict(),
  z.object({ fixed: paramValue }).strict(),
]);

export const OBJECTIVE_METRICS = ['sharpe', 'sortino', 'totalPnlPercent', 'profitFactor', 'winRate', 'maxDrawdown'] as const;
export type ObjectiveMetric = (typeof OBJECTIVE_METRICS)[number];

export const objectiveSchema = z
  .object({
    /** One metric, maximised (maxDrawdown: minimised). */
    metric: z.enum(OBJECTIVE_METRICS).optional(),
    /** A combination: the weighted sum of the metrics (maxDrawdown counts negatively). */
    weights: z.partialRecord(z.enum(OBJECTIVE_METRICS), z.number().finite()).optional(),
    /** Trials with fewer closed trades have no score (they cannot be the best). */
    minTrades: z.number().int().nonnegative().max(1_000_000).default(1),
  })
  .strict()
  .refine((o) => (o.metric === undefined) !== (o.weights === undefined), { message: 'give either metric or weights', path: ['metric'] })
  .refine((o) => o.weights === undefined || Object.keys(o.weights).length > 0, { message: 'name at least one metric', path: ['weights'] });

export const SEARCH_METHODS = ['grid', 'random', 'tpe'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

export const sweepDefinitionSchema = z
  .object({
    name: z.string().trim().max(120).optional(),
    /** `walker`: compare whole strategies on one frame (each at fixed parameters, defaults unless given). */
    mode: z.enum(['sweep', 'walker']).default('sweep'),
    strategies: z
      .array(z.object({ strategyName: name, params: z.record(z.string(), paramRangeSchema).default({}) }).strict())
      .min(1, 'choose at least one strategy')
      .max(20),
    exchangeName: name,
    symbols: z.array(name).min(1, 'choose at least one symbol').max(50),
    interval: z.enum(INTERVALS),
    from: timestamp,
    to: timestamp,
    costs: costModelSchema.default({ feePercent: 0.1, slippagePercent: 0.1 }),
    account: accountSchema.optional(),
    scheduleTimeoutMinutes: z.number().positive().max(525_600).default(120),
    objective: objectiveSchema.default({ metric: 'sharpe', minTrades: 1 }),
    search: z
      .object({
        method: z.enum(SEARCH_METHODS).default('grid'),
        /** Random and TPE draws are reproducible from it. */
        seed: z.number().int().nonnegative().max(2 ** 31).default(1),
        /** TPE: random trials per strategy before the model proposes. */
        startupTrials: z.number().int().min(2).max(1000).default(10),
      })
      .strict()
      .default({ method: 'grid', seed: 1, startupTrials: 10 }),
    budget: z
      .object({
        trials: z.number().int().positive().max(1_000_000).optional(),
        seconds: z.number().positive().max(7 * 86_400).optional(),
      })
      .strict()
      .default({}),
    /** Walk-forward: the range cut into `windows` segments, each an in-sample part and an out-of-sample tail. */
    walkForward: z
      .object({
        windows: z.number().int().min(1).max(50),
        mode: z.enum(['rolling', 'anchored']).default('rolling'),
        outOfSamplePercent: z.number().min(5).max(80).default(25),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.to <= v.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    if (new Set(v.symbols).size !== v.symbols.length) ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'lists a symbol twice' });
    if (new Set(v.strategies.map((s) => s.strategyName)).size !== v.strategies.length) {
      ctx.addIssue({ code: 'custom', path: ['strategies'], message: 'lists a strategy twice' });
    }
    v.strategies.forEach((s, i) => {
      for (const [param, range] of Object.entries(s.params)) {
        if ('min' in range && range.min > range.max) {
          ctx.addIssue({ code: 'custom', path: ['strategies', i, 'params', param, 'min'], message: `min (${range.min}) is greater than max (${range.max})` });
        }
      }
    });
  });

export type ParamRange = z.infer<typeof paramRangeSchema>;
export type SweepObjective = z.infer<typeof objectiveSchema>;
export type SweepDefinitionInput = z.input<typeof sweepDefinitionSchema>;
export type SweepDefinition = z.output<typeof sweepDefinitionSchema>;

export const SWEEP_STATUSES = ['running', 'stopped', 'completed', 'failed'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

export const trialParamsSchema = z.record(z.string(), paramValue);

/** One trial: a strategy at one parameter set on one window; statistics only, no signals. */
export const trialSummarySchema = z.object({
  trialId: z.string(),
  sweepId: z.string(),
  index: z.number().int().nonnegative(),
  /** `all` (no walk-forward), `w<k>` (in-sample of window k) or `w<k>-oos` (its out-of-sample check). */
  phase: z.string(),
  strategyName: z.string(),
  params: trialParamsSchema,
  from: timestamp,
  to: timestamp,
  /** null: the trial has no score (too few trades, or the metric is undefined for it). */
  score: z.number().nullable(),
  stats: runStatsSchema.nullable(),
  /** The parameters were refused by the strategy, or its code threw. */
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
  /** Who ran it: `local` or the worker's name. */
  worker: z.string(),
  finishedAt: timestamp,
});
export type TrialSummary = z.infer<typeof trialSummarySchema>;

export const walkForwardWindowSchema = z.object({
  window: z.number().int().nonnegative(),
  inSample: z.object({ from: timestamp, to: timestamp }),
  outOfSample: z.object({ from: timestamp, to: timestamp }),
  best: z.object({ trialId: z.string(), strategyName: z.string(), params: trialParamsSchema, score: z.number().nullable() }).nullable(),
  outOfSampleTrialId: z.string().optional(),
  outOfSampleScore: z.number().nullable().optional(),
  outOfSampleStats: runStatsSchema.nullable().optional(),
});
export type WalkForwardWindow = z.infer<typeof walkForwardWindowSchema>;

export const sweepSummarySchema = z.object({
  sweepId: z.string(),
  name: z.string().optional(),
  definition: sweepDefinitionSchema,
  status: z.enum(SWEEP_STATUSES),
  createdAt: timestamp,
  updatedAt: timestamp,
  endedAt: timestamp.optional(),
  /** Trials finished (all phases) and planned; `total` is an estimate under a time budget. */
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  etaMs: z.number().nonnegative().optional(),
  /** Trials per second over the last stretch. */
  rate: z.number().nonnegative().optional(),
  best: z.object({ trialId: z.string(), strategyName: z.string(), params: trialParamsSchema, score: z.number(), stats: runStatsSchema.nullable() }).nullable(),
  walkForward: z.array(walkForwardWindowSchema).optional(),
  /** Where the trials run: this process, or a Redis queue served by worker processes. */
  executor: z.enum(['local', 'redis']),
  /** Redis: worker processes connected to the queue when last checked. */
  workers: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
});
export type SweepSummary = z.infer<typeof sweepSummarySchema>;

export const optimizeProgressEventSchema = z.object({
  sweepId: z.string(),
  status: z.enum(SWEEP_STATUSES),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  etaMs: z.number().nonnegative().optional(),
  rate: z.number().nonnegative().optional(),
  best: sweepSummarySchema.shape.best,
  workers: z.number().int().nonnegative().optional(),
  /** Trials finished since the previous event (the table appends them). */
  trials: z.array(trialSummarySchema),
});
export type OptimizeProgressEvent = z.infer<typeof optimizeProgressEventSchema>;
