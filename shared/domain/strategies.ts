import { z } from 'zod';
import { INTERVALS } from '../candles';

/**
 * What the UI needs to know about a strategy: its name, evaluation interval, and a form description
 * of its parameters (derived from the strategy's zod schema by the engine). A user strategy module
 * that failed to load is still listed, with `error` set, so the user can see what is wrong with it.
 */

export const PARAM_TYPES = ['number', 'integer', 'boolean', 'string', 'enum'] as const;
export const paramValueSchema = z.union([z.number().finite(), z.string(), z.boolean()]);

export const paramFieldSchema = z.object({
  name: z.string().min(1),
  label: z.string(),
  type: z.enum(PARAM_TYPES),
  default: paramValueSchema.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().positive().optional(),
  options: z.array(z.string()).optional(),
  description: z.string().optional(),
  required: z.boolean().optional(),
});

export const STRATEGY_SOURCES = ['builtin', 'user'] as const;

export const strategyInfoSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  interval: z.enum(INTERVALS),
  params: z.array(paramFieldSchema),
  /**
   * The interval of the candles its runs read, when it is not the run's own: backtest-kit files
   * read 1m candles whatever the frame's interval, so a 15m run needs stored 1m candles.
   */
  candleInterval: z.enum(INTERVALS).optional(),
  source: z.enum(STRATEGY_SOURCES),
  /** The module file, for user strategies. */
  file: z.string().optional(),
  /** Why a user module could not be used (load error or invalid export); absent when usable. */
  error: z.string().optional(),
});

export const strategyParamsSchema = z.record(z.string(), paramValueSchema);

export type ParamField = z.infer<typeof paramFieldSchema>;
export type ParamValue = z.infer<typeof paramValueSchema>;
export type StrategyInfo = z.infer<typeof strategyInfoSchema>;
export type StrategyParams = z.infer<typeof strategyParamsSchema>;
