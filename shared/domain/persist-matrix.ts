import { z } from 'zod';

/** The adapter matrix's vocabulary (DESIGN.md §1), shared so the UI can show which adapter each subsystem of a run uses. */
export const SUBSYSTEMS = ['session', 'storage', 'recent', 'notification', 'memory', 'state', 'dump', 'markdown', 'log'] as const;
export const ADAPTERS = ['mongodb', 'local-file', 'in-memory', 'markdown', 'dummy', 'jsonl'] as const;
export const PERSIST_MODES = ['live', 'backtest'] as const;

export const subsystemSchema = z.enum(SUBSYSTEMS);
export const adapterSchema = z.enum(ADAPTERS);
export const persistModeSchema = z.enum(PERSIST_MODES);

export const matrixRowSchema = z.object({
  subsystem: subsystemSchema,
  live: adapterSchema,
  backtest: adapterSchema,
  holds: z.string(),
});

/** One subsystem of one mode or run: the adapter in effect and where that choice came from. */
export const effectiveAdapterSchema = z.object({
  subsystem: subsystemSchema,
  adapter: adapterSchema,
  source: z.enum(['default', 'config', 'run']),
  holds: z.string(),
});

export type Subsystem = z.infer<typeof subsystemSchema>;
export type AdapterName = z.infer<typeof adapterSchema>;
export type PersistMode = z.infer<typeof persistModeSchema>;
export type MatrixRow = z.infer<typeof matrixRowSchema>;
export type EffectiveAdapter = z.infer<typeof effectiveAdapterSchema>;
